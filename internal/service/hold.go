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
	// The first wait starts here, not in the goroutine, so that it is on
	// the clock before hold returns: a test driving a fake clock sees it
	// at once, not at some later moment of the goroutine's choosing.
	tick := s.clock.After(s.cfg.Lease / 4)
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick:
			}
			err := s.store.Renew(ctx, op.ID, op.Holder, s.leaseFor(s.clock.Now()))
			switch {
			case ctx.Err() != nil:
				return // stopped while renewing: the op is done
			case errors.Is(err, store.ErrLeaseLost):
				log.Warn("lost the lease of a running operation: another process took it over", "op", op.ID)
				return
			case err != nil:
				// Not fatal: the lease has three more periods to run, and
				// the fence checks it before the effect.
				log.Warn("renewing the lease of a running operation failed", "op", op.ID, "err", err)
			}
			tick = s.clock.After(s.cfg.Lease / 4)
		}
	}()
	return func() { cancel(); <-done }
}

// leaseFor is when a lease taken or renewed at now ends.
func (s *Service) leaseFor(now time.Time) time.Time { return now.Add(s.cfg.Lease) }
