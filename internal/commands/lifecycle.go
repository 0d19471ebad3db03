package commands

import (
	"context"
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
	}
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
	f := store.Filter{States: []store.State{store.Approved, store.Executing}}
	ops, err := s.store.ListOps(ctx, f)
	if err != nil {
		s.log.Error("listing unfinished operations failed", "err", err)
		return
	}
	for _, op := range ops {
		log := s.log.With("op", op.ID, "app", op.App)
		switch op.State {
		case store.Approved:
			// Approved but never started: the PATCH was not sent.
			if !all && now.Sub(op.UpdatedAt) < s.cfg.Lease {
				continue
			}
			s.show(ctx, log, s.finish(ctx, log, op, store.Failed, "interrupted before it ran (syncbot restarted); nothing was changed. Request again if it is still needed.", ""))
		case store.Executing:
			if !all && (op.LeaseUntil.IsZero() || now.Before(op.LeaseUntil)) {
				continue
			}
			at := now
			if all && !op.LeaseUntil.Before(at) {
				at = op.LeaseUntil.Add(time.Millisecond) // its holder is gone: we hold the store's lock
			}
			claimed, err := s.store.Reclaim(ctx, op.ID, s.cfg.Holder, at, now.Add(s.cfg.Lease))
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
}

// settle reads the real state of an abandoned op and records what it shows.
func (s *Service) settle(ctx context.Context, log *slog.Logger, op store.Op) {
	cfg, err := s.admin.Sync(ctx, s.cfg.Apps[op.App])
	if err != nil {
		log.Warn("reading the state of an abandoned operation failed; will retry", "err", err)
		return
	}
	if cfg.State == op.SyncAfter {
		op = s.finish(ctx, log, op, store.Succeeded, plainState(op.SyncAfter)+" (confirmed after syncbot restarted)", op.SyncBefore)
	} else {
		op = s.finish(ctx, log, op, store.Failed, fmt.Sprintf("interrupted: syncbot stopped while this was running and sync is %s. Nothing was retried; run the command again if it is still needed.", stateWords(cfg.State)), cfg.State)
	}
	log.Info("abandoned operation settled", "state", op.State)
	s.show(ctx, log, op)
}
