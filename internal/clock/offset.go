package clock

import (
	"sync"
	"time"
)

// Offset is the wall clock plus an offset that only grows: Advance jumps it
// ahead, so a person trying the bot by hand (the playground) can see a
// 15-minute expiry or a token refresh without waiting for it.
//
// After fires when d has passed in real time, or earlier, when an Advance
// moves Now past the moment it was due; either way it delivers Now. So a
// sweep loop on After(1s) keeps ticking on real time, and a timer set for
// an hour fires at once on Advance(time.Hour).
//
// It is safe for concurrent use.
type Offset struct {
	mu      sync.Mutex
	offset  time.Duration
	waiters map[*offsetWaiter]struct{}
	real    func() time.Time // time.Now; replaceable in this package's tests
}

type offsetWaiter struct {
	due   time.Time // on this clock
	ch    chan time.Time
	timer *time.Timer
	once  sync.Once
}

// NewOffset returns an Offset clock reading the wall clock (offset 0).
func NewOffset() *Offset {
	return &Offset{waiters: map[*offsetWaiter]struct{}{}, real: time.Now}
}

// Now is the wall clock plus the offset.
func (o *Offset) Now() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.nowLocked()
}

func (o *Offset) nowLocked() time.Time { return o.real().Add(o.offset) }

// Offset reports how far ahead of the wall clock this clock is.
func (o *Offset) Offset() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.offset
}

// After delivers Now once d has passed, in real time or through Advance.
func (o *Offset) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.nowLocked()
	if d <= 0 {
		ch <- now
		return ch
	}
	w := &offsetWaiter{due: now.Add(d), ch: ch}
	o.waiters[w] = struct{}{}
	w.timer = time.AfterFunc(d, func() { o.fire(w) })
	return ch
}

// fire delivers Now to w once and forgets it.
func (o *Offset) fire(w *offsetWaiter) {
	w.once.Do(func() {
		o.mu.Lock()
		delete(o.waiters, w)
		now := o.nowLocked()
		o.mu.Unlock()
		w.timer.Stop()
		w.ch <- now // buffered, and sent once: never blocks
	})
}

// Advance moves the clock ahead by d (a negative d is ignored: time never
// goes backwards) and fires every After that is now due.
func (o *Offset) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	o.mu.Lock()
	o.offset += d
	now := o.nowLocked()
	var due []*offsetWaiter
	for w := range o.waiters {
		if !w.due.After(now) {
			due = append(due, w)
		}
	}
	o.mu.Unlock()
	for _, w := range due {
		o.fire(w)
	}
}

// Waiters reports how many After calls have not fired yet.
func (o *Offset) Waiters() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.waiters)
}
