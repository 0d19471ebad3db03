package slackbot

import (
	"context"
	"fmt"
)

// OpenConnection asks Slack for a Socket Mode URL (apps.connections.open)
// without dialling it: proof that the app token works and Socket Mode is on.
// The URL is single-use and expires unused.
func (b *Bot) OpenConnection(ctx context.Context) error {
	if _, _, err := b.api.StartSocketModeContext(ctx); err != nil {
		return fmt.Errorf("slackbot: apps.connections.open: %w", err)
	}
	return nil
}
