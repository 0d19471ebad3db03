package messages

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/store"
)

// Pending lists requests waiting for approval and break-glass operations
// waiting for review, as many as fit in one message, each list ending with
// how many more there are.
func (b Book) Pending(ops, reviews []store.Op, now time.Time) Message {
	if len(ops) == 0 && len(reviews) == 0 {
		return Text("No terminate request is waiting for approval.")
	}
	var blocks []slack.Block
	var plain []string
	if len(ops) > 0 {
		lines := make([]string, len(ops))
		for i, op := range ops {
			what := kindLabel(op) + " *" + targetLabel(op) + "*"
			if op.Kind == store.ResumeSkip {
				what = "resume trigger " + triggerName(op) + " of *" + op.App + "* without the missed events"
			}
			lines[i] = fmt.Sprintf("• *%s* %s, asked by %s %s ago, expires %s", OpName(op.ID), what, Mention(op.Requester), Ago(now.Sub(op.CreatedAt)), When(op.ExpiresAt)) + b.rowReason(op)
		}
		blocks = append(append(append(blocks, section("*Waiting for approval*")), b.rows(lines, ops)...),
			note(fmt.Sprintf("Approve or deny on each card in its channel; the requester can withdraw with %s.", b.typed("cancel", "T-…"))))
		plain = append(plain, fmt.Sprintf("%d terminate request(s) waiting for approval", len(ops)))
	} else {
		plain = append(plain, "No terminate request is waiting for approval")
	}
	if len(reviews) > 0 {
		lines := make([]string, len(reviews))
		for i, op := range reviews {
			lines[i] = fmt.Sprintf("• 🚨 *%s* break-glass terminate of *%s* by %s %s ago, without approval", OpName(op.ID), op.App, Mention(op.Requester), Ago(now.Sub(op.CreatedAt))) + b.rowReason(op)
		}
		blocks = append(append(append(blocks, section("*Waiting for review (break-glass)*")), b.rows(lines, reviews)...),
			note(fmt.Sprintf("An approver other than the person who broke the glass acknowledges each with %s.", b.typed("ack", "T-…"))))
		plain = append(plain, fmt.Sprintf("%d break-glass operation(s) waiting for review", len(reviews)))
	}
	return Message{Text: strings.Join(plain, "; "), Blocks: append(blocks, b.hiddenNote()...)}
}

// rowReason ends a pending row with its reason's preview, unless reasons
// are hidden here.
func (b Book) rowReason(op store.Op) string {
	if b.hideReasons || op.Reason == "" {
		return ""
	}
	return ": " + reasonRow(op.Reason)
}

// rows shows at most maxListRows lines of ops, one section each (a section
// holds 3000 characters), then how many more there are and, when they are
// on several apps, how to list one app's.
func (b Book) rows(lines []string, ops []store.Op) []slack.Block {
	if len(lines) <= maxListRows {
		return sections(lines)
	}
	narrow := ""
	for _, op := range ops[maxListRows:] {
		if op.App != ops[0].App {
			narrow = b.typed("pending", ops[0].App)
			break
		}
	}
	return append(sections(lines[:maxListRows]), note(moreLine(len(lines)-maxListRows, narrow)))
}

// hiddenNote says that reasons were left out, where they were.
func (b Book) hiddenNote() []slack.Block {
	if !b.hideReasons {
		return nil
	}
	return []slack.Block{note("Reasons are shown only in the channels where sync changes are asked for.")}
}

// History lists recent operations, newest first, each with its id: at
// most historyRows of ops, then how many more there are.
func (b Book) History(app string, ops []store.Op) Message {
	title := "Recent operations"
	if app != "" {
		title += " on *" + app + "*"
	}
	if len(ops) == 0 {
		return Text(title + ": none yet.")
	}
	shown := ops[:min(len(ops), historyRows)]
	lines := make([]string, len(shown))
	for i, op := range shown {
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
		case op.Target.Kind == store.TriggerTarget:
			l = fmt.Sprintf("• %s *%s* trigger %s of %s (%s) by %s: *%s*", When(op.CreatedAt), op.Kind, triggerName(op), op.App, id, Mention(op.Requester), op.State)
			if op.DecidedBy != "" {
				l += " (" + Mention(op.DecidedBy) + ")"
			}
		case op.Kind == store.Terminate:
			l = fmt.Sprintf("• %s *%s* (%s) %s by %s: *%s*", When(op.CreatedAt), op.Kind, id, op.App, Mention(op.Requester), op.State)
			if op.DecidedBy != "" {
				l += " (" + Mention(op.DecidedBy) + ")"
			}
		}
		if op.Outcome != "" {
			l += ": " + clipMrkdwn(op.Outcome, maxRowOutcome, "…")
		}
		if op.Reason != "" && !b.hideReasons {
			l += "\n    _" + reasonRow(op.Reason) + "_"
		}
		lines[i] = l
	}
	blocks := append([]slack.Block{section(title)}, sections(lines)...)
	text := fmt.Sprintf("%s: %d", strings.ReplaceAll(title, "*", ""), len(ops))
	if more := len(ops) - len(shown); more > 0 {
		narrow := ""
		if app == "" {
			narrow = b.typed("history", "&lt;app&gt;")
		}
		blocks = append(blocks, note(moreLine(more, narrow)))
		text = fmt.Sprintf("%s: the latest %d, %s", strings.ReplaceAll(title, "*", ""), len(shown), moreLine(more, ""))
	}
	return Message{Text: text, Blocks: append(blocks, b.hiddenNote()...)}
}

// historyRows is how many operations history shows.
const historyRows = 15
