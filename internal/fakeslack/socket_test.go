package fakeslack_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/syncbot/syncbot/internal/fakeslack"
)

func TestClientConnectsGetsHelloAndAnswersPings(t *testing.T) {
	s := newServer(t)
	hello := make(chan *socketmode.Request, 1)
	startClient(t, s, appToken, func(evt socketmode.Event, _ *socketmode.Client) {
		if evt.Type == socketmode.EventTypeHello {
			select {
			case hello <- evt.Request:
			default:
			}
		}
	})
	req := recv(t, hello)
	if req.ConnectionInfo.AppID != "A1" || req.NumConnections != 1 {
		t.Errorf("hello = app %q, %d connections; want A1, 1", req.ConnectionInfo.AppID, req.NumConnections)
	}
	if err := s.WaitFor(testCtx(t), func() bool { return s.Pongs() >= 3 }); err != nil {
		t.Fatalf("waiting for pongs: %v", err)
	}
	if got := s.Tickets(); got != 1 {
		t.Errorf("Tickets() = %d, want 1 (no reconnect while pinged)", got)
	}
	if got := s.Connections(); got != 1 {
		t.Errorf("Connections() = %d, want 1", got)
	}
}

func TestConnectionsOpenChecksAppTokenAndTicketsAreSingleUse(t *testing.T) {
	s := newServer(t)
	open := func(auth string) map[string]any {
		t.Helper()
		req, _ := http.NewRequestWithContext(testCtx(t), http.MethodPost, s.APIURL()+"apps.connections.open", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, auth := range []string{"", "Bearer ", "Bearer xapp-wrong", "Bearer " + botToken} {
		if got := open(auth); got["ok"] != false || got["error"] != "invalid_auth" {
			t.Errorf("auth %q: got %v, want invalid_auth", auth, got)
		}
	}
	if s.Tickets() != 0 {
		t.Errorf("Tickets() = %d after refused opens, want 0", s.Tickets())
	}

	got := open("Bearer " + appToken)
	u, _ := got["url"].(string)
	if got["ok"] != true || !strings.HasPrefix(u, "ws://127.0.0.1:") || !strings.Contains(u, "/link/?") {
		t.Fatalf("open = %v, want ok with a ws://127.0.0.1 link", got)
	}
	ws, _, err := websocket.DefaultDialer.DialContext(testCtx(t), u, http.Header{"Origin": {"https://api.slack.com"}})
	if err != nil {
		t.Fatalf("first dial: %v", err)
	}
	defer ws.Close()
	var hello map[string]any
	if err := ws.ReadJSON(&hello); err != nil || hello["type"] != "hello" {
		t.Fatalf("first frame = %v, %v; want hello", hello, err)
	}
	_, resp, err := websocket.DefaultDialer.DialContext(testCtx(t), u, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("second dial with the same ticket: err %v; want 401", err)
	}
}

func TestWrongAppTokenIsFatalForSlackGo(t *testing.T) {
	s := newServer(t)
	runErr := startClient(t, s, "xapp-wrong", func(socketmode.Event, *socketmode.Client) {})
	select {
	case err := <-runErr:
		var se slack.SlackErrorResponse
		if !errors.As(err, &se) || se.Err != "invalid_auth" {
			t.Errorf("RunContext = %v, want invalid_auth", err)
		}
	case <-testCtx(t).Done():
		t.Fatal("RunContext did not return on invalid_auth")
	}
}

func TestAcksAreRecordedWithPayloadAndLatency(t *testing.T) {
	s := newServer(t)
	startClient(t, s, appToken, func(evt socketmode.Event, c *socketmode.Client) {
		if evt.Type == socketmode.EventTypeSlashCommand {
			_ = c.AckCtx(t.Context(), evt.Request.EnvelopeID, map[string]any{"response_type": "ephemeral", "text": "working"})
		}
	})
	ctx := testCtx(t)
	if err := s.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	id, err := s.SlashCommand(fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1", Text: "status prod"})
	if err != nil {
		t.Fatal(err)
	}
	ack, err := s.WaitAck(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ ResponseType, Text string }
	if err := json.Unmarshal(ack.Payload, &p); err != nil || p.Text != "working" {
		t.Errorf("ack payload = %s (%v), want text working", ack.Payload, err)
	}
	if ack.Latency <= 0 || ack.At.IsZero() {
		t.Errorf("ack latency %v at %v, want both set", ack.Latency, ack.At)
	}
	if acks := s.Acks(); len(acks) != 1 || acks[0].EnvelopeID != id {
		t.Errorf("Acks() = %+v, want the one ack", acks)
	}
}

func TestSlashCommandWithoutSocketFails(t *testing.T) {
	s := newServer(t)
	if _, err := s.SlashCommand(fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1"}); !errors.Is(err, fakeslack.ErrNotConnected) {
		t.Errorf("SlashCommand with no socket = %v, want ErrNotConnected", err)
	}
}

func TestSlashCommandPayloadDecodes(t *testing.T) {
	s := newServer(t)
	s.AddUser(fakeslack.User{ID: "U1", Name: "alice", RealName: "Alice"})
	s.AddChannel("C1", "ops")
	cmds, _ := connectedClient(t, s)

	if _, err := s.SlashCommand(fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1", Text: "pause prod <now> & go"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SlashCommand(fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1", Text: "<@U2|bob>", Verbatim: true}); err != nil {
		t.Fatal(err)
	}
	a, b := recv(t, cmds), recv(t, cmds)
	if a.Command != "/sync" || a.TeamID != "T1" || a.APIAppID != "A1" || a.UserName != "alice" || a.ChannelName != "ops" {
		t.Errorf("command fields = %+v", a)
	}
	if want := "pause prod &lt;now&gt; &amp; go"; a.Text != want {
		t.Errorf("Text = %q, want Slack-escaped %q", a.Text, want)
	}
	if b.Text != "<@U2|bob>" {
		t.Errorf("verbatim Text = %q", b.Text)
	}
	if !strings.HasPrefix(a.ResponseURL, strings.TrimSuffix(s.APIURL(), "/api/")+"/hooks/") || a.ResponseURL == b.ResponseURL {
		t.Errorf("response urls %q, %q: want distinct hooks on the fake", a.ResponseURL, b.ResponseURL)
	}
	if a.TriggerID == "" || a.TriggerID == b.TriggerID {
		t.Errorf("trigger ids %q, %q: want distinct", a.TriggerID, b.TriggerID)
	}
}

func TestDisconnectMakesClientReconnect(t *testing.T) {
	s := newServer(t)
	cmds, _ := connectedClient(t, s)
	ctx := testCtx(t)

	s.Disconnect("refresh_requested")
	if err := s.WaitFor(ctx, func() bool { return s.Tickets() >= 2 && s.Connections() == 1 }); err != nil {
		t.Fatalf("no reconnect: tickets %d, connections %d: %v", s.Tickets(), s.Connections(), err)
	}
	id, err := s.SlashCommand(fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1", Text: "status"})
	if err != nil {
		t.Fatal(err)
	}
	if got := recv(t, cmds); got.Text != "status" {
		t.Errorf("command after reconnect = %+v", got)
	}
	if _, err := s.WaitAck(ctx, id); err != nil {
		t.Fatal(err)
	}
}

func TestDropAllMakesClientReconnect(t *testing.T) {
	s := newServer(t)
	cmds, _ := connectedClient(t, s)
	ctx := testCtx(t)

	s.DropAll()
	if err := s.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if s.Tickets() < 2 {
		t.Errorf("Tickets() = %d after drop, want a new one", s.Tickets())
	}
	if _, err := s.SlashCommand(fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1", Text: "after drop"}); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, cmds); got.Text != "after drop" {
		t.Errorf("command after drop = %+v", got)
	}
}

func TestEnvelopesGoToOneSocketRoundRobin(t *testing.T) {
	s := newServer(t)
	var a, b atomic.Int32
	count := func(n *atomic.Int32) func(socketmode.Event, *socketmode.Client) {
		return func(evt socketmode.Event, c *socketmode.Client) {
			ackAll(evt, c)
			if evt.Type == socketmode.EventTypeSlashCommand {
				n.Add(1)
			}
		}
	}
	startClient(t, s, appToken, count(&a))
	startClient(t, s, appToken, count(&b))
	ctx := testCtx(t)
	if err := s.WaitConnected(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		id, err := s.SlashCommand(fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.WaitAck(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if a.Load() != 2 || b.Load() != 2 {
		t.Errorf("socket A got %d, B got %d; want 2 each and never both", a.Load(), b.Load())
	}
}

// TestAckOnAnotherSocketIsRecorded imitates slack-go flushing an ack queued
// during a reconnect onto the next socket.
func TestAckOnAnotherSocketIsRecorded(t *testing.T) {
	s := newServer(t)
	ctx := testCtx(t)
	dial := func() *websocket.Conn {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.APIURL()+"apps.connections.open", nil)
		req.Header.Set("Authorization", "Bearer "+appToken)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var out struct{ URL string }
		_ = json.Unmarshal(body, &out)
		ws, _, err := websocket.DefaultDialer.DialContext(ctx, out.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		var hello map[string]any
		if err := ws.ReadJSON(&hello); err != nil {
			t.Fatal(err)
		}
		return ws
	}
	first := dial()
	if err := s.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	id, err := s.SlashCommand(fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1"})
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		EnvelopeID string `json:"envelope_id"`
	}
	if err := first.ReadJSON(&env); err != nil || env.EnvelopeID != id {
		t.Fatalf("envelope on first socket = %+v, %v", env, err)
	}
	second := dial()
	if err := second.WriteJSON(map[string]string{"envelope_id": id}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitAck(ctx, id); err != nil {
		t.Fatalf("ack on the second socket not recorded: %v", err)
	}
}
