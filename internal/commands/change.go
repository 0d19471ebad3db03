package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/store"
)

// change runs pause or resume at once, following the state table:
//
//	now         pause            resume
//	enabled     PATCH disabled   "already running"
//	disabled    "already paused" PATCH enabled
//	""          refused          PATCH enabled with the saved object
func (s *Service) change(ctx context.Context, log *slog.Logger, inv Invocation, cmd Command) {
	kind, target := store.Pause, "disabled"
	if cmd.Verb == Resume {
		kind, target = store.Resume, "enabled"
	}
	app := s.cfg.Apps[cmd.App]
	now := s.clock.Now()
	// Journal first: the row is the per-app lock, and a replayed envelope
	// finds it and does nothing.
	op, created, err := s.store.CreateOp(ctx, store.Op{
		Key: inv.TriggerID, Kind: kind, App: cmd.App, Requester: inv.UserID, RequesterName: inv.UserName,
		Channel: inv.ChannelID, ResponseURL: inv.ResponseURL, Reason: cmd.Reason,
		State: store.Executing, SyncAfter: target, Holder: s.cfg.Holder, LeaseUntil: now.Add(s.cfg.Lease),
	}, now)
	var busy *store.BusyError
	switch {
	case errors.As(err, &busy):
		setOutcome(ctx, "busy")
		s.whisper(ctx, log, inv, busyMessage(busy.Op, s.clock.Now()))
		return
	case err != nil:
		log.Error("journaling the command failed", "err", err)
		s.whisper(ctx, log, inv, text("I could not record this command (the journal did not answer), so nothing was done. Try again in a moment."))
		return
	case !created:
		log.Info("replayed command ignored", "op", op.ID)
		return
	}
	log = log.With("op", op.ID)

	cfg, err := s.admin.ReadForChange(ctx, app)
	object, syncKind := cfg.Object, cfg.Kind
	if cmd.Verb == Resume && errors.Is(err, adminapi.ErrSyncNotConfigured) && !errors.Is(err, adminapi.ErrNotFound) {
		// After a terminate the sync object may be gone: a saved one decides.
		if _, serr := s.store.Snapshot(ctx, cmd.App); serr == nil {
			err, cfg.State = nil, ""
		}
	}
	if err != nil {
		op = s.finish(ctx, log, op, store.Failed, userMessage(err, s.cfg.Apps, cmd.App), "", true)
		s.whisper(ctx, log, inv, text(fmt.Sprintf("Could not %s *%s*: %s Nothing was changed.", kind, cmd.App, op.Outcome)))
		return
	}
	before := cfg.State
	var refusal, noop string
	switch {
	case before == target && target == "disabled":
		noop = fmt.Sprintf("*%s* is already paused (`disabled`)%s. Nothing was sent.", cmd.App, since(cfg))
	case before == target:
		noop = fmt.Sprintf("*%s* is already running (`enabled`). Nothing was sent.", cmd.App)
	case before == "" && kind == store.Pause:
		refusal = fmt.Sprintf("Sync for *%s* is terminated, so there is nothing to pause. `/sync resume %s` re-enables it with the saved configuration.", cmd.App, cmd.App)
	case before == "" && kind == store.Resume:
		object, syncKind, refusal = s.restorable(ctx, log, cmd.App, cfg)
	case before != "enabled" && before != "disabled":
		refusal = fmt.Sprintf("Sync for *%s* is in an unexpected state `%s`; check it in the Atlas UI.", cmd.App, escape(before))
	}
	if noop != "" || refusal != "" {
		to, outcome := store.Succeeded, "no change: already "+plainState(before)
		if refusal != "" {
			to, outcome = store.Failed, refusal
		}
		s.finish(ctx, log, op, to, outcome, before, true)
		setOutcome(ctx, map[bool]string{true: "noop", false: "refused"}[refusal == ""])
		s.whisper(ctx, log, inv, text(noop+refusal))
		return
	}

	// The change is on. Before the PATCH goes out, the journal learns what
	// it starts from and where the channel is told, so that if this
	// process dies once the PATCH may have been sent, the reconciler can
	// finish the very message people saw, with the right "from" state.
	// (Posting while the PATCH ran left, on a crash, a "Pausing…" message
	// the journal did not know and no one would ever finish.)
	op.SyncBefore = before
	if before != "" {
		// The op's row gets sync_before only when it finishes; until then a
		// snapshot tagged with the op says it (resume of terminated sync
		// keeps the saved one: it is what the PATCH re-sends). Best effort:
		// without it the reconciler falls back to what the verb implies.
		if err := s.store.SaveSnapshot(ctx, store.Snapshot{App: cmd.App, SyncKind: syncKind, Sync: object, OpID: op.ID, SavedAt: now}); err != nil {
			log.Warn("saving the sync configuration before the change failed", "err", err)
		}
	}
	op.MessageTS = s.announce(ctx, log, op, ChangeMessage(op))
	err = s.admin.SetState(ctx, app, syncKind, object, target)
	if err != nil {
		log.Warn("change failed", "err", err)
		s.conclude(ctx, log, op, store.Failed, userMessage(err, s.cfg.Apps, cmd.App), before)
		return
	}
	s.conclude(ctx, log, op, store.Succeeded, plainState(before)+" → "+plainState(target), before)
}

// restorable picks what a resume of terminated sync re-sends: the
// configuration saved before the terminate, else the current object if it
// still holds more than its state.
func (s *Service) restorable(ctx context.Context, log *slog.Logger, app string, cur adminapi.SyncConfig) (json.RawMessage, string, string) {
	snap, err := s.store.Snapshot(ctx, app)
	if err == nil {
		return snap.Sync, snap.SyncKind, ""
	}
	if !errors.Is(err, store.ErrNotFound) {
		log.Error("reading the saved configuration failed", "err", err)
		return nil, "", "I could not read the saved sync configuration (the journal did not answer). Nothing was changed; try again in a moment."
	}
	var fields map[string]json.RawMessage
	if len(cur.Object) > 0 && json.Unmarshal(cur.Object, &fields) == nil && len(fields) > 1 {
		return cur.Object, cur.Kind, ""
	}
	return nil, "", fmt.Sprintf("Sync for *%s* is terminated and syncbot has no saved configuration for it, so it cannot re-enable it. Re-enable sync in the Atlas UI with the full configuration.", app)
}

func since(cfg adminapi.SyncConfig) string {
	if cfg.LastDisabled.IsZero() {
		return ""
	}
	return " since " + when(cfg.LastDisabled)
}
