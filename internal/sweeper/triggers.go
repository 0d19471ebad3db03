package sweeper

import (
	"context"
	"fmt"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/store"
)

// recentChanges bounds how far back the disabled-trigger reminder looks
// for each trigger's last change: a trigger disabled before the last
// recentChanges successful operations is no longer mentioned.
const recentChanges = 500

// remindTriggersDisabled tells the channel, every RemindEvery, of each
// trigger syncbot disabled that is still disabled: its last successful
// operation is a disable, and a read shows it still disabled (someone may
// have enabled it in the Atlas UI).
func (s *Sweeper) remindTriggersDisabled(ctx context.Context) {
	kind := s.cfg.Kinds[store.TriggerTarget]
	if s.cfg.RemindEvery <= 0 || kind == nil {
		return
	}
	now := s.clock.Now()
	ops, err := s.store.ListOps(ctx, store.Filter{States: []store.State{store.Succeeded}, Limit: recentChanges})
	if err != nil {
		s.log.Error("reading the recent operations for trigger reminders failed", "err", err)
		return
	}
	seen := map[string]bool{}
	for _, op := range ops { // newest first: the first op of a target is its last
		key := op.Target.Key()
		if op.Target.Kind != store.TriggerTarget || key == "" || seen[key] {
			continue
		}
		seen[key] = true
		if op.Kind != store.Disable {
			continue
		}
		n := int(now.Sub(op.UpdatedAt) / s.cfg.RemindEvery)
		if n < 1 || !s.claim(ctx, fmt.Sprintf("trigger-disabled/%d/%d", op.ID, n), now) {
			continue
		}
		log := s.log.With("app", op.App, "op", op.ID)
		r, err := kind.Read(ctx, op.Target)
		if err != nil || r.State != adminapi.TriggerDisabled {
			log.Info("disabled trigger reminder skipped: state unknown or no longer disabled", "err", err)
			continue
		}
		if _, err := s.say.Slack.Post(ctx, op.Channel, s.say.Book.TriggerDisabledReminder(op, now)); err != nil {
			log.Warn("disabled trigger reminder not posted", "err", err)
		}
	}
}

// lastSyncChange is the last successful operation on the Device Sync of
// the app a trigger op belongs to: the paused reminder's per-alias query
// may return a trigger op, which must not hide a pause.
func (s *Sweeper) lastSyncChange(ctx context.Context, trig store.Op) (store.Op, bool) {
	t := store.Target{Kind: store.SyncTarget, GroupID: trig.Target.GroupID, AppID: trig.Target.AppID}
	ops, err := s.store.ListOps(ctx, store.Filter{TargetKey: t.Key(), States: []store.State{store.Succeeded}, Limit: 1})
	if err != nil {
		s.log.Error("reading the last sync operation of an app failed", "app", trig.App, "err", err)
		return store.Op{}, false
	}
	if len(ops) == 0 {
		return store.Op{}, false
	}
	return ops[0], true
}
