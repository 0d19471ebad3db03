package service

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/announce"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/target"
)

// effect makes op's one effect on its target and records how it ended:
// it proves first that this process still holds op (a process that lost
// it sends nothing, and whoever took op over settles it), then applies,
// then concludes. before is the state the effect starts from.
func (s *Service) effect(ctx context.Context, log *slog.Logger, kind target.Kind, op store.Op, r target.Reading, to string) {
	now := s.clock.Now()
	err := s.store.Fence(ctx, op.ID, op.Holder, now, s.leaseFor(now), kind.Effect(r, to))
	switch {
	case errors.Is(err, store.ErrLeaseLost):
		// Whoever took op over settled it, or will.
		log.Warn("not sending the change: this process no longer holds the operation", "op", op.ID)
		s.lost(ctx, log, op)
		return
	case err != nil && ctx.Err() != nil:
		log.Warn("not sending the change: shutting down", "op", op.ID)
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: messages.OutcomeShutDown, Before: r.State})
		return
	case err != nil:
		log.Error("not sending the change: the journal did not confirm this process holds the operation", "op", op.ID, "err", err)
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: messages.OutcomeFenceFailed, Before: r.State})
		return
	}
	if err := kind.Apply(ctx, op.Target, r, to); err != nil {
		end := store.Failed
		if unconfirmed(err) {
			end = store.Unknown
		}
		log.Warn("change failed", "err", err, "outcome", end)
		s.concludeSent(ctx, log, kind, op, announce.Ending{To: end, Outcome: s.problem(op, err), Before: r.State})
		return
	}
	s.concludeSent(ctx, log, kind, op, announce.Ending{To: store.Succeeded, Outcome: s.outcomeDone(op, r.State, to), Before: r.State})
}

// fence proves this process holds op just before an effect.
func (s *Service) fence(ctx context.Context, log *slog.Logger, op store.Op, effect string) bool {
	now := s.clock.Now()
	if err := s.store.Fence(ctx, op.ID, op.Holder, now, s.leaseFor(now), effect); err != nil {
		log.Warn("not sending the change: this process no longer holds the operation", "effect", effect, "err", err)
		s.lost(ctx, log, op)
		return false
	}
	return true
}

// lost is what a process that no longer holds op does: nothing, but show
// the journal's ending of op on the message it posted, which would
// otherwise say "…ing" for ever.
func (s *Service) lost(ctx context.Context, log *slog.Logger, op store.Op) {
	setOutcome(ctx, "lost")
	if cur, err := s.store.GetOp(ctx, op.ID); err == nil && cur.State.Final() {
		s.say.Show(ctx, log, cur)
	}
}

// unconfirmed reports whether err leaves an effect's outcome unknown: the
// request may have reached Atlas, and reading back did not tell.
func unconfirmed(err error) bool {
	var netErr net.Error
	return errors.Is(err, adminapi.ErrOutcomeUnknown) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) || errors.As(err, &netErr) && netErr.Timeout()
}

func (s *Service) outcomeDone(op store.Op, before, to string) string {
	if op.Kind == store.Terminate {
		return messages.PlainState(before) + " → terminated"
	}
	if op.Target.Kind == store.TriggerTarget {
		return before + " → " + to
	}
	return messages.OutcomeDone(before, to)
}

// conclude records op's ending and shows it.
func (s *Service) conclude(ctx context.Context, log *slog.Logger, op store.Op, e announce.Ending) store.Op {
	done, _ := s.say.Conclude(ctx, log, op, e)
	setOutcome(ctx, string(done.State))
	return done
}

// concludeSent concludes an op whose effect was sent. If the journal
// refuses the ending because someone else settled op meanwhile (this
// process was too slow to renew its lease, and the sweeper took op over
// and read the target before the effect landed), the target is read again
// and, where the journal says otherwise, it is corrected to what is true,
// and so is the message.
func (s *Service) concludeSent(ctx context.Context, log *slog.Logger, kind target.Kind, op store.Op, e announce.Ending) {
	// The change was sent: what follows must happen even at shutdown.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	done, lost := s.say.Conclude(ctx, log, op, e)
	setOutcome(ctx, string(done.State))
	if !lost || !done.State.Final() {
		return
	}
	r, err := kind.Read(ctx, op.Target)
	if err != nil {
		log.Error("the operation was settled by another process after its change was sent, and the target could not be read to check it", "op", op.ID, "err", err)
		return
	}
	reached := r.State == op.SyncAfter
	if done.State != store.Unknown && reached == (done.State == store.Succeeded) {
		return // the journal already says what is true
	}
	to, outcome := store.Failed, messages.OutcomeCorrectedFailed(messages.TargetOf(op), r.State)
	if reached {
		to, outcome = store.Succeeded, messages.OutcomeCorrectedDone(messages.TargetOf(op), e.Before, r.State)
	}
	fixed, err := s.store.Amend(ctx, op.ID, done.State, store.Amendment{To: to, Outcome: outcome, Actor: "syncbot", At: s.clock.Now()})
	if err != nil {
		log.Error("correcting the journal after a late change failed", "op", op.ID, "err", err)
		return
	}
	log.Warn("journal corrected: the change landed after another process settled the operation", "op", op.ID, "state", to)
	s.say.Show(ctx, log, fixed)
}
