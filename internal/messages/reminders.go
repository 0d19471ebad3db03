package messages

import (
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/store"
)

// ExpiryReminder is the thread reply under a card about to expire.
func (b Book) ExpiryReminder(op store.Op, now time.Time) Message {
	what := "terminate Device Sync for *" + op.App + "*"
	if op.Kind == store.ResumeSkip {
		what = "resume trigger " + triggerName(op) + " of *" + op.App + "* without the missed events"
	}
	md := fmt.Sprintf("⏳ *%s expires in %s* (%s) and nothing changes until someone decides: %s asks to %s. Approve or deny on the card above.",
		OpName(op.ID), Ago(op.ExpiresAt.Sub(now)), When(op.ExpiresAt), Mention(op.Requester), what)
	return Message{Text: fmt.Sprintf("%s expires in %s: approve or deny on the card.", OpName(op.ID), Ago(op.ExpiresAt.Sub(now))), Blocks: []slack.Block{section(md)}}
}

// PausedReminder tells the channel an app is still paused, and what that
// risks.
func (b Book) PausedReminder(pause store.Op, now time.Time) Message {
	head := fmt.Sprintf("⏰ *%s* is still paused: for %s now (since %s, by %s, %s).", pause.App, Ago(now.Sub(pause.UpdatedAt)), When(pause.UpdatedAt), Mention(pause.Requester), OpName(pause.ID))
	blocks := []slack.Block{section(head)}
	if pause.Reason != "" {
		blocks = append(blocks, section("*Reason given:* "+reasonShown(pause.Reason)))
	}
	blocks = append(blocks, note(
		"A pause longer than the cluster's oplog window forces a terminate, and every client must then do a client reset. Sync also pauses itself after 30 days without activity.",
		fmt.Sprintf("Resume with %s as soon as it is safe.", b.typed("resume", pause.App))))
	return Message{Text: fmt.Sprintf("%s is still paused (%s): resume before the oplog window runs out.", pause.App, Ago(now.Sub(pause.UpdatedAt))), Blocks: blocks}
}
