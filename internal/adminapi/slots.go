package adminapi

import (
	"context"
	"sync"
)

// slots bounds the round trips in flight (Options.Concurrency): a call
// takes a slot for its HTTP attempt, except that calls made together on
// one round trip's context (withTrip) share one slot. Waiters are
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

// trip lets the calls of one round trip share one slot: a change reads its
// drafts and its config at the same time, and that pair costs Atlas one
// round trip of the change, not two. Without it a pause holds 1.5 slots
// per round trip on average, and 200 pauses at 16 slots take ceil(600/16)
// round trips instead of ceil(200/16)×2 (docs/benchmarks.md, burst B).
//
// The slot is taken by the first call of the trip to need it and given
// back when the last call in flight ends. A call that starts later (a
// retry after a backoff) shares the slot if a sibling still holds it, and
// waits for a new one otherwise: a trip never has more than its two
// requests open.
type trip struct {
	turn chan struct{} // held while taking the slot or counting calls
	n    int           // calls of the trip in flight on the slot
}

func (t *trip) acquire(ctx context.Context, s *slots, priority bool) error {
	select {
	case t.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-t.turn }()
	if t.n == 0 {
		if err := s.acquire(ctx, priority); err != nil {
			return err
		}
	}
	t.n++
	return nil
}

// release never waits long: turn is only held for a while by a call
// taking the slot, which happens only when no call of the trip holds it.
func (t *trip) release(s *slots) {
	t.turn <- struct{}{}
	defer func() { <-t.turn }()
	t.n--
	if t.n == 0 {
		s.release()
	}
}

type tripKey struct{}

// withTrip returns a context on which concurrent calls share one slot.
func withTrip(ctx context.Context) context.Context {
	return context.WithValue(ctx, tripKey{}, &trip{turn: make(chan struct{}, 1)})
}

// acquireFor takes the slot a call needs: its trip's when it has one and
// is not a session call (logins and refreshes serve everyone, so they
// never ride on one caller's trip). It returns the matching release.
func (s *slots) acquireFor(ctx context.Context, priority, session bool) (release func(), err error) {
	if t, ok := ctx.Value(tripKey{}).(*trip); ok && !session {
		if err := t.acquire(ctx, s, priority); err != nil {
			return nil, err
		}
		return func() { t.release(s) }, nil
	}
	if err := s.acquire(ctx, priority); err != nil {
		return nil, err
	}
	return s.release, nil
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
