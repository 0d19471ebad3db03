package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/store"
)

// Break-glass is the sanctioned way past the two-person rule when no second
// person answers: /sync terminate <app> --break-glass <reason>, by someone
// in SYNC_BREAKGLASS (authorize checks), runs at once. It is announced in
// the channel with @here, journaled and audited as break-glass, and opens a
// review that an approver other than the breaker closes with /sync ack;
// until then the channel is reminded every RemindEvery.

// breakGlass runs a terminate without approval.
func (s *Service) breakGlass(ctx context.Context, log *slog.Logger, inv Invocation, cmd Command) {
	cfg, now, ok := s.prepareTerminate(ctx, log, inv, cmd, "break-glass terminate", "done")
	if !ok {
		return
	}
	// Journaled executing at once: the row is the per-app lock and the
	// record that the glass was broken, before anything is sent.
	op, created, err := s.store.CreateOp(ctx, store.Op{
		Key: inv.TriggerID, Kind: store.Terminate, BreakGlass: true, App: cmd.App,
		Requester: inv.UserID, RequesterName: inv.UserName, Channel: inv.ChannelID, ResponseURL: inv.ResponseURL,
		Reason: cmd.Reason, State: store.Executing, SyncKind: cfg.Kind, SyncBefore: cfg.State, SyncAfter: "",
		Holder: s.cfg.Holder, LeaseUntil: now.Add(s.cfg.Lease),
	}, now)
	var busy *store.BusyError
	switch {
	case errors.As(err, &busy):
		setOutcome(ctx, "busy")
		s.whisper(ctx, log, inv, busyMessage(busy.Op, now))
		return
	case err != nil:
		log.Error("journaling the break-glass terminate failed", "err", err)
		s.whisper(ctx, log, inv, text("I could not record the break-glass terminate (the journal did not answer), so nothing was done. Try again in a moment."))
		return
	case !created:
		log.Info("replayed break-glass ignored", "op", op.ID)
		return
	}
	log = log.With("op", op.ID)
	log.Warn("break-glass: terminating without a second person's approval", "reason_len", len(cmd.Reason))
	setOutcome(ctx, "break_glass")
	op.MessageTS = s.announce(ctx, log, op, s.render(op))
	s.terminate(ctx, log, op)
}

// acknowledge is /sync ack T-7: an approver closes a break-glass review.
func (s *Service) acknowledge(ctx context.Context, log *slog.Logger, inv Invocation, cmd Command) {
	id := RequestName(cmd.RequestID)
	log = log.With("op", cmd.RequestID)
	refuse := func(md string) {
		setOutcome(ctx, "refused")
		s.whisper(ctx, log, inv, text(md))
	}
	op, err := s.store.GetOp(ctx, cmd.RequestID)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && !op.BreakGlass):
		refuse(fmt.Sprintf("%s is not a break-glass operation, so there is nothing to acknowledge. `/sync pending` lists those waiting for review.", id))
		return
	case err != nil:
		log.Error("reading the operation failed", "err", err)
		refuse("I could not read that operation (the journal did not answer). Nothing changed; try again in a moment.")
		return
	case op.ReviewedBy != "":
		refuse(fmt.Sprintf("%s was already acknowledged by %s. Nothing changed.", id, mention(op.ReviewedBy)))
		return
	case !op.State.Final():
		refuse(fmt.Sprintf("%s is still running; acknowledge it once it has finished.", id))
		return
	}
	who := approval.Person{ID: inv.UserID}
	if inv.UserID != op.Requester {
		ok, err := s.mayApprove(ctx, inv.UserID)
		if err != nil {
			refuse(lookupFailed(ctx, log, "acknowledge "+id, err, "Nothing changed"))
			return
		}
		who.Approver = ok
	}
	switch s.cfg.Policy.Acknowledge(op.Requester, who) {
	case approval.SelfReview:
		refuse(fmt.Sprintf("You broke the glass on %s, so someone else must review it: that is the point of the review. Nothing changed.", id))
		return
	case approval.NotApprover:
		refuse(fmt.Sprintf("Only these people may acknowledge a break-glass review: %s. Nothing changed.", mentions(s.cfg.Policy.Approvers())))
		return
	case approval.Outsider:
		refuse(outsiderMessage)
		return
	}
	acked, err := s.store.Acknowledge(ctx, op.ID, inv.UserID, s.clock.Now())
	switch {
	case errors.Is(err, store.ErrConflict):
		refuse(fmt.Sprintf("%s was already acknowledged by %s. Nothing changed.", id, mention(acked.ReviewedBy)))
		return
	case err != nil:
		log.Error("recording the acknowledgement failed", "err", err)
		refuse("I could not record your acknowledgement (the journal did not answer). Nothing changed; try again in a moment.")
		return
	}
	log.Info("break-glass review acknowledged")
	setOutcome(ctx, "acknowledged")
	s.show(ctx, log, acked) // the announcement now says who reviewed it
	m := text(fmt.Sprintf("✅ %s acknowledged the break-glass terminate %s of *%s* by %s. The review is closed.", mention(inv.UserID), id, op.App, mention(op.Requester)))
	if acked.MessageTS != "" {
		m.ThreadTS = acked.MessageTS
	}
	if _, err := s.slack.Post(ctx, acked.Channel, m); err != nil {
		log.Warn("posting the acknowledgement in the channel failed", "err", err)
	}
	s.whisper(ctx, log, inv, text(fmt.Sprintf("You acknowledged %s: its review is closed and the reminders stop.", id)))
}

