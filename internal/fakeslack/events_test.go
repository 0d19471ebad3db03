package fakeslack_test

import (
	"context"
	"errors"
	"testing"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/fakeslack"
)

func TestSubscribeSeesEventsInOrder(t *testing.T) {
	s := newServer(t)
	events := make(chan fakeslack.Event, 64)
	cancel := s.Subscribe(func(e fakeslack.Event) { events <- e })
	defer cancel()

	connectedClient(t, s)
	ctx := testCtx(t)
	api := webClient(s, botToken)
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("one", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("two", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("psst", false)); err != nil {
		t.Fatal(err)
	}
	id, err := s.SlashCommand(fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1"})
	if err != nil {
		t.Fatal(err)
	}

	want := []string{fakeslack.KindConnect, fakeslack.KindPost, fakeslack.KindUpdate, fakeslack.KindEphemeral, fakeslack.KindAck}
	for i, kind := range want {
		e := recv(t, events)
		if e.Kind != kind || e.At.IsZero() {
			t.Fatalf("event %d = %s, want %s", i, e.Kind, kind)
		}
		switch kind {
		case fakeslack.KindUpdate:
			if e.Message == nil || e.Message.Text != "two" || e.Message.Updates != 1 {
				t.Errorf("update event = %+v", e.Message)
			}
		case fakeslack.KindAck:
			if e.Ack == nil || e.Ack.EnvelopeID != id {
				t.Errorf("ack event = %+v", e.Ack)
			}
		}
	}
}

func TestWaitForHonoursContextAndClose(t *testing.T) {
	s := fakeslack.New(fakeslack.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.WaitFor(ctx, func() bool { return false }); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitFor on a cancelled ctx = %v", err)
	}

	done := make(chan error, 1)
	go func() { done <- s.WaitFor(context.Background(), func() bool { return false }) }()
	s.Close()
	if err := recv(t, done); !errors.Is(err, fakeslack.ErrClosed) {
		t.Errorf("WaitFor after Close = %v, want ErrClosed", err)
	}
	s.Close() // idempotent
}
