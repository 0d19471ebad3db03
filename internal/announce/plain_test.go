package announce_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/announce"
	"github.com/syncbot/syncbot/internal/messages"
)

// refusing is a Slack that answers code to every message with blocks, and
// records what it accepted.
type refusing struct {
	code string
	got  []messages.Message
}

var _ announce.Slack = (*refusing)(nil)

func (r *refusing) take(m messages.Message) error {
	if len(m.Blocks) > 0 {
		return fmt.Errorf("slackbot: chat.postMessage: %w", slack.SlackErrorResponse{Err: r.code})
	}
	r.got = append(r.got, m)
	return nil
}

func (r *refusing) Post(_ context.Context, _ string, m messages.Message) (string, error) {
	return "1.1", r.take(m)
}
func (r *refusing) Update(_ context.Context, _, _ string, m messages.Message) error { return r.take(m) }
func (r *refusing) Ephemeral(_ context.Context, _, _ string, m messages.Message) error {
	return r.take(m)
}
func (r *refusing) Respond(_ context.Context, _ string, m messages.Message, _ bool) error {
	return r.take(m)
}
func (r *refusing) Replace(_ context.Context, _ string, m messages.Message) error { return r.take(m) }

// TestPlainFallback: a message refused for its blocks or length goes again
// as its text alone, through every method, clipped to Slack's 4000; any
// other refusal is returned as is.
func TestPlainFallback(t *testing.T) {
	ctx := t.Context()
	m := messages.Text("⏸️ Paused sync for prod")
	m.Text += strings.Repeat("x", 5000)
	for _, code := range []string{"invalid_blocks", "msg_too_long"} {
		r := &refusing{code: code}
		s := announce.WithPlainFallback(r, slog.New(slog.DiscardHandler))
		if _, err := s.Post(ctx, "C1", m); err != nil {
			t.Fatalf("%s: Post: %v", code, err)
		}
		for name, err := range map[string]error{
			"Update": s.Update(ctx, "C1", "1.1", m), "Ephemeral": s.Ephemeral(ctx, "C1", "U1", m),
			"Respond": s.Respond(ctx, "https://hooks.invalid/x", m, true), "Replace": s.Replace(ctx, "https://hooks.invalid/x", m),
		} {
			if err != nil {
				t.Errorf("%s: %s: %v", code, name, err)
			}
		}
		if len(r.got) != 5 {
			t.Fatalf("%s: %d messages went through, want 5", code, len(r.got))
		}
		for _, g := range r.got {
			if len(g.Blocks) != 0 || !strings.HasPrefix(g.Text, "⏸️ Paused sync for prod") || len([]rune(g.Text)) != 4000 {
				t.Errorf("%s: sent %d blocks, %d characters: %.40q", code, len(g.Blocks), len([]rune(g.Text)), g.Text)
			}
		}
	}
	r := &refusing{code: "not_in_channel"}
	_, err := announce.WithPlainFallback(r, slog.New(slog.DiscardHandler)).Post(ctx, "C1", m)
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "not_in_channel" || len(r.got) != 0 {
		t.Errorf("not_in_channel: %v, %d sent", err, len(r.got))
	}
}
