package slackbot_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/fakeslack"
	"github.com/syncbot/syncbot/internal/slackbot"
)

func TestSlashCommandReachesHandlerAndIsAcked(t *testing.T) {
	got := make(chan slackbot.Command, 1)
	acks := make(chan string, 8)
	e := start(t, &handler{command: func(_ context.Context, _ *slackbot.Bot, c slackbot.Command) { got <- c }},
		func(c *slackbot.Config) { c.OnAck = func(kind string, _ time.Duration) { acks <- kind } })

	id, err := e.fake.SlashCommand(fakeslack.SlashCommand{
		UserID: "U1", UserName: "alice", ChannelID: "C1", ChannelName: "ops", Text: "pause prod",
	})
	if err != nil {
		t.Fatal(err)
	}
	if a := e.ack(t, id); a.Payload != nil {
		t.Errorf("ack payload = %s, want none", a.Payload)
	}
	c := recv(t, got)
	want := slackbot.Command{
		EnvelopeID: id, TeamID: "T1", APIAppID: "A1", ChannelID: "C1", ChannelName: "ops",
		UserID: "U1", UserName: "alice", Command: "/sync", Text: "pause prod",
		ResponseURL: c.ResponseURL, TriggerID: c.TriggerID,
	}
	if c != want || c.ResponseURL == "" || c.TriggerID == "" {
		t.Errorf("command = %+v\nwant %+v", c, want)
	}
	if k := recv(t, acks); k != "slash_commands" {
		t.Errorf("OnAck kind = %q", k)
	}
	if !e.bot.Connected() {
		t.Error("Connected() = false while the socket is up")
	}
	if !strings.Contains(e.logs.String(), "envelope_id="+id) {
		t.Errorf("no log line carries envelope_id=%s:\n%s", id, e.logs.String())
	}
}

// TestEveryAckArrivesBeforeHandlerIsReleased shows acks never wait for
// handler work: every handler is blocked until all 50 acks are in.
func TestEveryAckArrivesBeforeHandlerIsReleased(t *testing.T) {
	const n = 50
	release := make(chan struct{})
	finished := make(chan string, n)
	e := start(t, &handler{command: func(ctx context.Context, _ *slackbot.Bot, c slackbot.Command) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		finished <- c.EnvelopeID
	}}, nil)

	ids := make([]string, n)
	for i := range ids {
		ids[i] = e.command(t, "status prod")
	}
	for _, id := range ids {
		if a := e.ack(t, id); a.Payload != nil {
			t.Errorf("ack %s carries %s; 50 fit in the default pool", id, a.Payload)
		}
	}
	select {
	case id := <-finished:
		t.Fatalf("handler for %s finished before it was released", id)
	default:
	}
	close(release)
	for range n {
		recv(t, finished)
	}
}

func TestBusyAckWhenWorkersAndQueueAreFull(t *testing.T) {
	release := make(chan struct{})
	started := make(chan string, 4)
	e := start(t, &handler{command: func(ctx context.Context, _ *slackbot.Bot, c slackbot.Command) {
		started <- c.EnvelopeID
		select {
		case <-release:
		case <-ctx.Done():
		}
	}}, func(c *slackbot.Config) { c.Workers, c.Queue, c.BusyText = 1, 1, "busy, try again" })

	running := e.command(t, "pause a")
	e.ack(t, running)
	if id := recv(t, started); id != running {
		t.Fatalf("started %s, want %s", id, running)
	}
	queued := e.command(t, "pause b") // fills the one queue slot
	if a := e.ack(t, queued); a.Payload != nil {
		t.Errorf("queued command's ack = %s, want no payload", a.Payload)
	}
	refused := e.command(t, "pause c")
	var p struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}
	a := e.ack(t, refused)
	if err := json.Unmarshal(a.Payload, &p); err != nil || p.ResponseType != "ephemeral" || p.Text != "busy, try again" {
		t.Errorf("busy ack payload = %s (%v)", a.Payload, err)
	}

	close(release)
	if id := recv(t, started); id != queued {
		t.Errorf("second run = %s, want the queued %s", id, queued)
	}
	e.stop()
	if err := e.waitRun(t); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-started:
		t.Errorf("refused command %s reached the handler", id)
	default:
	}
}

