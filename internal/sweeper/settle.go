package sweeper

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/announce"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
)

// settle reads the real state of an abandoned op's target and records what
// it shows. op is held by this process (Reclaim) or by a dead one (at
// start on the embedded store).
func (s *Sweeper) settle(ctx context.Context, log *slog.Logger, op store.Op) {
	if s.cfg.Continue != nil && s.cfg.Continue(ctx, op) {
		return
	}
	kind := s.cfg.Kinds[op.Target.Kind]
	if kind == nil || !op.Target.Bound() {
		op, _ = s.say.Conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: messages.OutcomeInterruptedUnknownTarget})
		log.Info("abandoned operation settled without a target to read", "state", op.State)
		return
	}
	r, err := kind.Read(ctx, op.Target)
	if err != nil {
		log.Warn("reading the state of an abandoned operation failed; will retry", "err", err)
		return
	}
	what := messages.TargetOf(op)
	switch {
	case r.State == op.SyncAfter:
		op, _ = s.say.Conclude(ctx, log, op, announce.Ending{To: store.Succeeded, Outcome: messages.OutcomeConfirmed(what, op.SyncAfter), Before: s.startedFrom(ctx, log, op)})
	case s.effectSent(ctx, log, op):
		// Its holder fenced and may have sent the change, which can still
		// land: unknown, not failed. A holder still alive corrects it
		// (Amend) when it hears back.
		op, _ = s.say.Conclude(ctx, log, op, announce.Ending{To: store.Unknown, Outcome: messages.OutcomeSentNotSeen(what, r.State), Before: r.State})
	default:
		op, _ = s.say.Conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: messages.OutcomeInterrupted(what, r.State), Before: r.State})
	}
	log.Info("abandoned operation settled", "state", op.State)
}

// startedFrom is the sync state an abandoned op's PATCH started from. A
// terminate journals it with the request; a pause or resume only when it
// finishes, so the service leaves it in a snapshot tagged with the op.
// Without one: a pause only ever PATCHes running sync, and a resume that
// saved none re-enabled terminated sync.
func (s *Sweeper) startedFrom(ctx context.Context, log *slog.Logger, op store.Op) string {
	if op.Kind == store.Terminate || op.SyncBefore != "" {
		return op.SyncBefore
	}
	if snap, err := s.store.Snapshot(ctx, op.Target); err == nil && snap.OpID == op.ID {
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
		return adminapi.StateEnabled
	}
	return adminapi.StateTerminated
}

// effectSent reports whether op's audit log has its effect: the holder
// proved its lease and went on to send the change.
func (s *Sweeper) effectSent(ctx context.Context, log *slog.Logger, op store.Op) bool {
	evs, err := s.store.Events(ctx, op.ID)
	if err != nil {
		log.Warn("reading the audit log of an abandoned operation failed", "err", err)
		return false
	}
	for _, e := range evs {
		if e.Action == "effect" {
			return true
		}
	}
	return false
}
