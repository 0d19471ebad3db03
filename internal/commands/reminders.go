package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/store"
)

// remind sends the reminders that are due: a thread reply on each approval
// card shortly before it expires, and a channel message for each app still
// paused every RemindEvery. Each is claimed in the store first, so several
// replicas send it once.
func (s *Service) remind(ctx context.Context) {
	s.remindExpiring(ctx)
	s.remindPaused(ctx)
	s.remindReviews(ctx)
}

// expiryLead is how long before expiry a request is reminded: five minutes,
// or a third of a short TTL.
func (s *Service) expiryLead() time.Duration {
	return min(5*time.Minute, s.cfg.Policy.TTL/3)
}

func (s *Service) remindExpiring(ctx context.Context) {
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
		m := ExpiryReminder(op, now)
		m.ThreadTS = op.MessageTS
		if _, err := s.slack.Post(ctx, op.Channel, m); err != nil {
			s.log.Warn("expiry reminder not posted", "op", op.ID, "err", err)
		}
	}
}

func (s *Service) remindPaused(ctx context.Context) {
	if s.cfg.RemindEvery <= 0 {
		return
	}
	now := s.clock.Now()
	// Each app's last change that took effect: one query for every app,
	// since this runs every SweepEvery.
	last, err := s.store.ListOps(ctx, store.Filter{States: []store.State{store.Succeeded}, LatestPerApp: true})
	if err != nil {
		s.log.Error("reading the last operation of each app failed", "err", err)
		return
	}
	byApp := make(map[string]store.Op, len(last))
	for _, op := range last {
		byApp[op.App] = op
	}
	for _, alias := range s.cfg.Aliases {
		pause, ok := byApp[alias]
		if !ok || pause.Kind != store.Pause || pause.SyncAfter != "disabled" {
			continue
		}
		n := int(now.Sub(pause.UpdatedAt) / s.cfg.RemindEvery)
		if n < 1 || !s.claim(ctx, fmt.Sprintf("paused/%d/%d", pause.ID, n), now) {
			continue
		}
		log := s.log.With("app", alias, "op", pause.ID)
		// Only remind of a pause that still holds: someone may have resumed
		// in the Atlas UI.
		cfg, err := s.admin.Sync(ctx, s.cfg.Apps[alias])
		if err != nil || cfg.State != "disabled" {
			log.Info("paused reminder skipped: state unknown or no longer paused", "err", err)
			continue
		}
		if _, err := s.slack.Post(ctx, pause.Channel, PausedReminder(pause, now)); err != nil {
			log.Warn("paused reminder not posted", "err", err)
		}
	}
}

func (s *Service) claim(ctx context.Context, key string, now time.Time) bool {
	ok, err := s.store.ClaimReminder(ctx, key, now)
	if err != nil {
		s.log.Error("claiming a reminder failed", "reminder", key, "err", err)
	}
	return ok
}

// ExpiryReminder is the thread reply under a card about to expire.
func ExpiryReminder(op store.Op, now time.Time) Message {
	md := fmt.Sprintf("⏳ *%s expires in %s* (%s) and nothing changes until someone decides: %s asks to terminate Device Sync for *%s*. Approve or deny on the card above.",
		RequestName(op.ID), ago(op.ExpiresAt.Sub(now)), when(op.ExpiresAt), mention(op.Requester), op.App)
	return Message{Text: fmt.Sprintf("%s expires in %s: approve or deny on the card.", RequestName(op.ID), ago(op.ExpiresAt.Sub(now))), Blocks: []slack.Block{section(md)}}
}

// PausedReminder tells the channel an app is still paused, and what that
// risks.
func PausedReminder(pause store.Op, now time.Time) Message {
	head := fmt.Sprintf("⏰ *%s* is still paused: for %s now (since %s, by %s).", pause.App, ago(now.Sub(pause.UpdatedAt)), when(pause.UpdatedAt), mention(pause.Requester))
	blocks := []slack.Block{section(head)}
	if pause.Reason != "" {
		blocks = append(blocks, section("*Reason given:* "+escape(pause.Reason)))
	}
	blocks = append(blocks, note(
		"A pause longer than the cluster's oplog window forces a terminate, and every client must then do a client reset. Sync also pauses itself after 30 days without activity.",
		fmt.Sprintf("Resume with `/sync resume %s` as soon as it is safe.", pause.App)))
	return Message{Text: fmt.Sprintf("%s is still paused (%s): resume before the oplog window runs out.", pause.App, ago(now.Sub(pause.UpdatedAt))), Blocks: blocks}
}
