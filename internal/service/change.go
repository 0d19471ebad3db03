package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/announce"
	"github.com/syncbot/syncbot/internal/commands"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/target"
)

// change runs pause or resume at once, following the state table:
//
//	now         pause            resume
//	enabled     PATCH disabled   "already running"
//	disabled    "already paused" PATCH enabled
//	""          refused          PATCH enabled with the saved object
func (s *Service) change(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) {
	kind, to := store.Pause, adminapi.StateDisabled
	if cmd.Verb == commands.Resume {
		kind, to = store.Resume, adminapi.StateEnabled
	}
	// The app the alias names now: the op is bound to it for good.
	t, err := s.sync.Identify(ctx, cmd.App)
	if err != nil {
		setOutcome(ctx, "failed")
		s.whisper(ctx, log, inv, messages.CouldNot(string(kind), cmd.App, s.book.Problem(err, cmd.App)))
		return
	}
	now := s.clock.Now()
	// Journal first: the row is the per-target lock.
	op, ok := s.run(ctx, log, inv, store.Op{Kind: kind, App: cmd.App, Target: t, Reason: cmd.Reason, SyncAfter: to}, now, "this command")
	if !ok {
		return
	}
	log = log.With("op", op.ID)
	defer s.hold(ctx, log, op)()

	r, err := s.sync.ReadForChange(ctx, t)
	if cmd.Verb == commands.Resume && errors.Is(err, adminapi.ErrSyncNotConfigured) && !errors.Is(err, adminapi.ErrNotFound) {
		// After a terminate the sync object may be gone: a saved one decides.
		if _, serr := s.store.Snapshot(ctx, t); serr == nil {
			err, r = nil, target.Reading{State: adminapi.StateTerminated}
		}
	}
	if err != nil {
		op, _ = s.say.Finish(ctx, log, op, announce.Ending{To: store.Failed, Outcome: s.book.Problem(err, cmd.App), Quiet: true})
		setOutcome(ctx, "failed")
		s.whisper(ctx, log, inv, messages.CouldNot(string(kind), cmd.App, op.Outcome))
		return
	}
	before := r.State
	var refusal, noop string
	switch {
	case before == to && to == adminapi.StateDisabled:
		noop = messages.AlreadyPaused(cmd.App, r.Since)
	case before == to:
		noop = messages.AlreadyRunning(cmd.App)
	case before == adminapi.StateTerminated && kind == store.Pause:
		refusal = s.book.NothingToPause(cmd.App)
	case before == adminapi.StateTerminated && kind == store.Resume:
		var detail string
		r, detail, refusal = s.restorable(ctx, log, cmd, t, r)
		if detail != "" {
			// Said on the message: which saved configuration goes back.
			if err := s.store.Annotate(ctx, op.ID, detail); err != nil {
				log.Warn("recording which configuration is re-sent failed", "err", err)
			}
			op.Detail = detail
		}
	case before != adminapi.StateEnabled && before != adminapi.StateDisabled:
		refusal = messages.UnexpectedState(cmd.App, before)
	}
	if noop != "" || refusal != "" {
		e := announce.Ending{To: store.Succeeded, Outcome: messages.OutcomeNoChange(before), Before: before, Quiet: true}
		if refusal != "" {
			e.To, e.Outcome = store.Failed, refusal
		}
		s.say.Finish(ctx, log, op, e)
		setOutcome(ctx, map[bool]string{true: "noop", false: "refused"}[refusal == ""])
		s.whisper(ctx, log, inv, messages.Text(noop+refusal))
		return
	}

	// The change is on. Before the effect goes out, the journal learns
	// what it starts from and where the channel is told, so that if this
	// process dies once the PATCH may have been sent, the reconciler can
	// finish the very message people saw, with the right "from" state.
	op.SyncBefore = before
	if before != adminapi.StateTerminated {
		// The op's row gets sync_before only when it finishes; until then a
		// snapshot tagged with the op says it (resume of terminated sync
		// keeps the saved one: it is what the PATCH re-sends). Best effort:
		// without it the reconciler falls back to what the verb implies.
		if err := s.store.SaveSnapshot(ctx, store.Snapshot{Target: t, App: cmd.App, SyncKind: r.Variant, Sync: r.Object, OpID: op.ID, SavedAt: now}); err != nil {
			log.Warn("saving the sync configuration before the change failed", "err", err)
		}
	}
	op.MessageTS = s.say.Announce(ctx, log, op)
	s.effect(ctx, log, s.sync, op, r, to)
}