// remindReviews reminds the channel, every RemindEvery after a break-glass
// operation ended, that its review is still open. Each reminder is claimed
// in the store, so several replicas send it once.
func (s *Service) remindReviews(ctx context.Context) {
	if s.cfg.RemindEvery <= 0 {
		return
	}
	ops, err := s.store.ListOps(ctx, store.Filter{Unreviewed: true})
	if err != nil {
		s.log.Error("listing break-glass reviews failed", "err", err)
		return
	}
	now := s.clock.Now()
	for _, op := range ops {
		if !op.State.Final() {
			continue
		}
		n := int(now.Sub(op.UpdatedAt) / s.cfg.RemindEvery)
		if n < 1 || !s.claim(ctx, fmt.Sprintf("review/%d/%d", op.ID, n), now) {
			continue
		}
		if _, err := s.slack.Post(ctx, op.Channel, ReviewReminder(op, s.cfg.Policy.Approvers(), now)); err != nil {
			s.log.Warn("break-glass review reminder not posted", "op", op.ID, "err", err)
		}
	}
}

// BreakGlassMessage is the loud channel message of a break-glass
// terminate, in each state, re-rendered from the journal at every step.
func BreakGlassMessage(op store.Op, approvers []string) Message {
	id := RequestName(op.ID)
	var head, plain string
	var tail []slack.Block
	switch op.State {
	case store.Succeeded:
		head = fmt.Sprintf("🚨 <!here> *BREAK-GLASS %s: %s terminated Device Sync for %s without a second person's approval* (%s → %s).",
			id, mention(op.Requester), op.App, stateWords(op.SyncBefore), stateWords(""))
		plain = fmt.Sprintf("BREAK-GLASS %s: %s terminated Device Sync for %s without approval. Every client must do a client reset.", id, nameOf(op), op.App)
		tail = append(tail, section("*What it costs now:* "+meansTerminated))
	case store.Failed:
		head = fmt.Sprintf("🚨 <!here> *BREAK-GLASS %s: %s tried to terminate Device Sync for %s without a second person's approval, and it failed.* Sync was not terminated.",
			id, mention(op.Requester), op.App)
		plain = fmt.Sprintf("BREAK-GLASS %s: terminate of %s without approval failed: %s", id, op.App, op.Outcome)
		tail = append(tail, section("*What went wrong:* "+op.Outcome))
	default:
		head = fmt.Sprintf("🚨 <!here> *BREAK-GLASS %s: %s is terminating Device Sync for %s without a second person's approval…*",
			id, mention(op.Requester), op.App)
		plain = fmt.Sprintf("BREAK-GLASS %s: %s is terminating Device Sync for %s without approval…", id, nameOf(op), op.App)
		tail = append(tail, section("*What it costs*\n"+terminateCost))
	}
	blocks := []slack.Block{
		section(head),
		fields(
			"*Glass broken by*\n"+mention(op.Requester),
			"*App*\n"+op.App+" ("+KindWords(op.SyncKind)+")",
			"*Sync was*\n"+stateWords(op.SyncBefore),
			"*When*\n"+when(op.CreatedAt),
		),
		section("*Why (break-glass reason):* " + escape(op.Reason)),
	}
	blocks = append(blocks, tail...)
	blocks = append(blocks, slack.NewDividerBlock(), section(reviewLine(op, approvers)))
	return Message{Text: plain, Blocks: blocks}
}

// reviewLine says where the review stands.
func reviewLine(op store.Op, approvers []string) string {
	id := RequestName(op.ID)
	if op.ReviewedBy != "" {
		return fmt.Sprintf("✅ *Reviewed* by %s, %s.", mention(op.ReviewedBy), when(op.ReviewedAt))
	}
	who := "Anyone but " + mention(op.Requester)
	if len(approvers) > 0 {
		who = "An approver (" + mentions(approvers) + ")"
	}
	return fmt.Sprintf("🔎 *Review open.* No second person approved this. %s must acknowledge it with `/sync ack %s`; syncbot reminds this channel until then.", who, id)
}

// ReviewReminder tells the channel a break-glass review is still open.
func ReviewReminder(op store.Op, approvers []string, now time.Time) Message {
	head := fmt.Sprintf("🔎 *The review of break-glass %s is still open*: %s terminated Device Sync for *%s* without a second person's approval %s ago (%s).",
		RequestName(op.ID), mention(op.Requester), op.App, ago(now.Sub(op.CreatedAt)), when(op.CreatedAt))
	if op.State == store.Failed {
		head = fmt.Sprintf("🔎 *The review of break-glass %s is still open*: %s tried to terminate Device Sync for *%s* without a second person's approval %s ago (%s); it failed.",
			RequestName(op.ID), mention(op.Requester), op.App, ago(now.Sub(op.CreatedAt)), when(op.CreatedAt))
	}
	blocks := []slack.Block{
		section(head),
		section("*Why (break-glass reason):* " + escape(op.Reason)),
		section(reviewLine(op, approvers)),
	}
	return Message{Text: fmt.Sprintf("Break-glass %s on %s still waits for review: /sync ack %s", RequestName(op.ID), op.App, RequestName(op.ID)), Blocks: blocks}
}
