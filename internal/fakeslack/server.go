// Package fakeslack is a fake Slack on 127.0.0.1 that speaks the real wire
// protocol to the real slack-go client: Socket Mode (apps.connections.open,
// a websocket with hello, PING control frames, envelopes and acks), the few
// Web API methods syncbot calls, and response_url hooks.
//
// It is a plain package, not a _test file, because unit tests, end-to-end
// tests, the browser playground and benchmarks all drive it. Everything it
// sees is recorded and readable through getters that return copies; WaitFor
// wakes on every state change, so callers never poll or sleep.
//
// The protocol details it imitates are in /work/shared/slack-socketmode.md.
package fakeslack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/syncbot/syncbot/internal/demo"
)

// Defaults used when Options leaves a field empty: the demo workspace.
const (
	DefaultAppToken     = demo.AppToken
	DefaultBotToken     = demo.BotToken
	DefaultTeamID       = demo.TeamID
	DefaultAPIAppID     = demo.APIAppID
	DefaultBotUserID    = demo.BotUserID
	DefaultPingInterval = 2 * time.Second

	// botID is what messages posted by the bot carry as bot_id.
	botID = "BBOT"
	// teamDomain is the workspace domain payloads carry.
	teamDomain = "fake"
	// verificationToken is the legacy token Slack still puts in payloads;
	// slack-go ignores it in Socket Mode.
	verificationToken = "vtok"
)

// ErrNotConnected is returned when an envelope is to be sent but no socket is
// open (or every open socket has been told to disconnect).
var ErrNotConnected = errors.New("fakeslack: no socket connected")

// ErrClosed is returned by waits on a Server that has been closed.
var ErrClosed = errors.New("fakeslack: server closed")

// Options configure a Server. Zero values take the Default… constants.
type Options struct {
	AppToken  string // expected as "Authorization: Bearer" on apps.connections.open
	BotToken  string // expected as the token form field on every Web API call
	TeamID    string
	APIAppID  string
	BotUserID string
	// PingInterval is how often each socket gets a websocket PING control
	// frame. slack-go drops a connection that saw no PING for 30 s, so this
	// must stay well under that.
	PingInterval time.Duration
}

func (o Options) withDefaults() Options {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&o.AppToken, DefaultAppToken)
	def(&o.BotToken, DefaultBotToken)
	def(&o.TeamID, DefaultTeamID)
	def(&o.APIAppID, DefaultAPIAppID)
	def(&o.BotUserID, DefaultBotUserID)
	if o.PingInterval <= 0 {
		o.PingInterval = DefaultPingInterval
	}
	return o
}

// Server is a running fake Slack. All methods are safe for concurrent use.
type Server struct {
	opts     Options
	base     string // http://127.0.0.1:PORT
	srv      *http.Server
	upgrader websocket.Upgrader
	api      map[string]apiMethod
	done     chan struct{} // closed by Close: stops ping loops
	wg       sync.WaitGroup

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	closed  bool
	seq     int // source of unique ids (envelopes, triggers, hooks)
	tsSeq   int // source of message timestamps

	tickets     map[string]struct{} // issued, not yet used
	ticketCount int
	live        []*conn            // sockets envelopes may be routed to
	sockets     map[*conn]struct{} // every open socket, draining ones too
	rr          int
	pongs       int

	sentAt map[string]time.Time // envelope id → write time
	acks   []Ack

	users      map[string]User
	channels   map[string]string // id → name
	usergroups map[string][]string
	messages   []*Message
	byTS       map[msgKey]*Message
	ephemerals []Ephemeral
	responses  []ResponsePost
	hooks      map[string]*hook
	faults     map[string]*Fault
	refusing   map[string]bool   // channels whose messages with blocks are refused (RefuseBlocks)
	failing    map[string]string // channels whose every post and update is refused with this error (FailChannel)
	subs       map[*subscriber]struct{}
}

// New starts a fake Slack listening on 127.0.0.1 on a free port. It panics
// if it cannot listen, as httptest.NewServer does: there is nothing a test
// could do about it.
func New(o Options) *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("fakeslack: listen on 127.0.0.1: %v", err))
	}
	s := &Server{
		opts: o.withDefaults(),
		base: "http://" + ln.Addr().String(),
		// slack-go dials with Origin: https://api.slack.com; the default
		// CheckOrigin would answer 403 and the client would retry forever.
		upgrader:   websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		done:       make(chan struct{}),
		changed:    make(chan struct{}),
		tickets:    map[string]struct{}{},
		sockets:    map[*conn]struct{}{},
		sentAt:     map[string]time.Time{},
		users:      map[string]User{},
		channels:   map[string]string{},
		usergroups: map[string][]string{},
		byTS:       map[msgKey]*Message{},
		hooks:      map[string]*hook{},
		faults:     map[string]*Fault{},
		refusing:   map[string]bool{},
		failing:    map[string]string{},
		subs:       map[*subscriber]struct{}{},
	}
	s.api = s.apiMethods()

	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.handleAPI)
	mux.HandleFunc("/link/", s.handleLink)
	mux.HandleFunc("/hooks/", s.handleHook)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed on Close
	}()
	return s
}

// APIURL is the Web API base to give slack.OptionAPIURL, with the trailing
// slash slack-go needs.
func (s *Server) APIURL() string { return s.base + "/api/" }

// Close stops the server, drops every socket and wakes every waiter with
// ErrClosed. It is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	socks := make([]*conn, 0, len(s.sockets))
	for c := range s.sockets {
		socks = append(socks, c)
	}
	for sub := range s.subs {
		sub.stop()
	}
	s.subs = map[*subscriber]struct{}{}
	s.bumpLocked()
	s.mu.Unlock()

	// http.Server.Close does not touch hijacked connections, so the
	// websockets are closed here.
	_ = s.srv.Close()
	for _, c := range socks {
		_ = c.ws.Close()
	}
	s.wg.Wait()
}

// bumpLocked wakes every WaitFor. Callers hold s.mu.
func (s *Server) bumpLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// WaitFor returns once cond is true. cond is evaluated now and again after
// every state change (acks, posts, updates, ephemerals, responses, connects,
// disconnects, pongs), never on a timer. cond may call the Server's getters.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		// Take the channel before evaluating cond, so a change that lands
		// in between still wakes us.
		s.mu.Lock()
		ch, closed := s.changed, s.closed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		if closed {
			return ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("fakeslack: wait: %w", ctx.Err())
		}
	}
}

// nextIDLocked returns a number unique within this server.
func (s *Server) nextIDLocked() int {
	s.seq++
	return s.seq
}

// nextTSLocked returns a message timestamp like "1700000000.000100": unique,
// increasing, and of fixed width so string order is time order.
func (s *Server) nextTSLocked() string {
	s.tsSeq++
	micros := s.tsSeq * 100
	return fmt.Sprintf("%d.%06d", 1700000000+micros/1_000_000, micros%1_000_000)
}
