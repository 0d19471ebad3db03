package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/syncbot/syncbot/internal/store"
)

// Run expires requests and takes over abandoned operations until ctx ends.
// It reconciles once at once, then every SweepEvery on the service's clock.
func (s *Service) Run(ctx context.Context) {
	s.Reconcile(ctx, true)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(s.cfg.SweepEvery):
		}
		s.Sweep(ctx)
		s.Reconcile(ctx, false)
		s.remind(ctx)
	}
}

var unfinished = []store.State{store.Pending, store.Approved, store.Executing}

// Prepare lists what earlier processes left unfinished, for the reconcile at
// start. Call it before this process takes any command: on the embedded
// store everything unfinished at start belongs to a dead process, and an op
// this process journals a moment later must not be mistaken for one (it was
// settled as "interrupted" while its PATCH was in flight).
func (s *Service) Prepare(ctx context.Context) error {
	ops, err := s.store.ListOps(ctx, store.Filter{States: unfinished})
	if err != nil {
		return fmt.Errorf("list unfinished operations: %w", err)
	}
	s.leftover = &ops
	return nil
}

// Sweep expires every pending request past its TTL and updates its card,
// so a card never claims to wait for a decision no one can make any more.
func (s *Service) Sweep(ctx context.Context) {
	now := s.clock.Now()
	ops, err := s.store.ListOps(ctx, store.Filter{States: []store.State{store.Pending}, ExpiresBefore: now.Add(time.Millisecond)})
	if err != nil {
		s.log.Error("listing requests to expire failed", "err", err)
		return
	}
	for _, op := range ops {
		s.expire(ctx, s.log, op)
	}
}

// Reconcile finishes operations a dead process left behind. Nothing is ever
// re-sent: the real state is read and the journal and the channel are told
// what it is. At start with an exclusive store every unfinished op is
// abandoned; otherwise only those whose lease ran out.
func (s *Service) Reconcile(ctx context.Context, atStart bool) {
	now := s.clock.Now()
	all := atStart && s.cfg.Exclusive
	var ops []store.Op
	if atStart && s.leftover != nil {
		ops = *s.leftover
	} else {
		var err error
		if ops, err = s.store.ListOps(ctx, store.Filter{States: unfinished}); err != nil {
			s.log.Error("listing unfinished operations failed", "err", err)
			return
		}
	}
	for _, op := range ops {
		log := s.log.With("op", op.ID, "app", op.App)
		switch op.State {
		case store.Pending:
			// A request without a card: its process died before posting
			// it, or every post failed. Post it now, so it can still be
			// approved: at once when we hold the store alone, else once
			// its poster has had a lease to do it, by one replica per
			// lease period. A card posted but not yet recorded when the
			// process died cannot be found again; that copy keeps its
			// buttons, and they still work.
			if op.MessageTS != "" {
				continue
			}
			if !all && (now.Sub(op.CreatedAt) < s.cfg.Lease || !s.claim(ctx, retryKey("card", op, now, s.cfg.Lease), now)) {
				continue
			}
			log.Info("posting the card of a request left without one")
			s.show(ctx, log, op)
		case store.Approved:
			// Approved but never started: the PATCH was not sent.
			if !all && now.Sub(op.UpdatedAt) < s.cfg.Lease {
				continue
			}
			s.conclude(ctx, log, op, store.Failed, "interrupted before it ran (syncbot restarted); nothing was changed. Request again if it is still needed.", "")
		case store.Executing:
			if all {
				// We hold the store alone, so whoever ran it is dead. No
				// Reclaim: its lease may still be live, and claiming a
				// "now" past it wrote a takeover time minutes in the
				// future into the audit log, ahead of the outcome.
				s.settle(ctx, log, op)
				continue
			}
			if op.LeaseUntil.IsZero() || now.Before(op.LeaseUntil) {
				continue
			}
			claimed, err := s.store.Reclaim(ctx, op.ID, s.cfg.Holder, now, now.Add(s.cfg.Lease))
			if errors.Is(err, store.ErrConflict) {
				continue
			}
			if err != nil {
				log.Error("taking over an abandoned operation failed", "err", err)
				continue
			}
			s.settle(ctx, log, claimed)
		}
	}
	s.reshow(ctx, all)
}