func TestBusyClickGetsAnEphemeralNote(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	actions := make(chan slackbot.Action, 1)
	e := start(t, &handler{
		command: func(ctx context.Context, _ *slackbot.Bot, _ slackbot.Command) {
			started <- struct{}{}
			select {
			case <-release:
			case <-ctx.Done():
			}
		},
		action: func(_ context.Context, _ *slackbot.Bot, a slackbot.Action) { actions <- a },
	}, func(c *slackbot.Config) { c.Workers, c.Queue, c.BusyText = 1, 1, "busy, try again" })
	defer close(release)

	ts, err := e.bot.Post(testCtx(t), "C1", card())
	if err != nil {
		t.Fatal(err)
	}
	e.ack(t, e.command(t, "pause a"))
	recv(t, started)
	e.ack(t, e.command(t, "pause b"))

	id, err := e.fake.Click(fakeslack.Click{UserID: "U2", ChannelID: "C1", MessageTS: ts, ActionID: "approve", Value: "req-42"})
	if err != nil {
		t.Fatal(err)
	}
	if a := e.ack(t, id); a.Payload != nil {
		t.Errorf("click ack payload = %s", a.Payload)
	}
	err = e.fake.WaitFor(testCtx(t), func() bool {
		for _, m := range e.fake.Ephemerals() {
			if m.Channel == "C1" && m.User == "U2" && m.Text == "busy, try again" {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("no busy ephemeral: %v", err)
	}
	select {
	case a := <-actions:
		t.Errorf("refused click reached the handler: %+v", a)
	default:
	}
}

func TestMalformedFramesAreAckedAndTheBotKeepsWorking(t *testing.T) {
	got := make(chan slackbot.Command, 1)
	e := start(t, &handler{
		command: func(_ context.Context, _ *slackbot.Bot, c slackbot.Command) { got <- c },
		action: func(_ context.Context, _ *slackbot.Bot, a slackbot.Action) {
			t.Errorf("a malformed frame reached HandleAction: %+v", a)
		},
	}, nil)

	frames := map[string]string{
		// Decodes as JSON but not as an InteractionCallback: slack-go's
		// error_bad_message, which carries no Request.
		"bad-1": `{"envelope_id":"bad-1","type":"interactive","payload":{"type":"block_actions","is_enterprise_install":"false"}}`,
		// An envelope type slack-go does not know.
		"bad-2": `{"envelope_id":"bad-2","type":"mystery","payload":{}}`,
	}
	for id, f := range frames {
		if err := e.fake.SendRaw([]byte(f)); err != nil {
			t.Fatal(err)
		}
		e.ack(t, id)
	}
	// Not JSON at all: slack-go drops it before anyone can read an
	// envelope_id, so it cannot be acked; the socket must survive it.
	if err := e.fake.SendRaw([]byte(`{"envelope_id":"bad-3",`)); err != nil {
		t.Fatal(err)
	}

	id := e.command(t, "status prod")
	e.ack(t, id)
	if c := recv(t, got); c.EnvelopeID != id {
		t.Errorf("handled %s, want %s", c.EnvelopeID, id)
	}
	if n := e.fake.Tickets(); n != 1 {
		t.Errorf("Tickets() = %d: bad frames cost a reconnect", n)
	}
	if !strings.Contains(e.logs.String(), "envelope_id=bad-1") {
		t.Errorf("bad frame not logged with its envelope_id:\n%s", e.logs.String())
	}
}

func TestOtherEnvelopesAreAckedAndIgnored(t *testing.T) {
	got := make(chan slackbot.Command, 4)
	// One worker: the pool is FIFO, so anything wrongly dispatched before
	// the /sync command would reach the handler first.
	e := start(t, &handler{command: func(_ context.Context, _ *slackbot.Bot, c slackbot.Command) { got <- c }},
		func(c *slackbot.Config) { c.Workers = 1 })

	other, err := e.fake.SlashCommand(fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1", Command: "/other"})
	if err != nil {
		t.Fatal(err)
	}
	e.ack(t, other)
	event := `{"envelope_id":"ev-1","type":"events_api","accepts_response_payload":false,"payload":{"token":"vtok","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"Ev1","event_time":1700000000,"event":{"type":"app_mention","user":"U1","text":"hi","channel":"C1","ts":"1700000000.000100"}}}`
	if err := e.fake.SendRaw([]byte(event)); err != nil {
		t.Fatal(err)
	}
	e.ack(t, "ev-1")

	id := e.command(t, "help")
	if c := recv(t, got); c.EnvelopeID != id || c.Command != "/sync" {
		t.Errorf("first handled = %+v, want the /sync command %s", c, id)
	}
}

func TestClickReachesHandleAction(t *testing.T) {
	got := make(chan slackbot.Action, 1)
	e := start(t, &handler{action: func(_ context.Context, _ *slackbot.Bot, a slackbot.Action) { got <- a }}, nil)
	ts, err := e.bot.Post(testCtx(t), "C1", card())
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.fake.Click(fakeslack.Click{
		UserID: "U2", UserName: "bob", UserTeamID: "T2", ChannelID: "C1", MessageTS: ts, ActionID: "approve", Value: "req-42",
	})
	if err != nil {
		t.Fatal(err)
	}
	e.ack(t, id)
	a := recv(t, got)
	want := slackbot.Action{
		EnvelopeID: id, TeamID: "T1", APIAppID: "A1", UserID: "U2", UserName: "bob", UserTeamID: "T2",
		ChannelID: "C1", MessageTS: ts, ActionID: "approve", BlockID: "approval", Value: "req-42",
		ResponseURL: a.ResponseURL, TriggerID: a.TriggerID,
	}
	if a != want || a.ResponseURL == "" || a.TriggerID == "" {
		t.Errorf("action = %+v\nwant %+v", a, want)
	}
}
