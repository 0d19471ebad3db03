package announce

import "sync"

// opLocks serialises what this process shows of one operation, so a click
// or the sweeper that races the first post of a card waits for its ts to be
// journaled instead of posting a second card.
type opLocks struct {
	mu    sync.Mutex
	locks map[int64]*opLock
}

type opLock struct {
	sync.Mutex
	users int
}

func (l *opLocks) lock(id int64) (unlock func()) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[int64]*opLock{}
	}
	e := l.locks[id]
	if e == nil {
		e = &opLock{}
		l.locks[id] = e
	}
	e.users++
	l.mu.Unlock()
	e.Lock()
	return func() {
		e.Unlock()
		l.mu.Lock()
		if e.users--; e.users == 0 {
			delete(l.locks, id)
		}
		l.mu.Unlock()
	}
}
