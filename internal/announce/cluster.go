package announce

import (
	"context"
	"encoding/json"

	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/target"
)

// ClusterPreview is what a cluster pause's card previewed, saved as the
// cluster target's snapshot tagged with the op.
type ClusterPreview struct {
	Tier string             `json:"tier"`
	Apps []messages.AppSync `json:"apps"`
}

// render is Render with what a cluster operation's message shows beyond
// the op: the apps its card previewed and the steps the journal has.
func (a *Announcer) render(ctx context.Context, op store.Op) messages.Message {
	if op.Target.Kind != target.KindCluster {
		return a.Render(op)
	}
	steps, _ := a.Store.Steps(ctx, op.ID) // without them the message still says where the op is
	var apps []messages.AppSync
	if snap, err := a.Store.Snapshot(ctx, op.Target); err == nil && snap.OpID == op.ID {
		var p ClusterPreview
		if json.Unmarshal(snap.Sync, &p) == nil {
			apps = p.Apps
		}
	}
	return a.renderCluster(op, apps, steps)
}

func (a *Announcer) renderCluster(op store.Op, apps []messages.AppSync, steps []store.Step) messages.Message {
	if op.Kind == store.Resume {
		return a.Book.ClusterResume(op, steps)
	}
	return a.Book.ClusterCard(op, apps, steps, a.Clock.Now())
}
