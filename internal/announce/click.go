package announce

import (
	"context"
	"log/slog"

	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
)

type clickKey struct{}

// WithClick carries the response_url of the click being handled, so that
// the operation it moves can be shown on the clicked card even where the
// bot cannot update it (chat.update needs membership of the channel).
func WithClick(ctx context.Context, responseURL string) context.Context {
	if responseURL == "" {
		return ctx
	}
	return context.WithValue(ctx, clickKey{}, responseURL)
}

// replace shows m on the clicked card through the click's response_url,
// if ctx carries one, and reports whether it did. Slack takes 5 posts per
// response_url within 30 minutes: a decision, the start and the outcome
// use 3.
func (a *Announcer) replace(ctx context.Context, log *slog.Logger, op store.Op, m messages.Message) bool {
	url, _ := ctx.Value(clickKey{}).(string)
	if url == "" {
		return false
	}
	if err := a.Slack.Replace(ctx, url, m); err != nil {
		log.Warn("replacing the card through the click's response_url failed", "op", op.ID, "err", err)
		return false
	}
	log.Info("card replaced through the click's response_url", "op", op.ID)
	return true
}
