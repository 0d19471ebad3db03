package fakeslack

import (
	"sync"
	"time"
)

// Event kinds delivered to Subscribe.
const (
	KindPost       = "post"       // a new channel message (Message set)
	KindUpdate     = "update"     // a message edited or deleted (Message set)
	KindEphemeral  = "ephemeral"  // Ephemeral set
	KindResponse   = "response"   // a response_url post (Response set)
	KindAck        = "ack"        // Ack set
	KindConnect    = "connect"    // a socket opened (Connections set)
	KindDisconnect = "disconnect" // a socket closed (Connections set)
)

// Event is one thing that happened, for a live view such as the playground.
// Only the field matching Kind is set; values are copies.
type Event struct {
	Kind        string
	At          time.Time
	Message     *Message
	Ephemeral   *Ephemeral
	Response    *ResponsePost
	Ack         *Ack
	Connections int // routable sockets after a connect/disconnect
}

// subscriber delivers events in order on its own goroutine, so a slow
// callback (say, a browser write) never stalls the fake, and a callback
// may call the Server's getters without deadlocking.
type subscriber struct {
	fn   func(Event)
	wake chan struct{}
	done chan struct{}
	once sync.Once

	mu    sync.Mutex
	queue []Event
}

// Subscribe calls fn for every event from now on, in order, on a goroutine
// of its own. cancel (or Close) stops delivery; it may be called from
// inside fn, and a call to fn already running finishes on its own.
func (s *Server) Subscribe(fn func(Event)) (cancel func()) {
	sub := &subscriber{fn: fn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.subs[sub] = struct{}{}
	}
	s.mu.Unlock()
	if closed {
		return func() {}
	}
	go sub.run()
	return func() {
		s.mu.Lock()
		delete(s.subs, sub)
		s.mu.Unlock()
		sub.stop()
	}
}

func (sub *subscriber) stop() { sub.once.Do(func() { close(sub.done) }) }

func (sub *subscriber) run() {
	for {
		select {
		case <-sub.done:
			return
		case <-sub.wake:
		}
		sub.mu.Lock()
		batch := sub.queue
		sub.queue = nil
		sub.mu.Unlock()
		for _, ev := range batch {
			select {
			case <-sub.done:
				return
			default:
			}
			sub.fn(ev)
		}
	}
}

// notifyLocked queues ev for every subscriber. Callers hold s.mu, which
// keeps the feed in the same order as the state changes.
func (s *Server) notifyLocked(ev Event) {
	if len(s.subs) == 0 {
		return
	}
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	for sub := range s.subs {
		sub.mu.Lock()
		sub.queue = append(sub.queue, ev)
		sub.mu.Unlock()
		select {
		case sub.wake <- struct{}{}:
		default:
		}
	}
}
