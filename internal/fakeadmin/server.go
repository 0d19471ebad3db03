// Package fakeadmin is a fake Atlas App Services Admin API v3 on a real
// loopback HTTP server, for tests, the playground and benchmarks. It
// enforces what shared/adminapi.md's "Fake API checklist" lists: API-key
// login, JWT access tokens that expire on an injected clock, refresh,
// InvalidSession answers, the apps / services / config / drafts routes, and
// the documented error bodies. It records every call and every PATCH body,
// and can inject faults, latency and holds.
//
// Setup methods (AddApp, SetSync, SetDraft…) panic on misuse such as an
// unknown app: that is a bug in the test, not a condition to handle.
package fakeadmin

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/demo"
)

// Options configure a Server. Zero fields take the defaults.
type Options struct {
	PublicKey, PrivateKey string        // the one API key that logs in (default demo.PublicKey/PrivateKey)
	Clock                 clock.Clock   // decides token expiry (default clock.Real{})
	TokenTTL              time.Duration // access token lifetime (default 30m, as Atlas)
	Prefix                string        // path of the API root (default "/api/admin/v3.0")
	// HideSuspension serves a suspended trigger with the SPEC's schema
	// alone, without the "error" member syncbot assumes (docs/triggers.md).
	HideSuspension bool
}

// refreshTTL is the documented default refresh token lifetime.
const refreshTTL = 60 * 24 * time.Hour

// Server is the fake. All methods are safe for concurrent use.
type Server struct {
	srv    *httptest.Server
	mux    *http.ServeMux
	clock  clock.Clock
	opts   Options
	userID string
	sigKey []byte

	mu      sync.Mutex
	closed  bool
	groups  map[string][]*app // apps per group, in the order added
	nextID  uint64
	access  map[string]time.Time // access token -> expiry
	refresh map[string]time.Time // refresh token -> expiry

	logins, refreshes int
	calls             []Call
	patches           []Patch
	triggerPuts       []TriggerPut
	subs              map[int]func(Call)
	nextSub           int

	faults      []*fault
	draftArray  bool
	latency     time.Duration
	hold        chan struct{} // closed on release; nil when not holding
	held        int           // requests parked on hold now
	inFlight    int           // non-auth requests being answered now
	maxInFlight int
	changed     chan struct{} // closed and replaced whenever held changes
}

// New starts a fake on 127.0.0.1. Close it when done.
func New(o Options) *Server {
	if o.PublicKey == "" {
		o.PublicKey = demo.PublicKey
	}
	if o.PrivateKey == "" {
		o.PrivateKey = demo.PrivateKey
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = 30 * time.Minute
	}
	if o.Prefix == "" {
		o.Prefix = "/api/admin/v3.0"
	}
	o.Prefix = "/" + strings.Trim(o.Prefix, "/")
	s := &Server{
		clock:   o.Clock,
		opts:    o,
		userID:  randomHex(12),
		sigKey:  []byte(randomHex(32)),
		groups:  make(map[string][]*app),
		access:  make(map[string]time.Time),
		refresh: make(map[string]time.Time),
		subs:    make(map[int]func(Call)),
		changed: make(chan struct{}),
		nextID:  1,
	}
	s.mux = s.routes()
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the API root, prefix included, with no trailing slash.
func (s *Server) URL() string { return s.srv.URL + s.opts.Prefix }

// Close releases any hold and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	if s.hold != nil {
		close(s.hold)
		s.hold = nil
	}
	s.mu.Unlock()
	s.srv.Close()
}

// Call is one request the fake answered (or dropped: Status 0).
type Call struct {
	Method   string
	Path     string // below the prefix, e.g. /groups/g/apps
	Query    string // raw query, e.g. product=atlas
	Status   int
	Duration time.Duration // wall time until the status was written, hold and latency included
	At       time.Time     // arrival, on the fake's clock
}

// Calls returns every call so far, in the order they were answered.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Logins is how many logins succeeded.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// Refreshes is how many token refreshes succeeded.
func (s *Server) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}

// Subscribe calls fn with each call as it is answered (just before the
// answer is sent), from the goroutine answering it, so possibly
// concurrently: fn must be quick. cancel stops the feed.
func (s *Server) Subscribe(fn func(Call)) (cancel func()) {
	s.mu.Lock()
	id := s.nextSub
	s.nextSub++
	s.subs[id] = fn
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.subs, id)
		s.mu.Unlock()
	}
}

// serve wraps every route: it records the call, applies hold, latency and
// faults, then hands the request to the mux.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	at := s.clock.Now()
	// The call is recorded as soon as its status is known, before a byte
	// of the answer leaves: a client that has its answer can count on
	// Calls (and subscribers) having it too.
	var once sync.Once
	finish := func(status int) {
		once.Do(func() {
			s.record(Call{
				Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, s.opts.Prefix), Query: r.URL.RawQuery,
				Status: status, Duration: time.Since(start), At: at,
			})
		})
	}
	rec := &recorder{ResponseWriter: w, onStatus: finish}
	defer finish(0) // no answer: dropped, or the client went away

	if !s.isAuthRoute(r) {
		s.enter()
		defer s.leave()
		if !s.wait(r.Context()) {
			return
		}
	}
	if f := s.takeFault(r, false); f != nil {
		f.write(rec, r)
		return
	}
	if f := s.matchFault(r, true); f != nil {
		s.applyFirst(rec, r, f)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	s.calls = append(s.calls, c)
	subs := make([]func(Call), 0, len(s.subs))
	for _, fn := range s.subs {
		subs = append(subs, fn)
	}
	s.mu.Unlock()
	for _, fn := range subs {
		fn(c)
	}
}

func (s *Server) isAuthRoute(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, s.opts.Prefix+"/auth/")
}

// recorder reports the status when it is first written, and lets
// ResponseController reach the connection (to drop it for a network fault).
type recorder struct {
	http.ResponseWriter
	onStatus func(int)
	status   int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
		r.onStatus(code)
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// newIDLocked returns a fresh 24-hex-digit ObjectId-looking id.
func (s *Server) newIDLocked() string {
	s.nextID++
	return fmt.Sprintf("65f0a0b0%016x", s.nextID)
}
