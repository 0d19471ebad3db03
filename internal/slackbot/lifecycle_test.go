package slackbot_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/fakeslack"
	"github.com/syncbot/syncbot/internal/slackbot"
)

func TestReconnects(t *testing.T) {
	for name, drop := range map[string]func(*fakeslack.Server){
		"server disconnect": func(s *fakeslack.Server) { s.Disconnect("refresh_requested") },
		"tcp drop":          (*fakeslack.Server).DropAll,
	} {
		t.Run(name, func(t *testing.T) {
			got := make(chan slackbot.Command, 1)
			reconnected := make(chan struct{}, 4)
			e := start(t, &handler{command: func(_ context.Context, _ *slackbot.Bot, c slackbot.Command) { got <- c }},
				func(c *slackbot.Config) { c.OnReconnect = func() { reconnected <- struct{}{} } })

			drop(e.fake)
			recv(t, reconnected)
			err := e.fake.WaitFor(testCtx(t), func() bool { return e.fake.Tickets() >= 2 && e.fake.Connections() == 1 })
			if err != nil {
				t.Fatalf("tickets %d, connections %d: %v", e.fake.Tickets(), e.fake.Connections(), err)
			}
			id := e.command(t, "status prod")
			e.ack(t, id)
			if c := recv(t, got); c.EnvelopeID != id {
				t.Errorf("handled %s, want %s", c.EnvelopeID, id)
			}
			if !e.bot.Connected() {
				t.Error("Connected() = false after reconnecting")
			}
		})
	}
}

// TestRunWaitsForInFlightWorkAfterCancel: the handler finishes after Run's
// ctx is cancelled and can still post its outcome.
func TestRunWaitsForInFlightWorkAfterCancel(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	posted := make(chan error, 1)
	e := start(t, &handler{command: func(ctx context.Context, b *slackbot.Bot, c slackbot.Command) {
		close(started)
		<-release
		_, err := b.Post(ctx, c.ChannelID, slackbot.Message{Text: "paused prod"})
		posted <- err
	}}, nil)

	e.ack(t, e.command(t, "pause prod"))
	<-started
	e.stop()
	select {
	case err := <-e.runErr:
		t.Fatalf("Run returned %v while a handler was still running", err)
	default:
	}
	close(release)
	if err := recv(t, posted); err != nil {
		t.Errorf("post after cancel: %v", err)
	}
	if err := e.waitRun(t); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if e.bot.Connected() {
		t.Error("Connected() = true after Run returned")
	}
	if msgs := e.fake.Messages("C1"); len(msgs) != 1 || msgs[0].Text != "paused prod" {
		t.Errorf("messages = %+v", msgs)
	}
}

func TestDrainTimeoutCancelsHandlerWork(t *testing.T) {
	started := make(chan string, 2)
	cancelled := make(chan error, 2)
	e := start(t, &handler{command: func(ctx context.Context, _ *slackbot.Bot, c slackbot.Command) {
		started <- c.EnvelopeID
		<-ctx.Done()
		cancelled <- ctx.Err()
	}}, func(c *slackbot.Config) {
		c.Workers, c.Queue = 1, 1
		c.DrainTimeout = 50 * time.Millisecond // the handler ignores everything but ctx
	})

	first := e.command(t, "pause a")
	e.ack(t, first)
	recv(t, started)
	e.ack(t, e.command(t, "pause b")) // queued behind the stuck handler
	e.stop()
	if err := e.waitRun(t); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if err := recv(t, cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("handler ctx err = %v, want Canceled", err)
	}
	select {
	case id := <-started:
		t.Errorf("queued %s started after the drain timed out", id)
	default:
	}
}

