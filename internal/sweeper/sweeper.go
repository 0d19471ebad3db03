// Package sweeper is syncbot's background work: it expires requests past
// their time, finishes what a dead process left behind (reconcile), shows
// outcomes the channel missed (healing) and sends reminders. Every replica
// runs one; each thing it does is claimed in the store, so it happens once.
package sweeper

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/syncbot/syncbot/internal/announce"
	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/target"
)

// Config is the sweeper's settings.
type Config struct {
	// Kinds reads targets by their journaled kind (target.KindSync, …).
	Kinds map[string]target.Kind
	// Holder names this process in the journal's leases.
	Holder string
	// Lease is how long an executing op may go without its holder
	// renewing it before it counts as abandoned.
	Lease time.Duration
	// Exclusive says the store serves this process alone (the embedded
	// store), so every op found unfinished at start was left by a dead
	// process.
	Exclusive bool
	// Every is how often the sweep runs.
	Every time.Duration
	// RemindEvery is how often a still-paused app and an open break-glass
	// review are mentioned in their channel; zero turns those off.
	RemindEvery time.Duration
	// TTL is how long a request waits for approval.
	TTL       time.Duration
	Approvers approval.List
	// Continue, if set, takes over an abandoned multi-step operation
	// (reclaimed for this process) and runs it on from its last journaled
	// step; false: not one it continues, settle it.
	Continue func(ctx context.Context, op store.Op) bool
}

// Sweeper runs the background work.
type Sweeper struct {
	cfg   Config
	store store.Store
	say   *announce.Announcer
	clock clock.Clock
	log   *slog.Logger
	// leftover is what Prepare found unfinished at start, before this
	// process took any command; nil when Prepare was not called.
	leftover *[]store.Op
}

// New returns a Sweeper that shows operations through say.
func New(cfg Config, st store.Store, say *announce.Announcer, clk clock.Clock, log *slog.Logger) *Sweeper {
	if cfg.Lease <= 0 {
		cfg.Lease = 5 * time.Minute
	}
	if cfg.Every <= 0 {
		cfg.Every = 15 * time.Second
	}
	if cfg.Holder == "" {
		cfg.Holder = "syncbot"
	}
	return &Sweeper{cfg: cfg, store: st, say: say, clock: clk, log: log}
}

// Run reconciles once at once, then sweeps every Every on the sweeper's
// clock until ctx ends.
func (s *Sweeper) Run(ctx context.Context) {
	s.Reconcile(ctx, true)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(s.cfg.Every):
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
func (s *Sweeper) Prepare(ctx context.Context) error {
	ops, err := s.store.ListOps(ctx, store.Filter{States: unfinished})
	if err != nil {
		return fmt.Errorf("list unfinished operations: %w", err)
	}
	s.leftover = &ops
	return nil
}

// Sweep expires every pending request past its TTL and updates its card,
// so a card never claims to wait for a decision no one can make any more.
func (s *Sweeper) Sweep(ctx context.Context) {
	now := s.clock.Now()
	ops, err := s.store.ListOps(ctx, store.Filter{States: []store.State{store.Pending}, ExpiresBefore: now.Add(time.Millisecond)})
	if err != nil {
		s.log.Error("listing requests to expire failed", "err", err)
		return
	}
	for _, op := range ops {
		s.say.Expire(ctx, s.log, op)
	}
}

// Reconcile finishes operations a dead process left behind. Nothing is ever
// re-sent: the real state is read and the journal and the channel are told
// what it is. At start with an exclusive store every unfinished op is
// abandoned; otherwise only those whose holder stopped renewing its lease.
func (s *Sweeper) Reconcile(ctx context.Context, atStart bool) {
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
			s.say.Show(ctx, log, op)
		case store.Approved:
			// Approved but never started: the PATCH was not sent.
			if !all && now.Sub(op.UpdatedAt) < s.cfg.Lease {
				continue
			}
			s.say.Conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: messages.OutcomeNotStarted})
		case store.Executing:
			if all && op.Target.Kind == target.KindCluster && s.cfg.Continue != nil {
				// A multi-step op is continued, not settled: under this
				// process's holder, once the dead one's lease has run out
				// (a later sweep reclaims it).
				continue
			}
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
				continue // renewed meanwhile, or another replica took it
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
// store nobody else is. Each lease period one replica claims a try; Show
// marks the op once the channel shows it, so a try that fails is tried
// again the next period, for up to giveUpShowing.
func (s *Sweeper) reshow(ctx context.Context, all bool) {
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
		s.say.Show(ctx, log, op)
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

func (s *Sweeper) claim(ctx context.Context, key string, now time.Time) bool {
	ok, err := s.store.ClaimReminder(ctx, key, now)
	if err != nil {
		s.log.Error("claiming a reminder failed", "reminder", key, "err", err)
	}
	return ok
}
