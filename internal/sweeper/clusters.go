package sweeper

import (
	"context"
	"fmt"
	"time"

	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/target"
)

// recentOps bounds how far back the cluster reminder looks for each
// cluster's last change: the newest ops that took effect.
const recentOps = 500

// remindPausedClusters reminds the channel, every RemindEvery, of each
// cluster a pause left paused, and once more a day before Atlas's 30-day
// automatic resume (which brings the cluster back with its apps' sync
// still paused). Each is claimed in the store, so it is sent once.
func (s *Sweeper) remindPausedClusters(ctx context.Context) {
	kind := s.cfg.Kinds[target.KindCluster]
	if s.cfg.RemindEvery <= 0 || kind == nil {
		return
	}
	ops, err := s.store.ListOps(ctx, store.Filter{States: []store.State{store.Succeeded}, Limit: recentOps})
	if err != nil {
		s.log.Error("reading the last operations for cluster reminders failed", "err", err)
		return
	}
	now := s.clock.Now()
	seen := map[string]bool{}
	for _, op := range ops { // newest first: the first op of a cluster is its last change
		if op.Target.Kind != target.KindCluster || seen[op.Target.Key()] {
			continue
		}
		seen[op.Target.Key()] = true
		if op.Kind != store.Pause {
			continue
		}
		since := now.Sub(op.UpdatedAt)
		n := int(since / s.cfg.RemindEvery)
		key := fmt.Sprintf("cluster-paused/%d/%d", op.ID, n)
		if since >= messages.AutoResume-24*time.Hour && since < messages.AutoResume {
			key = fmt.Sprintf("cluster-autoresume/%d", op.ID)
		} else if n < 1 {
			continue
		}
		if !s.claim(ctx, key, now) {
			continue
		}
		log := s.log.With("op", op.ID, "cluster", op.Target.Name)
		// Only a pause that still holds: someone may have resumed it in
		// the Atlas UI, or Atlas did.
		if r, err := kind.Read(ctx, op.Target); err != nil || r.State != target.ClusterPaused {
			log.Info("cluster reminder skipped: state unknown or no longer paused", "err", err)
			continue
		}
		if _, err := s.say.Slack.Post(ctx, op.Channel, s.say.Book.ClusterPausedReminder(op, now)); err != nil {
			log.Warn("cluster reminder not posted", "err", err)
		}
	}
}
