package service

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/syncbot/syncbot/internal/store"
)

// hold keeps op's lease alive while this process works on it: every
// Lease/4 it renews the lease, so the sweeper of this or another replica
// takes over only an op whose holder stopped renewing (a dead or hung
// process). It returns a stop. A renewal refused because op was taken over
// is logged; the fence before the effect then sends nothing.
func (s *Service) hold(ctx context.Context, log *slog.Logger, op store.Op) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.clock.After(s.cfg.Lease / 4):
			}
			err := s.store.Renew(ctx, op.ID, op.Holder, s.leaseFor(s.clock.Now()))
			switch {
			case errors.Is(err, store.ErrLeaseLost):
				log.Warn("lost the lease of a running operation: another process took it over", "op", op.ID)
				return
			case err != nil && ctx.Err() == nil:
				// Not fatal: the lease has three more periods to run, and
				// the fence checks it before the effect.
				log.Warn("renewing the lease of a running operation failed", "op", op.ID, "err", err)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// leaseFor is when a lease taken or renewed at now ends.
func (s *Service) leaseFor(now time.Time) time.Time { return now.Add(s.cfg.Lease) }