// reshow brings the messages of finished ops up to date where they do not
// show how the op ended: the process that finished it died first, or Slack
// refused the update or the post (then the op has no message at all, and
// one is posted). Another replica waits one lease first, so as not to race
// a live process that is about to show it; at start with an exclusive
// store nobody else is. Each lease period one replica claims a try; show
// marks the op once the channel shows it, so a try that fails is tried
// again the next period, for up to giveUpShowing.
func (s *Service) reshow(ctx context.Context, all bool) {
	now := s.clock.Now()
	f := store.Filter{Unshown: true}
	if !all {
		f.UpdatedBefore = now.Add(-s.cfg.Lease)
	}
	ops, err := s.store.ListOps(ctx, f)
	if err != nil {
		s.log.Error("listing finished operations to show failed", "err", err)
		return
	}
	for _, op := range ops {
		log := s.log.With("op", op.ID, "app", op.App)
		if now.Sub(op.UpdatedAt) > giveUpShowing {
			log.Error("giving up showing how an operation ended: Slack refused it for a day", "state", op.State, "message_ts", op.MessageTS)
			if _, err := s.store.MarkShown(ctx, op.ID, op.State); err != nil {
				log.Warn("marking the operation as shown failed", "err", err)
			}
			continue
		}
		if !all && !s.claim(ctx, retryKey("show/"+string(op.State), op, now, s.cfg.Lease), now) {
			continue
		}
		log.Info("showing how an operation ended, which the channel does not show yet")
		s.show(ctx, log, op)
	}
}

// giveUpShowing bounds how long a message Slack keeps refusing is tried
// again (a channel archived or left meanwhile would be tried for ever).
const giveUpShowing = 24 * time.Hour

// retryKey names one lease period's try at showing op, for ClaimReminder:
// of several replicas one tries per period.
func retryKey(what string, op store.Op, now time.Time, lease time.Duration) string {
	since := op.UpdatedAt
	if op.State == store.Pending {
		since = op.CreatedAt
	}
	return fmt.Sprintf("%s/%d/%d", what, op.ID, int64(now.Sub(since)/lease))
}

// settle reads the real state of an abandoned op and records what it shows.
func (s *Service) settle(ctx context.Context, log *slog.Logger, op store.Op) {
	cfg, err := s.admin.Sync(ctx, s.cfg.Apps[op.App])
	if err != nil {
		log.Warn("reading the state of an abandoned operation failed; will retry", "err", err)
		return
	}
	if cfg.State == op.SyncAfter {
		op = s.conclude(ctx, log, op, store.Succeeded, plainState(op.SyncAfter)+" (confirmed after syncbot restarted)", s.startedFrom(ctx, log, op))
	} else {
		op = s.conclude(ctx, log, op, store.Failed, fmt.Sprintf("interrupted: syncbot stopped while this was running and sync is %s. Nothing was retried; run the command again if it is still needed.", stateWords(cfg.State)), cfg.State)
	}
	log.Info("abandoned operation settled", "state", op.State)
}

// startedFrom is the sync state an abandoned op's PATCH started from. A
// terminate journals it with the request; a pause or resume only when it
// finishes, so change leaves it in a snapshot tagged with the op. Without
// one: a pause only ever PATCHes running sync, and a resume that saved none
// re-enabled terminated sync.
func (s *Service) startedFrom(ctx context.Context, log *slog.Logger, op store.Op) string {
	if op.Kind == store.Terminate || op.SyncBefore != "" {
		return op.SyncBefore
	}
	if snap, err := s.store.Snapshot(ctx, op.App); err == nil && snap.OpID == op.ID {
		var o struct {
			State string `json:"state"`
		}
		if json.Unmarshal(snap.Sync, &o) == nil {
			return o.State
		}
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		log.Warn("reading the saved configuration failed", "err", err)
	}
	if op.Kind == store.Pause {
		return "enabled"
	}
	return ""
}
