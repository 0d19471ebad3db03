package messages_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/atlasapi"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
)

func clusterOp(kind store.Kind, state store.State) store.Op {
	op := baseOp(kind, state)
	op.Target = store.Target{Kind: "cluster", GroupID: "5b2ec991973129243223a114", Name: "Cluster0"}
	op.SyncKind, op.SyncBefore, op.SyncAfter = "M10", "running", "paused"
	op.Reason, op.ExpiresAt = "quarterly savings <!channel>", t0.Add(15*time.Minute)
	if kind == store.Resume {
		op.SyncBefore, op.SyncAfter, op.Reason, op.ExpiresAt = "paused", "running", "", time.Time{}
	}
	return op
}

var (
	clusterApps = []messages.AppSync{{Alias: "legacy", State: "enabled"}, {Alias: "prod", State: "enabled"}, {Alias: "staging", State: "disabled"}}
	pauseSteps  = []store.Step{
		{Name: "sync/g/l", Label: "legacy", State: store.StepDone, Detail: messages.StepSyncPaused},
		{Name: "sync/g/p", Label: "prod", State: store.StepDone, Detail: messages.StepSyncPaused},
		{Name: "sync/g/s", Label: "staging", State: store.StepSkipped, Detail: messages.SyncStepSkipped("disabled")},
	}
)

// clusterGoldenCases are the cluster messages, one golden file each.
func clusterGoldenCases() map[string]messages.Message {
	decided := func(op store.Op) store.Op { op.DecidedBy = "UBOB"; return op }
	failed := decided(clusterOp(store.Pause, store.Failed))
	failed.Outcome = "Pausing sync of *staging* failed: Atlas refused the change (403 Forbidden). The cluster was *not* paused. Sync stays paused for `prod` (paused by this request)."
	resumeDone := clusterOp(store.Resume, store.Succeeded)
	resumeDone.Outcome = "paused → running; sync resumed for `legacy`, `prod`"
	return map[string]messages.Message{
		"cluster_card_pending": book.ClusterCard(clusterOp(store.Pause, store.Pending), messages.ClusterPreview{Tier: "M10", Apps: clusterApps, Others: []string{"reporting"}}, nil, t0),
		"cluster_card_running": book.ClusterCard(decided(clusterOp(store.Pause, store.Executing)), messages.ClusterPreview{Apps: clusterApps}, pauseSteps[:2], t0),
		"cluster_card_paused": book.ClusterCard(decided(clusterOp(store.Pause, store.Succeeded)), messages.ClusterPreview{Apps: clusterApps},
			append(pauseSteps, store.Step{Name: "cluster", State: store.StepDone, Detail: "running → paused"}), t0),
		"cluster_card_failed": book.ClusterCard(failed, messages.ClusterPreview{Apps: clusterApps}, pauseSteps[:1], t0),
		"cluster_resume_waiting": book.ClusterResume(clusterOp(store.Resume, store.Executing), []store.Step{
			{Name: "cluster", State: store.StepDone, Detail: "paused → running"},
			{Name: "wait", State: store.StepStarted, Detail: "waiting for the cluster: `UPDATING`, 2 min so far"},
		}),
		"cluster_resume_done": book.ClusterResume(resumeDone, []store.Step{
			{Name: "cluster", State: store.StepDone, Detail: "paused → running"},
			{Name: "wait", State: store.StepDone, Detail: "`IDLE` after 4 min"},
			{Name: "oplog", State: store.StepDone, Detail: messages.OutcomeOplog(30*time.Hour, 24)},
			{Name: "sync/g/p", Label: "prod", State: store.StepDone, Detail: messages.StepSyncResumed},
		}),
		"cluster_status_paused": book.ClusterStatus(messages.ClusterView{Alias: "prod", Name: "Cluster0", Tier: "M10", StateName: "IDLE", Paused: true,
			Apps: clusterApps, OplogHours: 24, Last: ptr(decided(clusterOp(store.Pause, store.Succeeded))), Now: t0}),
		"cluster_reminder_autoresume": book.ClusterPausedReminder(clusterOp(store.Pause, store.Succeeded), t0.Add(29*24*time.Hour+time.Hour)),
		"cluster_history":             book.History("", []store.Op{resumeDone, decided(clusterOp(store.Pause, store.Succeeded))}),
		"cluster_pending":             book.Pending([]store.Op{clusterOp(store.Pause, store.Pending)}, nil, t0.Add(time.Minute)),
	}
}

func TestClusterGolden(t *testing.T) {
	for name, m := range clusterGoldenCases() {
		t.Run(name, func(t *testing.T) {
			if m.Text == "" || len(m.Blocks) > 50 {
				t.Fatalf("text %q, %d blocks", m.Text, len(m.Blocks))
			}
			checkGolden(t, name, m)
			got := goldenJSON(t, m)
			if strings.Contains(string(got), "<!channel>") {
				t.Error("a reason's mention is live")
			}
		})
	}
}

func TestClusterProblemNamesTheRole(t *testing.T) {
	err := &atlasapi.APIError{Op: "update cluster", Status: 403, Code: "USER_UNAUTHORIZED"}
	if got := book.ClusterProblem(err, "prod"); !strings.Contains(got, "Project Cluster Manager") {
		t.Errorf("403: %q", got)
	}
	if got := book.ClusterProblem(errors.Join(errors.New("x"), &atlasapi.APIError{Status: 404}), "prod"); !strings.Contains(got, "no such cluster") {
		t.Errorf("404: %q", got)
	}
}
