package adminapi

import (
	"context"
	"sync"
)

// slots bounds the HTTP calls in flight (Options.Concurrency). Waiters are
// served first come, first served, except that calls made on behalf of a
// state change already under way (SetState: its PATCH, a read-back, a token
// renewal it needs) go before calls that start new work.
//
// Why: a pause is three calls, drafts and config read together, then the
// PATCH. With a plain FIFO, 200 pauses at once queue 400 reads ahead of the
// first PATCH, so no pause finishes until every read is done (26 s at
// 1 s per call and 16 slots, docs/benchmarks.md). Serving PATCHes first
// finishes changes in the order they started, from the first round trip
// on, and the last one no later than before: the slots are busy all along
// either way.
type slots struct {
	mu        sync.Mutex
	free      int
	high, low []chan struct{} // waiters in arrival order; closed when granted
}

func newSlots(n int) *slots { return &slots{free: n} }

// acquire takes a slot, waiting until one is free or ctx ends.
func (s *slots) acquire(ctx context.Context, priority bool) error {
	s.mu.Lock()
	if s.free > 0 { // never true while anyone waits: release hands over
		s.free--
		s.mu.Unlock()
		return nil
	}
	w := make(chan struct{})
	if priority {
		s.high = append(s.high, w)
	} else {
		s.low = append(s.low, w)
	}
	s.mu.Unlock()

	select {
	case <-w:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		if s.remove(w) {
			s.mu.Unlock()
			return ctx.Err()
		}
		s.mu.Unlock()
		// Granted as we gave up: pass the slot on.
		s.release()
		return ctx.Err()
	}
}

// release frees a slot, handing it to the next waiter if there is one.
func (s *slots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range []*[]chan struct{}{&s.high, &s.low} {
		if len(*q) > 0 {
			w := (*q)[0]
			(*q)[0] = nil
			*q = (*q)[1:]
			close(w)
			return
		}
	}
	s.free++
}

// remove drops waiter w from its queue; false if it was already granted.
func (s *slots) remove(w chan struct{}) bool {
	for _, q := range []*[]chan struct{}{&s.high, &s.low} {
		for i, x := range *q {
			if x == w {
				*q = append((*q)[:i], (*q)[i+1:]...)
				return true
			}
		}
	}
	return false
}

// priorityKey marks a context whose calls belong to a change under way.
type priorityKey struct{}

func withPriority(ctx context.Context) context.Context {
	return context.WithValue(ctx, priorityKey{}, true)
}

func hasPriority(ctx context.Context) bool {
	p, _ := ctx.Value(priorityKey{}).(bool)
	return p
}
