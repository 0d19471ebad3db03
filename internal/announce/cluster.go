package announce

import (
	"context"
	"encoding/json"

	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/target"
)

// render is Render with what a cluster operation's message shows beyond
// the op: the apps its card previewed and the steps the journal has.
func (a *Announcer) render(ctx context.Context, op store.Op) messages.Message {
	if op.Target.Kind != target.KindCluster {
		return a.Render(op)
	}
	steps, _ := a.Store.Steps(ctx, op.ID) // without them the message still says where the op is
	var p messages.ClusterPreview
	if snap, err := a.Store.Snapshot(ctx, op.Target); err == nil && snap.OpID == op.ID {
		_ = json.Unmarshal(snap.Sync, &p) // unreadable: the card shows no apps
	}
	return a.renderCluster(op, p, steps)
}

func (a *Announcer) renderCluster(op store.Op, p messages.ClusterPreview, steps []store.Step) messages.Message {
	if op.Kind == store.Resume {
		return a.Book.ClusterResume(op, steps)
	}
	return a.Book.ClusterCard(op, p, steps, a.Clock.Now())
}