// restorable picks what a resume of terminated sync re-sends: the
// configuration saved for this very app before the terminate, else the
// current object if it still holds more than its state. detail describes
// the saved configuration re-sent; refusal says why nothing is re-sent.
// A saved configuration that may not be right (the app's sync kind
// changed, sync was terminated outside syncbot, it is older than
// SnapshotMaxAge) is re-sent only when the asker confirms with --saved.
func (s *Service) restorable(ctx context.Context, log *slog.Logger, cmd commands.Command, t store.Target, cur target.Reading) (r target.Reading, detail, refusal string) {
	alias := cmd.App
	snap, err := s.store.Snapshot(ctx, t)
	if err == nil {
		detail = s.book.Restored(snap.SyncKind, databaseOf(snap.Sync), snap.SavedAt, snap.OpID)
		if why := s.doubts(ctx, snap, cur); len(why) > 0 && !cmd.Saved {
			return cur, "", s.book.SavedNeedsConfirming(alias, detail, why).Text
		}
		return target.Reading{State: cur.State, Variant: snap.SyncKind, Object: snap.Sync, ServiceID: cur.ServiceID}, detail, ""
	}
	if !errors.Is(err, store.ErrNotFound) {
		log.Error("reading the saved configuration failed", "err", err)
		return cur, "", messages.SavedConfigUnreadable
	}
	var fields map[string]json.RawMessage
	if len(cur.Object) > 0 && json.Unmarshal(cur.Object, &fields) == nil && len(fields) > 1 {
		return cur, "", ""
	}
	if legacy, err := s.store.LegacySnapshot(ctx, alias); err == nil {
		return cur, "", messages.UnboundSavedConfig(alias, legacy.SavedAt)
	}
	return cur, "", messages.NoSavedConfig(alias)
}

// doubts lists why a saved configuration may not be right to re-send.
func (s *Service) doubts(ctx context.Context, snap store.Snapshot, cur target.Reading) []string {
	var why []string
	if cur.Variant != "" && cur.Variant != snap.SyncKind {
		why = append(why, messages.SavedKindDiffers(snap.SyncKind, cur.Variant))
	}
	if from, ok := s.savedByTerminate(ctx, snap); !ok {
		why = append(why, messages.SavedOutsideSyncbot(from))
	}
	if age := s.clock.Now().Sub(snap.SavedAt); s.cfg.SnapshotMaxAge > 0 && age > s.cfg.SnapshotMaxAge {
		why = append(why, messages.SavedTooOld(age, s.cfg.SnapshotMaxAge))
	}
	return why
}

// savedByTerminate reports whether snap was saved by a terminate syncbot
// ran; from says what saved it otherwise.
func (s *Service) savedByTerminate(ctx context.Context, snap store.Snapshot) (from string, ok bool) {
	if snap.OpID == 0 {
		return "for a terminate request that never ran", false
	}
	op, err := s.store.GetOp(ctx, snap.OpID)
	if err != nil {
		return "by " + messages.OpName(snap.OpID) + ", which syncbot cannot read", false
	}
	if op.Kind == store.Terminate && (op.State == store.Succeeded || op.State == store.Unknown) {
		return "", true
	}
	return fmt.Sprintf("by %s, a %s that is %s", messages.OpName(op.ID), op.Kind, op.State), false
}

// databaseOf is the database a sync object names, if any.
func databaseOf(object json.RawMessage) string {
	var o struct {
		Database string `json:"database_name"`
	}
	_ = json.Unmarshal(object, &o)
	return o.Database
}
