package fakeslack_test

import (
	"context"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/syncbot/syncbot/internal/demo"
	"github.com/syncbot/syncbot/internal/fakeslack"
)

const (
	appToken = demo.AppToken
	botToken = demo.BotToken
)

// newServer starts a fake with test tokens and a fast ping, closed when the
// test ends.
func newServer(t *testing.T) *fakeslack.Server {
	t.Helper()
	s := fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken, PingInterval: 20 * time.Millisecond})
	t.Cleanup(s.Close)
	return s
}

// testCtx bounds every wait so a broken test fails instead of hanging.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func webClient(s *fakeslack.Server, token string) *slack.Client {
	return slack.New(token, slack.OptionAPIURL(s.APIURL()))
}

// startClient runs the real slack-go Socket Mode client against s until the
// test ends. handle is called on the reading goroutine for every event and
// must not block: a stalled reader stops slack-go answering PINGs.
func startClient(t *testing.T, s *fakeslack.Server, token string, handle func(socketmode.Event, *socketmode.Client)) <-chan error {
	t.Helper()
	api := slack.New(botToken, slack.OptionAppLevelToken(token), slack.OptionAPIURL(s.APIURL()))
	sm := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	readDone := make(chan struct{})
	go func() { runErr <- sm.RunContext(ctx) }()
	go func() {
		defer close(readDone)
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-sm.Events:
				handle(evt, sm)
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-readDone
	})
	return runErr
}

// ackAll acks every envelope without payload.
func ackAll(evt socketmode.Event, c *socketmode.Client) {
	if evt.Request != nil && evt.Request.EnvelopeID != "" {
		_ = c.AckCtx(context.Background(), evt.Request.EnvelopeID, nil)
	}
}

// connectedClient starts a client that acks everything and passes slash
// commands and interactions to the returned channels.
func connectedClient(t *testing.T, s *fakeslack.Server) (<-chan slack.SlashCommand, <-chan slack.InteractionCallback) {
	t.Helper()
	cmds := make(chan slack.SlashCommand, 16)
	clicks := make(chan slack.InteractionCallback, 16)
	startClient(t, s, appToken, func(evt socketmode.Event, c *socketmode.Client) {
		ackAll(evt, c)
		switch d := evt.Data.(type) {
		case slack.SlashCommand:
			cmds <- d
		case slack.InteractionCallback:
			clicks <- d
		}
	})
	if err := s.WaitConnected(testCtx(t), 1); err != nil {
		t.Fatalf("WaitConnected: %v", err)
	}
	return cmds, clicks
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
