package sweeper

import (
	"context"
	"fmt"
	"time"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/store"
)

// remind sends the reminders that are due: a thread reply on each approval
// card shortly before it expires, a channel message for each app still
// paused, and one for each open break-glass review, every RemindEvery.
// Each is claimed in the store first, so several replicas send it once.
func (s *Sweeper) remind(ctx context.Context) {
	s.remindExpiring(ctx)
	s.remindPaused(ctx)
	s.remindPausedClusters(ctx)
	s.remindReviews(ctx)
	s.remindTriggersDisabled(ctx)
}

// expiryLead is how long before expiry a request is reminded: five minutes,
// or a third of a short TTL.
func (s *Sweeper) expiryLead() time.Duration {
	return min(5*time.Minute, s.cfg.TTL/3)
}

func (s *Sweeper) remindExpiring(ctx context.Context) {
	now := s.clock.Now()
	ops, err := s.store.ListOps(ctx, store.Filter{States: []store.State{store.Pending}, ExpiresBefore: now.Add(s.expiryLead())})
	if err != nil {
		s.log.Error("listing requests to remind failed", "err", err)
		return
	}
	for _, op := range ops {
		if !now.Before(op.ExpiresAt) || op.MessageTS == "" {
			continue // expiring now, or no card to reply under
		}
		if !s.claim(ctx, fmt.Sprintf("expiry/%d", op.ID), now) {
			continue
		}
		m := s.say.Book.ExpiryReminder(op, now)
		m.ThreadTS = op.MessageTS
		if _, err := s.say.Slack.Post(ctx, op.Channel, m); err != nil {
			s.log.Warn("expiry reminder not posted", "op", op.ID, "err", err)
		}
	}
}

func (s *Sweeper) remindPaused(ctx context.Context) {
	if s.cfg.RemindEvery <= 0 {
		return
	}
	now := s.clock.Now()
	// Each app's last change that took effect: one query for every app,
	// since this runs every sweep.
	last, err := s.store.ListOps(ctx, store.Filter{States: []store.State{store.Succeeded}, LatestPerApp: true})
	if err != nil {
		s.log.Error("reading the last operation of each app failed", "err", err)
		return
	}
	for _, pause := range last {
		if pause.Target.Kind == store.TriggerTarget {
			var ok bool
			if pause, ok = s.lastSyncChange(ctx, pause); !ok {
				continue
			}
		}
		if pause.Kind != store.Pause || pause.SyncAfter != adminapi.StateDisabled || !pause.Target.Bound() {
			continue
		}
		n := int(now.Sub(pause.UpdatedAt) / s.cfg.RemindEvery)
		if n < 1 || !s.claim(ctx, fmt.Sprintf("paused/%d/%d", pause.ID, n), now) {
			continue
		}
		log := s.log.With("app", pause.App, "op", pause.ID)
		kind := s.cfg.Kinds[pause.Target.Kind]
		if kind == nil {
			continue
		}
		// Only remind of a pause that still holds: someone may have resumed
		// in the Atlas UI.
		r, err := kind.Read(ctx, pause.Target)
		if err != nil || r.State != adminapi.StateDisabled {
			log.Info("paused reminder skipped: state unknown or no longer paused", "err", err)
			continue
		}
		if _, err := s.say.Slack.Post(ctx, pause.Channel, s.say.Book.PausedReminder(pause, now)); err != nil {
			log.Warn("paused reminder not posted", "err", err)
		}
	}
}

// remindReviews reminds the channel, every RemindEvery after a break-glass
// operation ended, that its review is still open.
func (s *Sweeper) remindReviews(ctx context.Context) {
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
		if _, err := s.say.Slack.Post(ctx, op.Channel, s.say.Book.ReviewReminder(op, s.cfg.Approvers, now)); err != nil {
			s.log.Warn("break-glass review reminder not posted", "op", op.ID, "err", err)
		}
	}
}
