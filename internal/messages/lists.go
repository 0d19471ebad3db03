package messages

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/store"
)

// Pending lists requests waiting for approval and break-glass operations
// waiting for review.
func (b Book) Pending(ops, reviews []store.Op, now time.Time) Message {
	if len(ops) == 0 && len(reviews) == 0 {
		return Text("No terminate request is waiting for approval.")
	}
	var blocks []slack.Block
	var plain []string
	if len(ops) > 0 {
		lines := make([]string, len(ops))
		for i, op := range ops {
			lines[i] = fmt.Sprintf("• *%s* %s *%s*, asked by %s %s ago, expires %s: %s",
				OpName(op.ID), kindLabel(op), targetLabel(op), Mention(op.Requester), Ago(now.Sub(op.CreatedAt)), When(op.ExpiresAt), Escape(Clip(op.Reason, 80)))
		}
		blocks = append(append(append(blocks, section("*Waiting for approval*")), sections(lines)...),
			note(fmt.Sprintf("Approve or deny on each card in its channel; the requester can withdraw with %s.", b.typed("cancel", "T-…"))))
		plain = append(plain, fmt.Sprintf("%d terminate request(s) waiting for approval", len(ops)))
	} else {
		plain = append(plain, "No terminate request is waiting for approval")
	}
	if len(reviews) > 0 {
		lines := make([]string, len(reviews))
		for i, op := range reviews {
			lines[i] = fmt.Sprintf("• 🚨 *%s* break-glass terminate of *%s* by %s %s ago, without approval: %s",
				OpName(op.ID), op.App, Mention(op.Requester), Ago(now.Sub(op.CreatedAt)), Escape(Clip(op.Reason, 80)))
		}
		blocks = append(append(append(blocks, section("*Waiting for review (break-glass)*")), sections(lines)...),
			note(fmt.Sprintf("An approver other than the person who broke the glass acknowledges each with %s.", b.typed("ack", "T-…"))))
		plain = append(plain, fmt.Sprintf("%d break-glass operation(s) waiting for review", len(reviews)))
	}
	return Message{Text: strings.Join(plain, "; "), Blocks: blocks}
}

// History lists recent operations, newest first, each with its id.
func (b Book) History(app string, ops []store.Op) Message {
	title := "Recent operations"
	if app != "" {
		title += " on *" + app + "*"
	}
	if len(ops) == 0 {
		return Text(title + ": none yet.")
	}
	lines := make([]string, len(ops))
	for i, op := range ops {
		id := OpName(op.ID)
		l := fmt.Sprintf("• %s *%s* %s (%s) by %s: *%s*", When(op.CreatedAt), kindLabel(op), targetLabel(op), id, Mention(op.Requester), op.State)
		switch {
		case op.BreakGlass:
			l = fmt.Sprintf("• %s 🚨 *break-glass %s* (%s) %s by %s, without approval: *%s*", When(op.CreatedAt), op.Kind, id, op.App, Mention(op.Requester), op.State)
			if op.ReviewedBy != "" {
				l += " (reviewed by " + Mention(op.ReviewedBy) + ")"
			} else {
				l += fmt.Sprintf(" (*review open*: %s)", b.typed("ack", id))
			}
		case op.Kind == store.Terminate:
			l = fmt.Sprintf("• %s *%s* (%s) %s by %s: *%s*", When(op.CreatedAt), op.Kind, id, op.App, Mention(op.Requester), op.State)
			if op.DecidedBy != "" {
				l += " (" + Mention(op.DecidedBy) + ")"
			}
		}
		if op.Outcome != "" {
			l += ": " + Clip(op.Outcome, 120)
		}
		if op.Reason != "" {
			l += "\n    _" + Escape(Clip(op.Reason, 120)) + "_"
		}
		lines[i] = l
	}
	return Message{
		Text:   fmt.Sprintf("%s: %d", strings.ReplaceAll(title, "*", ""), len(ops)),
		Blocks: append([]slack.Block{section(title)}, sections(lines)...),
	}
}
