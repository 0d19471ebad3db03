package fakeslack

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// conn is one Socket Mode websocket.
type conn struct {
	ws *websocket.Conn
	// writeMu serialises data frames: gorilla allows one writer at a time
	// (WriteControl, used for PINGs, is exempt).
	writeMu sync.Mutex
	// silent is closed by GoSilent: no more PINGs on this socket.
	silent     chan struct{}
	silentOnce sync.Once
}

// write sends one text frame. before runs just ahead of the write while the
// socket is held, so a recorded send time can never follow the ack it causes.
func (c *conn) write(frame []byte, before func()) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if before != nil {
		before()
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

// handleConnectionsOpen answers apps.connections.open with a fresh
// single-use ticket URL, as Slack does before every (re)connect.
func (s *Server) handleConnectionsOpen(w http.ResponseWriter, r *http.Request) {
	// Slack accepts the app token only in the Authorization header.
	if r.Header.Get("Authorization") != "Bearer "+s.opts.AppToken {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	ticket := rand.Text()
	s.mu.Lock()
	s.tickets[ticket] = struct{}{}
	s.ticketCount++
	s.bumpLocked()
	s.mu.Unlock()

	q := url.Values{"ticket": {ticket}, "app_id": {s.opts.APIAppID}}
	u := "ws" + s.base[len("http"):] + "/link/?" + q.Encode()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "url": u})
}

// handleLink upgrades a ticketed request to a Socket Mode websocket and
// serves it until it closes.
func (s *Server) handleLink(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	_, ok := s.tickets[ticket]
	delete(s.tickets, ticket) // single use, even if the upgrade fails
	if ok && !s.closed {
		s.wg.Add(1) // under mu, so Close's Wait cannot start in between
	}
	closed := s.closed
	s.mu.Unlock()
	if closed {
		http.Error(w, "server closed", http.StatusServiceUnavailable)
		return
	}
	if !ok {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	defer s.wg.Done()

	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has already answered the client
	}
	c := &conn{ws: ws, silent: make(chan struct{})}
	ws.SetPongHandler(func(string) error {
		s.mu.Lock()
		s.pongs++
		s.bumpLocked()
		s.mu.Unlock()
		return nil
	})

	// hello goes out before the socket is routable, so no envelope can
	// overtake it.
	s.mu.Lock()
	n := len(s.live) + 1
	s.mu.Unlock()
	hello, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": n,
		"debug_info": map[string]any{
			"host": "fake-1", "build_number": 1, "approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": s.opts.APIAppID},
	})
	if err := c.write(hello, nil); err != nil {
		_ = ws.Close()
		return
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.live = append(s.live, c)
	s.sockets[c] = struct{}{}
	s.notifyLocked(Event{Kind: KindConnect, Connections: len(s.live)})
	s.bumpLocked()
	s.mu.Unlock()

	stop := make(chan struct{})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.pingLoop(c, stop)
	}()

	s.readLoop(c)
	close(stop)
	_ = ws.Close()
	s.removeConn(c)
}

// pingLoop sends PING control frames: slack-go sends none itself and drops
// a socket that has seen no PING for its ping interval.
func (s *Server) pingLoop(c *conn, stop <-chan struct{}) {
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-stop:
			return
		case <-c.silent:
			return
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("Ping from fake-1"), time.Now().Add(5*time.Second)); err != nil {
				return
			}
		}
	}
}

// readLoop records acks until the socket fails. Reading also lets gorilla
// process the PONGs.
func (s *Server) readLoop(c *conn) {
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if typ == websocket.TextMessage {
			s.recordAck(data)
		}
	}
}

func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sockets[c]; !ok {
		return
	}
	delete(s.sockets, c)
	s.live = slices.DeleteFunc(s.live, func(x *conn) bool { return x == c })
	if !s.closed {
		s.notifyLocked(Event{Kind: KindDisconnect, Connections: len(s.live)})
	}
	s.bumpLocked()
}

// Disconnect sends {"type":"disconnect","reason":reason} to every socket, as
// Slack does before it rotates a connection. The sockets stop counting as
// connected and get no more envelopes at once; acks still arriving on them
// are recorded. slack-go closes them and reconnects with a new ticket.
func (s *Server) Disconnect(reason string) {
	frame, _ := json.Marshal(map[string]any{
		"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": "fake-1"},
	})
	s.mu.Lock()
	targets := s.live
	s.live = nil
	s.bumpLocked()
	s.mu.Unlock()
	for _, c := range targets {
		_ = c.write(frame, nil)
	}
}

// GoSilent makes every open socket go quiet, as a connection Slack has lost
// track of does (a NAT that forgot it, a Slack host that died): no more
// PINGs and no more envelopes, while the TCP connection stays open until
// the client closes it. The sockets stop counting as connected at once.
// Sockets opened later behave normally. slack-go notices only through its
// ping timeout.
func (s *Server) GoSilent() {
	s.mu.Lock()
	for c := range s.sockets {
		c.silentOnce.Do(func() { close(c.silent) })
	}
	s.live = nil
	s.bumpLocked()
	s.mu.Unlock()
}

// DropAll closes every socket's TCP connection abruptly (no close frame), as
// a network failure would.
func (s *Server) DropAll() {
	s.mu.Lock()
	targets := make([]*conn, 0, len(s.sockets))
	for c := range s.sockets {
		targets = append(targets, c)
	}
	// Unroutable at once, so a WaitConnected after DropAll cannot be
	// satisfied by a socket that is about to die.
	s.live = nil
	s.bumpLocked()
	s.mu.Unlock()
	for _, c := range targets {
		_ = c.ws.Close()
	}
}

// Connections reports how many sockets are open and routable.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live)
}

// Tickets reports how many apps.connections.open calls succeeded, that is
// how many websocket URLs were handed out.
func (s *Server) Tickets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ticketCount
}

// Pongs reports how many PONGs the clients have sent back.
func (s *Server) Pongs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pongs
}

// WaitConnected returns once at least n sockets are open and routable.
func (s *Server) WaitConnected(ctx context.Context, n int) error {
	return s.WaitFor(ctx, func() bool { return s.Connections() >= n })
}
