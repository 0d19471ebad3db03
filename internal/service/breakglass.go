package service

import (
	"context"
	"errors"
	"log/slog"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/commands"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
)

// Break-glass is the sanctioned way past the two-person rule when no second
// person answers: /sync terminate <app> --break-glass <reason>, by someone
// in SYNC_BREAKGLASS (authorize checks), runs at once. It is announced in
// the channel with @here, journaled and audited as break-glass, and opens a
// review that an approver other than the breaker closes with /sync ack;
// until then the sweeper reminds the channel every RemindEvery.

// breakGlass runs a terminate without approval.
func (s *Service) breakGlass(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) {
	p, ok := s.prepareTerminate(ctx, log, inv, cmd, "break-glass terminate", "done")
	if !ok {
		return
	}
	// Journaled executing at once: the row is the per-target lock and the
	// record that the glass was broken, before anything is sent.
	op, ok := s.run(ctx, log, inv, store.Op{
		Kind: store.Terminate, BreakGlass: true, App: cmd.App, Target: p.target, Reason: cmd.Reason,
		SyncKind: p.read.Variant, SyncBefore: p.read.State, SyncAfter: adminapi.StateTerminated,
	}, p.now, "the break-glass terminate")
	if !ok {
		return
	}
	log = log.With("op", op.ID)
	defer s.hold(ctx, log, op)()
	log.Warn("break-glass: terminating without a second person's approval", "reason_len", len(cmd.Reason))
	setOutcome(ctx, "break_glass")
	op.MessageTS = s.say.Announce(ctx, log, op)
	s.terminate(ctx, log, op)
}

// acknowledge is /sync ack T-7: an approver closes a break-glass review.
func (s *Service) acknowledge(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) {
	log = log.With("op", cmd.RequestID)
	refuse := func(m messages.Message) {
		setOutcome(ctx, "refused")
		s.whisper(ctx, log, inv, m)
	}
	op, err := s.store.GetOp(ctx, cmd.RequestID)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && !op.BreakGlass):
		refuse(s.book.NotBreakGlass(cmd.RequestID))
		return
	case err != nil:
		log.Error("reading the operation failed", "err", err)
		refuse(messages.JournalDown("read that operation", "nothing changed"))
		return
	case op.ReviewedBy != "":
		refuse(messages.AlreadyAcknowledged(op.ID, op.ReviewedBy))
		return
	case !op.State.Final():
		refuse(messages.StillRunning(op.ID))
		return
	}
	who := approval.Person{ID: inv.UserID}
	if inv.UserID != op.Requester {
		ok, err := s.mayApprove(ctx, inv.UserID)
		if err != nil {
			refuse(lookupFailed(ctx, log, "acknowledge "+messages.OpName(op.ID), err, "Nothing changed"))
			return
		}
		who.Approver = ok
	}
	switch s.cfg.Policy.Acknowledge(op.Requester, who) {
	case approval.SelfReview:
		refuse(messages.SelfReview(op.ID))
		return
	case approval.NotApprover:
		refuse(messages.NotReviewer(s.cfg.Policy.Approvers()))
		return
	case approval.Outsider:
		refuse(messages.Text(messages.Outsider))
		return
	}
	acked, err := s.store.Acknowledge(ctx, op.ID, inv.UserID, s.clock.Now())
	switch {
	case errors.Is(err, store.ErrConflict):
		refuse(messages.AlreadyAcknowledged(op.ID, acked.ReviewedBy))
		return
	case err != nil:
		log.Error("recording the acknowledgement failed", "err", err)
		refuse(messages.JournalDown("record your acknowledgement", "nothing changed"))
		return
	}
	log.Info("break-glass review acknowledged")
	setOutcome(ctx, "acknowledged")
	s.say.Show(ctx, log, acked) // the announcement now says who reviewed it
	m := s.book.Acknowledged(op, inv.UserID)
	if acked.MessageTS != "" {
		m.ThreadTS = acked.MessageTS
	}
	if _, err := s.say.Slack.Post(ctx, acked.Channel, m); err != nil {
		log.Warn("posting the acknowledgement in the channel failed", "err", err)
	}
	s.whisper(ctx, log, inv, messages.YouAcknowledged(op.ID))
}
