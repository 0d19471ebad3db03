package slackbot_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/demo"
	"github.com/syncbot/syncbot/internal/fakeslack"
	"github.com/syncbot/syncbot/internal/slackbot"
)

const (
	appToken = demo.AppToken
	botToken = demo.BotToken
)

// handler adapts funcs to slackbot.Handler. bot is set before Run starts,
// so the funcs may use it.
type handler struct {
	bot     *slackbot.Bot
	command func(ctx context.Context, b *slackbot.Bot, c slackbot.Command)
	action  func(ctx context.Context, b *slackbot.Bot, a slackbot.Action)
}

var _ slackbot.Handler = (*handler)(nil)

func (h *handler) HandleCommand(ctx context.Context, c slackbot.Command) {
	if h.command != nil {
		h.command(ctx, h.bot, c)
	}
}

func (h *handler) HandleAction(ctx context.Context, a slackbot.Action) {
	if h.action != nil {
		h.action(ctx, h.bot, a)
	}
}

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a Bot running against a fake Slack.
type env struct {
	fake   *fakeslack.Server
	bot    *slackbot.Bot
	logs   *syncBuffer
	stop   context.CancelFunc // cancels Run's ctx
	runErr chan error         // Run's result, once
}

// start runs a Bot against a fresh fake and waits until its socket is up.
// Cleanup stops Run; a test that blocks its handler must release it.
func start(t *testing.T, h *handler, tweak func(*slackbot.Config)) *env {
	t.Helper()
	fake := fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken, PingInterval: 50 * time.Millisecond})
	t.Cleanup(fake.Close)
	logs := &syncBuffer{}
	cfg := slackbot.Config{
		AppToken: appToken,
		BotToken: botToken,
		// Without the trailing slash on purpose: the Bot must add it.
		APIURL: strings.TrimSuffix(fake.APIURL(), "/"),
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	bot, err := slackbot.New(cfg, h)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.bot = bot
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{fake: fake, bot: bot, logs: logs, stop: cancel, runErr: make(chan error, 1)}
	go func() { e.runErr <- bot.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-e.runErr:
		case <-time.After(30 * time.Second):
			t.Error("Run did not return after its ctx was cancelled")
		}
		for _, tok := range []string{appToken, botToken} {
			if strings.Contains(logs.String(), tok) {
				t.Errorf("a token appears in the logs:\n%s", logs.String())
			}
		}
	})
	if err := fake.WaitConnected(testCtx(t), 1); err != nil {
		t.Fatalf("bot never connected: %v\nlogs:\n%s", err, logs.String())
	}
	return e
}

// waitRun returns Run's result; it fails the test if Run does not return.
func (e *env) waitRun(t *testing.T) error {
	t.Helper()
	select {
	case err := <-e.runErr:
		e.runErr <- err // leave it for Cleanup
		return err
	case <-testCtx(t).Done():
		t.Fatal("Run did not return")
		return nil
	}
}

// command sends a /sync command and returns its envelope id.
func (e *env) command(t *testing.T, text string) string {
	t.Helper()
	id, err := e.fake.SlashCommand(fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1", Text: text})
	if err != nil {
		t.Fatalf("SlashCommand: %v", err)
	}
	return id
}

func (e *env) ack(t *testing.T, id string) fakeslack.Ack {
	t.Helper()
	a, err := e.fake.WaitAck(testCtx(t), id)
	if err != nil {
		t.Fatalf("no ack for %s: %v\nlogs:\n%s", id, err, e.logs.String())
	}
	return a
}

// testCtx bounds every wait so a broken test fails instead of hanging.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-testCtx(t).Done():
		var zero T
		t.Fatalf("timed out waiting for %T", zero)
		return zero
	}
}

// card is an approval card with two buttons in block "approval".
func card() slackbot.Message {
	return slackbot.Message{
		Text: "Terminate prod?",
		Blocks: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Terminate prod?*", false, false), nil, nil),
			slack.NewActionBlock("approval",
				slack.NewButtonBlockElement("approve", "req-42", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)),
				slack.NewButtonBlockElement("deny", "req-42", slack.NewTextBlockObject(slack.PlainTextType, "Deny", false, false)),
			),
		},
	}
}