// TestRunWaitsForCancelledHandlersToReturn: a handler still busy after the
// drain bound is cancelled, and Run returns only once it has returned,
// because the caller closes the store as soon as Run returns.
func TestRunWaitsForCancelledHandlersToReturn(t *testing.T) {
	started := make(chan struct{})
	cancelled := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock()
	var returned atomic.Bool
	waiting := make(chan struct{})
	e := start(t, &handler{command: func(ctx context.Context, _ *slackbot.Bot, _ slackbot.Command) {
		close(started)
		<-ctx.Done()
		close(cancelled)
		<-release // still writing its outcome after the cancel
		returned.Store(true)
	}}, func(c *slackbot.Config) {
		c.DrainTimeout = 50 * time.Millisecond
		c.Logger = slog.New(&onMessage{Handler: c.Logger.Handler(), msg: "shutdown: waiting for cancelled handler work to return", seen: waiting, once: new(sync.Once)})
	})

	e.ack(t, e.command(t, "pause prod"))
	recv(t, started)
	e.stop()
	recv(t, cancelled)
	select {
	case err := <-e.runErr:
		e.runErr <- err // for Cleanup
		t.Fatalf("Run returned (%v) while a cancelled handler was still running", err)
	case <-waiting:
	case <-testCtx(t).Done():
		t.Fatal("Run neither returned nor said it waits for the handler")
	}
	unblock()
	if err := e.waitRun(t); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if !returned.Load() {
		t.Error("Run returned before the handler did")
	}
}

// onMessage is a slog.Handler that closes seen the first time a record
// with message msg is handled. once is shared with its WithAttrs copies.
type onMessage struct {
	slog.Handler
	msg  string
	seen chan struct{}
	once *sync.Once
}

func (h *onMessage) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Message == h.msg {
		h.once.Do(func() { close(h.seen) })
	}
	return err
}

func (h *onMessage) WithAttrs(as []slog.Attr) slog.Handler {
	return &onMessage{Handler: h.Handler.WithAttrs(as), msg: h.msg, seen: h.seen, once: h.once}
}

func (h *onMessage) WithGroup(name string) slog.Handler {
	return &onMessage{Handler: h.Handler.WithGroup(name), msg: h.msg, seen: h.seen, once: h.once}
}

func TestInvalidAppTokenMakesRunFail(t *testing.T) {
	fake := fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken})
	t.Cleanup(fake.Close)
	logs := &syncBuffer{}
	const wrong = "xapp-1-wrong-secret"
	bot, err := slackbot.New(slackbot.Config{
		AppToken: wrong, BotToken: botToken, APIURL: fake.APIURL(),
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, &handler{})
	if err != nil {
		t.Fatal(err)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- bot.Run(testCtx(t)) }()
	err = recv(t, runErr)
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_auth" {
		t.Fatalf("Run = %v, want invalid_auth", err)
	}
	for _, s := range []string{err.Error(), logs.String()} {
		if strings.Contains(s, wrong) || strings.Contains(s, botToken) {
			t.Errorf("token leaked: %s", s)
		}
	}
	if bot.Connected() {
		t.Error("Connected() = true after a fatal connect error")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg slackbot.Config
		h   slackbot.Handler
	}{
		"no app token":   {slackbot.Config{BotToken: botToken}, &handler{}},
		"no bot token":   {slackbot.Config{AppToken: appToken}, &handler{}},
		"negative queue": {slackbot.Config{AppToken: appToken, BotToken: botToken, Queue: -1}, &handler{}},
		"nil handler":    {slackbot.Config{AppToken: appToken, BotToken: botToken}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := slackbot.New(tc.cfg, tc.h); err == nil {
				t.Error("New accepted it")
			}
		})
	}
}

func TestRunTwiceIsRefused(t *testing.T) {
	e := start(t, &handler{}, nil)
	if err := e.bot.Run(testCtx(t)); err == nil {
		t.Error("a second concurrent Run was accepted")
	}
}

func TestConfigNeverPrintsTokens(t *testing.T) {
	cfg := slackbot.Config{AppToken: appToken, BotToken: botToken, APIURL: "http://x/api/"}
	logs := &syncBuffer{}
	slog.New(slog.NewJSONHandler(logs, nil)).Info("config", "cfg", cfg)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg), logs.String()} {
		if strings.Contains(s, appToken) || strings.Contains(s, botToken) || !strings.Contains(s, "http://x/api/") {
			t.Errorf("printed config = %s", s)
		}
	}
}
