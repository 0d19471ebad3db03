package service

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/syncbot/syncbot/internal/announce"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
)

// run journals op as executing now, held by this process: the row is the
// per-target lock, and a replayed envelope finds it and does nothing. It
// tells the asker when the target is busy or the journal did not answer
// (what names the change there), and returns false unless this process
// now runs op.
func (s *Service) run(ctx context.Context, log *slog.Logger, inv Invocation, op store.Op, now time.Time, what string) (store.Op, bool) {
	op.Key, op.Requester, op.RequesterName = inv.TriggerID, inv.UserID, inv.UserName
	op.Channel, op.ResponseURL = inv.ChannelID, inv.ResponseURL
	op.State, op.Holder, op.LeaseUntil = store.Executing, s.cfg.Holder, s.leaseFor(now)
	saved, created, err := s.store.CreateOp(ctx, op, now)
	var busy *store.BusyError
	switch {
	case errors.As(err, &busy):
		setOutcome(ctx, "busy")
		s.whisper(ctx, log, inv, s.book.Busy(busy.Op, now))
		return saved, false
	case err != nil:
		log.Error("journaling the command failed", "err", err)
		s.whisper(ctx, log, inv, messages.JournalDown("record "+what, "nothing was done"))
		return saved, false
	case !created:
		log.Info("replayed command ignored", "op", saved.ID)
		return saved, false
	}
	return saved, true
}

// begin moves an approved request to executing, held by this process; when
// it cannot (another op holds the target, the journal did not answer), the
// request ends failed and its card says why, and begin returns false.
func (s *Service) begin(ctx context.Context, log *slog.Logger, op store.Op) (store.Op, bool) {
	now := s.clock.Now()
	next, err := s.store.Transition(ctx, op.ID, store.Approved, store.Change{
		To: store.Executing, Actor: "syncbot", At: now, Holder: s.cfg.Holder, LeaseUntil: s.leaseFor(now),
	})
	var busy *store.BusyError
	if errors.As(err, &busy) {
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: messages.OutcomeBusy(busy.Op, op.App)})
		return op, false
	}
	if err != nil {
		log.Error("starting the approved request failed", "err", err)
		if cur, gerr := s.store.GetOp(ctx, op.ID); gerr == nil && cur.State == store.Approved {
			s.conclude(ctx, log, cur, announce.Ending{To: store.Failed, Outcome: messages.OutcomeStartFailed})
		}
		return op, false
	}
	return next, true
}

// request journals op as a pending request that waits TTL for a second
// person, and posts its card. Nothing changes until someone approves.
func (s *Service) request(ctx context.Context, log *slog.Logger, inv Invocation, op store.Op, now time.Time) {
	op.Key, op.Requester, op.RequesterName = inv.TriggerID, inv.UserID, inv.UserName
	op.Channel, op.ResponseURL = inv.ChannelID, inv.ResponseURL
	op.State, op.ExpiresAt = store.Pending, now.Add(s.cfg.Policy.TTL)
	saved, created, err := s.store.CreateOp(ctx, op, now)
	switch {
	case err != nil:
		log.Error("journaling the request failed", "err", err)
		s.whisper(ctx, log, inv, messages.JournalDown("record the request", "nothing was requested"))
		return
	case !created:
		log.Info("replayed request ignored", "op", saved.ID)
		return
	}
	log.Info("request journaled", "op", saved.ID, "kind", saved.Kind)
	setOutcome(ctx, "requested")
	s.say.Announce(ctx, log, saved)
}
