package sweeper_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/demo"
	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/service"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/store/sqlite"
	"github.com/syncbot/syncbot/internal/sweeper"
	"github.com/syncbot/syncbot/internal/target"
)

const (
	groupID   = demo.GroupID
	prodID    = demo.ProdID
	stagingID = demo.StagingID
)

// slackRecorder is service.Slack that accepts everything and counts the
// channel posts; onPost, if set, runs at each.
type slackRecorder struct {
	mu     sync.Mutex
	posts  int
	onPost func()
}

func (r *slackRecorder) Post(_ context.Context, _ string, _ messages.Message) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.posts++
	if r.onPost != nil {
		r.onPost()
	}
	return fmt.Sprintf("1700000000.%06d", r.posts), nil
}
func (r *slackRecorder) Update(context.Context, string, string, messages.Message) error { return nil }
func (r *slackRecorder) Ephemeral(context.Context, string, string, messages.Message) error {
	return nil
}
func (r *slackRecorder) Respond(context.Context, string, messages.Message, bool) error { return nil }
func (r *slackRecorder) Replace(context.Context, string, messages.Message) error       { return nil }
func (r *slackRecorder) UsergroupMembers(context.Context, string) ([]string, error) {
	return nil, nil
}

// A command that arrives before the start-up reconcile has run must not be
// taken for one a dead process left behind: on the embedded store the
// start-up reconcile settles every unfinished op as abandoned, and it
// once listed them after the socket was up, so a pause typed in the first
// milliseconds was settled as "interrupted" while its own PATCH was in
// flight. Prepare lists what was left before any command is taken; the
// start-up reconcile works on that list alone.
func TestStartupReconcileSettlesOnlyWhatEarlierProcessesLeft(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clk := clock.NewFake(now)

	// Left by a process that died while pausing prod.
	left, _, err := st.CreateOp(ctx, store.Op{
		Key: "dead-trigger", Kind: store.Pause, App: "prod", Target: store.Target{Kind: target.KindSync, GroupID: groupID, AppID: prodID}, Requester: "U1", RequesterName: "ada",
		Channel: "C1", State: store.Executing, SyncAfter: "disabled", Holder: "dead-process",
		LeaseUntil: now.Add(time.Minute),
	}, now.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}

	fake := fakeadmin.New(fakeadmin.Options{PublicKey: demo.PublicKey, PrivateKey: demo.PrivateKey, Clock: clk})
	defer fake.Close()
	for _, a := range []struct{ id, name string }{{prodID, "prod"}, {stagingID, "staging"}} {
		fake.AddApp(fakeadmin.App{GroupID: groupID, ID: a.id, Name: a.name, SyncKind: "flexible_sync"})
	}
	admin, err := adminapi.New(adminapi.Options{BaseURL: fake.URL(), PublicKey: demo.PublicKey, PrivateKey: demo.PrivateKey, Clock: clk, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	apps := map[string]adminapi.App{
		"prod":    {GroupID: groupID, AppID: prodID},
		"staging": {GroupID: groupID, AppID: stagingID},
	}
	// The live pause is journaled as executing, reads, posts "in progress"
	// and PATCHes; the post tells the test it is under way.
	posted := make(chan struct{})
	var once sync.Once
	sl := &slackRecorder{onPost: func() { once.Do(func() { close(posted) }) }}
	kind := target.Sync{Admin: admin, Apps: apps}
	log := slog.New(slog.DiscardHandler)
	svc := service.New(service.Config{
		Aliases: []string{"prod", "staging"}, Policy: approval.NewPolicy(nil, 15*time.Minute),
		Holder: "this-process", Lease: 5 * time.Minute,
	}, kind, st, sl, clk, log)
	sw := sweeper.New(sweeper.Config{
		Kinds: map[string]target.Kind{target.KindSync: kind}, Holder: "this-process", Exclusive: true, Lease: 5 * time.Minute,
	}, st, svc.Announcer(), clk, log)

	if err := sw.Prepare(ctx); err != nil {
		t.Fatal(err)
	}

	// The socket is up: a pause of staging arrives, is journaled and
	// announced, and its PATCH goes unanswered until the test ends.
	fake.Inject(fakeadmin.Fault{Method: "PATCH", Stall: true})
	cmdCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.HandleCommand(cmdCtx, service.Invocation{
			EnvelopeID: "e1", ChannelID: "C1", UserID: "U2", UserName: "bob", Text: "pause staging",
			TriggerID: "live-trigger", ResponseURL: "https://hooks.slack.invalid/r",
		})
	}()
	defer func() { cancel(); <-done }()
	select {
	case <-posted:
	case <-done:
		t.Fatal("the live pause ended before posting")
	}
	ops, err := st.ListOps(ctx, store.Filter{Key: "live-trigger"})
	if err != nil || len(ops) != 1 || ops[0].State != store.Executing {
		t.Fatalf("the live pause once announced: %+v, %v; want it journaled, executing", ops, err)
	}
	live := ops[0]

	// Now the start-up reconcile runs.
	sw.Reconcile(ctx, true)

	got, err := st.GetOp(ctx, left.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.Failed || !strings.Contains(got.Outcome, "interrupted") {
		t.Errorf("the dead process's pause: %s %q; want failed, interrupted (prod is still running)", got.State, got.Outcome)
	}
	got, err = st.GetOp(ctx, live.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.Executing || got.Outcome != "" {
		t.Errorf("the live pause was settled by the start-up reconcile: %s %q; want it left executing", got.State, got.Outcome)
	}
	if got.Holder != "this-process" {
		t.Errorf("the live pause is held by %q; want this-process", got.Holder)
	}
}
