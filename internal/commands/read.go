package commands

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/store"
)

// status answers /sync status <app> to the asker alone.
func (s *Service) status(ctx context.Context, log *slog.Logger, inv Invocation, cmd Command) {
	var last, pending []store.Op
	var lerr, perr error
	wait := parallel(func() {
		last, lerr = s.store.ListOps(ctx, store.Filter{App: cmd.App, Limit: 1})
		pending, perr = s.store.ListOps(ctx, store.Filter{App: cmd.App, States: []store.State{store.Pending}, Limit: 1})
	})
	cfg, err := s.admin.Sync(ctx, s.cfg.Apps[cmd.App])
	wait()
	if err != nil {
		s.whisper(ctx, log, inv, text(fmt.Sprintf("Could not read the state of *%s*: %s", cmd.App, userMessage(err, s.cfg.Apps, cmd.App))))
		return
	}
	v := StatusView{App: cmd.App, State: cfg.State, Kind: cfg.Kind, LastDisabled: cfg.LastDisabled, Now: s.clock.Now()}
	if lerr != nil || perr != nil {
		log.Error("reading the journal for status failed", "err", fmt.Sprint(lerr, perr))
	}
	if len(last) > 0 {
		v.Last = &last[0]
	}
	if len(pending) > 0 {
		v.Pending = &pending[0]
	}
	s.whisper(ctx, log, inv, StatusMessage(v))
}

const historyLimit = 15

// history answers /sync history [app] to the asker alone.
func (s *Service) history(ctx context.Context, log *slog.Logger, inv Invocation, cmd Command) {
	ops, err := s.store.ListOps(ctx, store.Filter{App: cmd.App, Limit: historyLimit})
	if err != nil {
		log.Error("reading history failed", "err", err)
		s.whisper(ctx, log, inv, text("I could not read the history (the journal did not answer). Try again in a moment."))
		return
	}
	s.whisper(ctx, log, inv, HistoryMessage(cmd.App, ops))
}

// pending answers /sync pending to the asker alone: requests waiting for
// approval, and break-glass operations waiting for review.
func (s *Service) pending(ctx context.Context, log *slog.Logger, inv Invocation) {
	var reviews []store.Op
	var rerr error
	wait := parallel(func() { reviews, rerr = s.store.ListOps(ctx, store.Filter{Unreviewed: true}) })
	ops, err := s.store.ListOps(ctx, store.Filter{States: []store.State{store.Pending}})
	wait()
	if err == nil {
		err = rerr
	}
	if err != nil {
		log.Error("reading pending requests failed", "err", err)
		s.whisper(ctx, log, inv, text("I could not read the pending requests (the journal did not answer). Try again in a moment."))
		return
	}
	s.whisper(ctx, log, inv, PendingMessage(ops, reviews, s.clock.Now()))
}

// PendingMessage lists requests waiting for approval and break-glass
// operations waiting for review.
func PendingMessage(ops, reviews []store.Op, now time.Time) Message {
	if len(ops) == 0 && len(reviews) == 0 {
		return text("No terminate request is waiting for approval.")
	}
	var blocks []slack.Block
	var plain []string
	if len(ops) > 0 {
		lines := make([]string, len(ops))
		for i, op := range ops {
			lines[i] = fmt.Sprintf("• *%s* terminate *%s*, asked by %s %s ago, expires %s: %s",
				RequestName(op.ID), op.App, mention(op.Requester), ago(now.Sub(op.CreatedAt)), when(op.ExpiresAt), escape(clip(op.Reason, 80)))
		}
		blocks = append(append(append(blocks, section("*Waiting for approval*")), sections(lines)...),
			note("Approve or deny on each card in its channel; the requester can withdraw with `/sync cancel T-…`."))
		plain = append(plain, fmt.Sprintf("%d terminate request(s) waiting for approval", len(ops)))
	} else {
		plain = append(plain, "No terminate request is waiting for approval")
	}
	if len(reviews) > 0 {
		lines := make([]string, len(reviews))
		for i, op := range reviews {
			lines[i] = fmt.Sprintf("• 🚨 *%s* break-glass terminate of *%s* by %s %s ago, without approval: %s",
				RequestName(op.ID), op.App, mention(op.Requester), ago(now.Sub(op.CreatedAt)), escape(clip(op.Reason, 80)))
		}
		blocks = append(append(append(blocks, section("*Waiting for review (break-glass)*")), sections(lines)...),
			note("An approver other than the person who broke the glass acknowledges each with `/sync ack T-…`."))
		plain = append(plain, fmt.Sprintf("%d break-glass operation(s) waiting for review", len(reviews)))
	}
	return Message{Text: strings.Join(plain, "; "), Blocks: blocks}
}

// sections puts one entry per section: Slack caps a section at 3000
// characters, and 15 entries with reasons would pass that.
func sections(lines []string) []slack.Block {
	b := make([]slack.Block, len(lines))
	for i, l := range lines {
		b[i] = section(l)
	}
	return b
}

// HistoryMessage lists recent operations, newest first.
func HistoryMessage(app string, ops []store.Op) Message {
	title := "Recent operations"
	if app != "" {
		title += " on *" + app + "*"
	}
	if len(ops) == 0 {
		return text(title + ": none yet.")
	}
	lines := make([]string, len(ops))
	for i, op := range ops {
		l := fmt.Sprintf("• %s *%s* %s by %s: *%s*", when(op.CreatedAt), op.Kind, op.App, mention(op.Requester), op.State)
		switch {
		case op.BreakGlass:
			l = fmt.Sprintf("• %s 🚨 *break-glass %s* (%s) %s by %s, without approval: *%s*", when(op.CreatedAt), op.Kind, RequestName(op.ID), op.App, mention(op.Requester), op.State)
			if op.ReviewedBy != "" {
				l += " (reviewed by " + mention(op.ReviewedBy) + ")"
			} else {
				l += fmt.Sprintf(" (*review open*: `/sync ack %s`)", RequestName(op.ID))
			}
		case op.Kind == store.Terminate:
			l = fmt.Sprintf("• %s *%s* (%s) %s by %s: *%s*", when(op.CreatedAt), op.Kind, RequestName(op.ID), op.App, mention(op.Requester), op.State)
			if op.DecidedBy != "" {
				l += " (" + mention(op.DecidedBy) + ")"
			}
		}
		if op.Outcome != "" {
			l += ": " + clip(op.Outcome, 120)
		}
		if op.Reason != "" {
			l += "\n    _" + escape(clip(op.Reason, 120)) + "_"
		}
		lines[i] = l
	}
	return Message{
		Text:   fmt.Sprintf("%s: %d", strings.ReplaceAll(title, "*", ""), len(ops)),
		Blocks: append([]slack.Block{section(title)}, sections(lines)...),
	}
}
