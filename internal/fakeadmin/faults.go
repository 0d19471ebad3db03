package fakeadmin

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
)

// Fault replaces the answer to matching requests.
type Fault struct {
	Method       string // "" matches any method
	PathContains string // "" matches any path
	// Status is the answer's status. 0 means no answer at all: the
	// connection is dropped, which the client sees as a network error.
	Status     int
	Body       string // sent as is ("" = empty body); JSON if it starts with { or [
	RetryAfter string // Retry-After header value, if any
	Times      int    // how many requests it hits; 0 = every one
	// ApplyFirst lets the request be handled for real (a PATCH is applied)
	// and then answers with the fault instead, as a server that commits and
	// then fails to reply would: the client cannot know the outcome. It
	// only fires on requests that succeeded.
	ApplyFirst bool
	// Stall answers nothing at all until the client gives up (its timeout,
	// or the server closing): with ApplyFirst, a PATCH that is applied and
	// then times out. Status is ignored.
	Stall bool
}

type fault struct {
	Fault
	left int // remaining hits when Times > 0
}

// Inject adds a fault. Faults are tried in the order injected; the first
// one that matches and has hits left answers. Auth routes can be faulted
// too.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{Fault: f, left: f.Times})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (f *fault) matches(r *http.Request) bool {
	return (f.Method == "" || strings.EqualFold(f.Method, r.Method)) &&
		(f.PathContains == "" || strings.Contains(r.URL.Path, f.PathContains)) &&
		(f.Times == 0 || f.left > 0)
}

// takeFault finds and consumes a matching fault with the given ApplyFirst.
func (s *Server) takeFault(r *http.Request, applyFirst bool) *fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.ApplyFirst == applyFirst && f.matches(r) {
			if f.Times > 0 {
				f.left--
			}
			return f
		}
	}
	return nil
}

// matchFault finds a matching fault without consuming it.
func (s *Server) matchFault(r *http.Request, applyFirst bool) *fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.ApplyFirst == applyFirst && f.matches(r) {
			return f
		}
	}
	return nil
}

// applyFirst runs the real handler, then answers with the fault if the
// handler succeeded (consuming one hit), or with the real answer if not.
func (s *Server) applyFirst(w *recorder, r *http.Request, f *fault) {
	got := httptest.NewRecorder()
	s.mux.ServeHTTP(got, r)
	if got.Code >= 200 && got.Code < 300 {
		s.mu.Lock()
		live := f.Times == 0 || f.left > 0
		if live && f.Times > 0 {
			f.left--
		}
		s.mu.Unlock()
		if live {
			f.write(w, r)
			return
		}
	}
	for k, v := range got.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(got.Code)
	_, _ = w.Write(got.Body.Bytes())
}

func (f *fault) write(w *recorder, r *http.Request) {
	if f.Stall {
		// net/http notices a client hanging up only once the body is
		// read; unread, a cancelled PATCH would stall here for ever.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done() // the client timed out or went away
		return
	}
	if f.Status == 0 {
		w.onStatus(0) // recorded before the client can notice the drop
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler) // the server drops the connection
		}
		_ = conn.Close()
		return
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	body := strings.TrimSpace(f.Body)
	if strings.HasPrefix(body, "{") || strings.HasPrefix(body, "[") {
		w.Header().Set("Content-Type", "application/json")
	} else if f.Body != "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(f.Body))
}

// SetLatency delays every non-auth answer by d of real time (for the
// playground and benchmarks; tests should prefer Hold).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Hold makes every non-auth request wait, unanswered, until release is
// called. Requests arriving while held wait too. release is idempotent.
func (s *Server) Hold() (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold == nil && !s.closed {
		s.hold = make(chan struct{})
	}
	ch := s.hold
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if ch != nil && s.hold == ch {
			close(ch)
			s.hold = nil
		}
	}
}

// Held is how many requests wait on a Hold now.
func (s *Server) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// WaitHeld blocks until at least n requests wait on a Hold, or ctx ends.
func (s *Server) WaitHeld(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		held, ch := s.held, s.changed
		s.mu.Unlock()
		if held >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// MaxInFlight is the most non-auth requests the fake was answering at one
// time since it started.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

func (s *Server) enter() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
}

func (s *Server) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
}

// wait applies the hold and the latency; false if the client went away.
func (s *Server) wait(ctx context.Context) bool {
	s.mu.Lock()
	hold, latency := s.hold, s.latency
	if hold != nil {
		s.setHeldLocked(s.held + 1)
	}
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
		}
		s.mu.Lock()
		s.setHeldLocked(s.held - 1)
		s.mu.Unlock()
		if ctx.Err() != nil {
			return false
		}
	}
	if latency > 0 {
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

func (s *Server) setHeldLocked(n int) {
	s.held = n
	close(s.changed)
	s.changed = make(chan struct{})
}
