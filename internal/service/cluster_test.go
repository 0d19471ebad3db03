package service_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/atlasapi"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/demo"
	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/fakeatlas"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/service"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/target"
)

// Both demo apps run on Cluster0 (the fake Admin API's clusterName), an
// M10 in the fake Atlas.
const cluster0 = "Cluster0"

type clusterOptions struct {
	noApproval bool
	clusters   map[string]string // SYNC_CLUSTERS alias → cluster name
	// onPause runs as the cluster PATCH goes out (before it is sent).
	onSetPaused func(paused bool)
}

// watchedAtlas calls onSetPaused before each cluster PATCH.
type watchedAtlas struct {
	target.ClusterAtlas
	on func(bool)
}

func (w watchedAtlas) SetPaused(ctx context.Context, g, n string, p bool) error {
	w.on(p)
	return w.ClusterAtlas.SetPaused(ctx, g, n, p)
}

func withClusters(t *testing.T, cfg *service.Config, kinds map[string]target.Kind, o worldOptions, admin *adminapi.Client, sync target.Kind, apps map[string]adminapi.App) {
	ac, err := atlasapi.New(atlasapi.Options{BaseURL: o.atlas.URL(), PublicKey: demo.PublicKey, PrivateKey: demo.PrivateKey, Clock: o.clock, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var a target.ClusterAtlas = ac
	if o.cluster.onSetPaused != nil {
		a = watchedAtlas{a, o.cluster.onSetPaused}
	}
	ck := target.Cluster{Atlas: a, Admin: admin, Sync: sync, Apps: apps, Clusters: map[string]store.Target{}}
	for alias, name := range o.cluster.clusters {
		ck.Clusters[alias] = target.ClusterTarget(groupID, name)
		cfg.Clusters = append(cfg.Clusters, alias)
	}
	cfg.Cluster, cfg.ClusterApproval = ck, !o.cluster.noApproval
	kinds[target.KindCluster] = ck
}

func newAtlas(t *testing.T, clk *clock.Fake, tier, provider string) *fakeatlas.Server {
	fake := fakeatlas.New(fakeatlas.Options{PublicKey: demo.PublicKey, PrivateKey: demo.PrivateKey, Clock: clk, Transition: 3 * time.Minute})
	t.Cleanup(fake.Close)
	fake.AddCluster(fakeatlas.Cluster{GroupID: groupID, Name: cluster0, InstanceSize: tier, Provider: provider, OplogMinRetentionHours: 24})
	return fake
}

// appC is an app of the project that syncbot does not manage.
const appC = "64b7f0c2a1b2c3d4e5f6071f"

// shownBlocks is op's channel message's blocks, as JSON.
func (r *recorder) shownBlocks(op store.Op) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, _ := json.Marshal(r.updates[op.MessageTS].Blocks)
	return string(b)
}

// two apps on Cluster0: prod (A) and staging (B).
var bothApps = map[string]string{"prod": appA, "staging": appB}

// drive moves the clock a minute each time the resume's poll is parked
// on it beside the lease renewal (two waiters), until done closes. Never
// while a request is in flight: a clock moved then could outrun the
// renewals and take the lease from a live worker.
func drive(t *testing.T, clk *clock.Fake, done <-chan struct{}) {
	t.Helper()
	for {
		select {
		case <-done:
			return
		case <-clk.Added():
		case <-time.After(30 * time.Second):
			t.Fatal("nothing parked on the clock and the operation did not end")
		}
		if clk.Waiters() >= 2 {
			clk.Advance(time.Minute)
		}
	}
}

// run runs f while driving the clock.
func run(t *testing.T, clk *clock.Fake, f func()) {
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	drive(t, clk, done)
}

func clusterPatches(a *fakeatlas.Server) []string { return a.Patches() }

func TestClusterPauseSyncsFirstThenTheCluster(t *testing.T) {
	for name, opener := range stores {
		t.Run(name, func(t *testing.T) {
			clk := clock.NewFake(t0)
			atlas := newAtlas(t, clk, "M10", "")
			st := opener(t)()
			defer st.Close()
			var atPatch []string
			var w *world
			w = newWorld(t, st, worldOptions{clock: clk, atlas: atlas, apps: bothApps, cluster: clusterOptions{
				onSetPaused: func(bool) { atPatch = append(atPatch, w.state(appA), w.state(appB)) },
			}})
			// An app syncbot does not manage, on the same cluster: named on
			// the card, its sync left alone.
			w.admin.AddApp(fakeadmin.App{GroupID: groupID, ID: appC, Name: "reporting", SyncKind: adminapi.KindFlexible})
			w.command(alice, "cluster pause prod nightly cost savings")
			op := w.op(1)
			if blocks := w.slack.shownBlocks(op); !strings.Contains(blocks, "not managed by syncbot") || !strings.Contains(blocks, "reporting") {
				t.Errorf("the card does not name the unmanaged app: %s", blocks)
			}
			if op.State != store.Pending || op.Target.Key() != target.ClusterTarget(groupID, cluster0).Key() {
				t.Fatalf("T-1 = %s on %s; want pending on the cluster", op.State, op.Target.Key())
			}
			card := w.slack.shown(op)
			for _, want := range []string{"pause cluster Cluster0"} {
				if !strings.Contains(card, want) {
					t.Errorf("card %q lacks %q", card, want)
				}
			}
			if w.patches(appA)+w.patches(appB)+len(clusterPatches(atlas)) != 0 {
				t.Fatal("something was sent before approval")
			}
			w.click(bob, messages.ActionApprove, 1)

			op = w.op(1)
			if op.State != store.Succeeded {
				t.Fatalf("T-1 %s: %s", op.State, op.Outcome)
			}
			if got := strings.Join(atPatch, ","); got != "disabled,disabled" {
				t.Errorf("sync of A and B when the cluster PATCH went out: %s; want both disabled", got)
			}
			if p := clusterPatches(atlas); len(p) != 1 || p[0] != `{"paused":true}` {
				t.Errorf("cluster PATCHes %q; want one {\"paused\":true}", p)
			}
			if w.patches(appA) != 1 || w.patches(appB) != 1 || w.patches(appC) != 0 {
				t.Errorf("sync PATCHes: A %d, B %d, unmanaged %d; want one each of A and B", w.patches(appA), w.patches(appB), w.patches(appC))
			}
			steps, _ := st.Steps(t.Context(), 1)
			var names []string
			for _, s := range steps {
				names = append(names, s.Label+":"+string(s.State))
			}
			if got := strings.Join(names, " "); got != "prod:done staging:done :done" {
				t.Errorf("steps %s", got)
			}
			if !strings.Contains(op.Outcome, "sync paused first for `prod`, `staging`") {
				t.Errorf("outcome %q", op.Outcome)
			}
		})
	}
}

func TestClusterPauseStopsWhenASyncPauseFails(t *testing.T) {
	clk := clock.NewFake(t0)
	atlas := newAtlas(t, clk, "M30", "")
	st := stores["sqlite"](t)()
	defer st.Close()
	w := newWorld(t, st, worldOptions{clock: clk, atlas: atlas, apps: bothApps, cluster: clusterOptions{noApproval: true}})
	w.admin.Inject(fakeadmin.Fault{Method: http.MethodPatch, PathContains: appB, Status: http.StatusForbidden,
		Body: `{"error":"user does not have permission","error_code":"Forbidden"}`})
	w.command(alice, "cluster pause prod nightly")

	op := w.op(1)
	if op.State != store.Failed || !strings.Contains(op.Outcome, "Pausing sync of *staging* failed") ||
		!strings.Contains(op.Outcome, "Sync stays paused for `prod`") || !strings.Contains(op.Outcome, "*not* paused") {
		t.Errorf("T-1 %s: %q", op.State, op.Outcome)
	}
	if len(clusterPatches(atlas)) != 0 || atlas.Cluster(groupID, cluster0).Paused {
		t.Error("the cluster was paused after a sync pause failed")
	}
	if w.state(appA) != adminapi.StateDisabled || w.state(appB) != adminapi.StateEnabled {
		t.Errorf("sync A %s, B %s; want A paused (said so), B running", w.state(appA), w.state(appB))
	}
	if card := w.slack.shown(op); !strings.Contains(card, "pause of cluster Cluster0 failed") {
		t.Errorf("card %q", card)
	}
}

func TestClusterPauseRefusedForFreeAndFlexTiers(t *testing.T) {
	for _, c := range []struct{ tier, provider string }{{"M0", "TENANT"}, {"FLEX", "FLEX"}} {
		t.Run(c.tier, func(t *testing.T) {
			clk := clock.NewFake(t0)
			atlas := newAtlas(t, clk, c.tier, c.provider)
			st := stores["sqlite"](t)()
			defer st.Close()
			w := newWorld(t, st, worldOptions{clock: clk, atlas: atlas, apps: bothApps})
			w.command(alice, "cluster pause prod nightly")
			if got := w.slack.lastWhisper(); !strings.Contains(got, "Atlas pauses only dedicated clusters (M10 and up)") || !strings.Contains(got, "Nothing was sent") {
				t.Errorf("answer %q", got)
			}
			if ops, _ := st.ListOps(t.Context(), store.Filter{}); len(ops) != 0 {
				t.Errorf("%d ops journaled for a refusal", len(ops))
			}
			for _, call := range atlas.Calls() {
				if call.Method != http.MethodGet {
					t.Errorf("request sent: %s %s", call.Method, call.Path)
				}
			}
			if w.patches(appA)+w.patches(appB) != 0 {
				t.Error("a sync was paused")
			}
		})
	}
}

// pauseThenResume pauses the cluster (B's sync was paused before, so the
// pause leaves it) and returns the world.
func pausedWorld(t *testing.T, st store.Store, clk *clock.Fake, atlas *fakeatlas.Server, holder string) *world {
	w := newWorld(t, st, worldOptions{clock: clk, atlas: atlas, apps: bothApps, holder: holder, cluster: clusterOptions{noApproval: true}})
	w.admin.SetSync(groupID, appB, adminapi.KindFlexible, []byte(`{"state":"disabled"}`))
	w.command(alice, "cluster pause prod nightly")
	if op := w.op(1); op.State != store.Succeeded {
		t.Fatalf("pause: %s %s", op.State, op.Outcome)
	}
	clk.Advance(5 * time.Minute) // the pause's UPDATING is over
	return w
}

func TestClusterResumeWaitsForIdleThenResumesWhatThePausePaused(t *testing.T) {
	clk := clock.NewFake(t0)
	atlas := newAtlas(t, clk, "M10", "")
	st := stores["sqlite"](t)()
	defer st.Close()
	w := pausedWorld(t, st, clk, atlas, "")
	run(t, clk, func() { w.command(bob, "cluster resume staging") })
	op := w.op(2)
	if op.State != store.Succeeded {
		t.Fatalf("T-2 %s: %s", op.State, op.Outcome)
	}
	if p := clusterPatches(atlas); len(p) != 2 || p[1] != `{"paused":false}` {
		t.Errorf("cluster PATCHes %q", p)
	}
	if w.state(appA) != adminapi.StateEnabled || w.state(appB) != adminapi.StateDisabled {
		t.Errorf("sync A %s, B %s; want A resumed, B left paused (the pause did not pause it)", w.state(appA), w.state(appB))
	}
	// The syncs were resumed only once the cluster was IDLE: the journal
	// has the wait done, and A's resume PATCH is no earlier than it.
	steps, _ := st.Steps(t.Context(), 2)
	var idleAt time.Time
	for _, s := range steps {
		if s.Name == "wait" && s.State == store.StepDone {
			idleAt = s.At
		}
	}
	if idleAt.IsZero() || idleAt.Sub(t0) < 8*time.Minute {
		t.Fatalf("no journaled wait of the 3-minute transition: %+v", steps)
	}
	for _, p := range w.admin.Patches() {
		if p.AppID == appA && strings.Contains(string(p.Body), `"enabled"`) && p.At.Before(idleAt) {
			t.Errorf("A resumed at %v, before the cluster was IDLE at %v", p.At, idleAt)
		}
	}
	if !strings.Contains(w.slack.shown(op), "cluster Cluster0 resumed") {
		t.Errorf("message %q", w.slack.shown(op))
	}
}

// A resume whose process dies while it waits for the cluster is finished
// by another process, from the journaled wait: one cluster PATCH, one sync
// PATCH, on both stores.
func TestClusterResumeRestartMidWaitFinishesOnce(t *testing.T) {
	for name, opener := range stores {
		t.Run(name, func(t *testing.T) {
			clk := clock.NewFake(t0)
			atlas := newAtlas(t, clk, "M10", "")
			st := opener(t)()
			defer st.Close()
			p1 := pausedWorld(t, st, clk, atlas, "p1")

			ctx, kill := context.WithCancel(t.Context())
			done := make(chan struct{})
			go func() {
				defer close(done)
				p1.svc.HandleCommand(ctx, service.Invocation{EnvelopeID: "e", ChannelID: channel, UserID: bob, UserName: "bob",
					Text: "cluster resume prod", TriggerID: "resume-1"})
			}()
			// Let it reach the wait, then "kill" it there.
			for waiting := false; !waiting; {
				select {
				case <-clk.Added():
				case <-time.After(30 * time.Second):
					t.Fatal("the resume never waited")
				}
				steps, _ := st.Steps(t.Context(), 2)
				for _, s := range steps {
					waiting = waiting || (s.Name == "wait" && s.State == store.StepStarted)
				}
			}
			kill()
			<-done
			if op := p1.op(2); op.State != store.Executing {
				t.Fatalf("after the kill T-2 is %s", op.State)
			}

			p2 := newWorld(t, st, worldOptions{clock: clk, admin: p1.admin, atlas: atlas, apps: bothApps, holder: "p2", slack: p1.slack})
			clk.Advance(lease + time.Second)
			p2.sw.Reconcile(t.Context(), false)
			run(t, clk, p2.svc.Wait)
			op := p2.op(2)
			// p2 took it over through its sweeper, which holds it under its own name.
			if op.State != store.Succeeded || op.Holder != "p2/sweeper" {
				t.Fatalf("T-2 %s by %s: %s", op.State, op.Holder, op.Outcome)
			}
			if p := clusterPatches(atlas); len(p) != 2 {
				t.Errorf("cluster PATCHes %q; want the pause and one resume", p)
			}
			n := 0
			for _, p := range p1.admin.Patches() {
				if p.AppID == appA && strings.Contains(string(p.Body), `"enabled"`) {
					n++
				}
			}
			if n != 1 || p2.state(appA) != adminapi.StateEnabled {
				t.Errorf("%d resume PATCHes of A (now %s); want one", n, p2.state(appA))
			}
		})
	}
}

// Two approvers clicking at once, on two replicas, make one cluster PATCH.
func TestClusterPauseDoubleApprovalOnTwoReplicasPatchesOnce(t *testing.T) {
	for name, opener := range stores {
		t.Run(name, func(t *testing.T) {
			clk := clock.NewFake(t0)
			atlas := newAtlas(t, clk, "M10", "")
			st := opener(t)()
			defer st.Close()
			p1 := newWorld(t, st, worldOptions{clock: clk, atlas: atlas, apps: bothApps, holder: "p1"})
			p2 := newWorld(t, st, worldOptions{clock: clk, admin: p1.admin, atlas: atlas, apps: bothApps, holder: "p2", slack: p1.slack})
			p1.command(alice, "cluster pause prod nightly")
			var wg sync.WaitGroup
			for _, c := range []struct {
				w    *world
				user string
			}{{p1, bob}, {p2, demo.Carol}, {p1, demo.Carol}, {p2, bob}} {
				wg.Go(func() { c.w.click(c.user, messages.ActionApprove, 1) })
			}
			wg.Wait()
			if p := clusterPatches(atlas); len(p) != 1 {
				t.Errorf("cluster PATCHes %q; want one", p)
			}
			if p1.patches(appA) != 1 || p1.patches(appB) != 1 {
				t.Errorf("sync PATCHes A %d B %d; want one each", p1.patches(appA), p1.patches(appB))
			}
			if op := p1.op(1); op.State != store.Succeeded {
				t.Errorf("T-1 %s: %s", op.State, op.Outcome)
			}
		})
	}
}

func TestClusterStatusAndAppStatusLine(t *testing.T) {
	clk := clock.NewFake(t0)
	atlas := newAtlas(t, clk, "M10", "")
	st := stores["sqlite"](t)()
	defer st.Close()
	w := newWorld(t, st, worldOptions{clock: clk, atlas: atlas, apps: bothApps, cluster: clusterOptions{clusters: map[string]string{"main": cluster0}}})
	w.command(carol, "cluster status main")
	got := w.slack.lastWhisper()
	for _, want := range []string{"Cluster0", "M10", "running", "IDLE"} {
		if !strings.Contains(got, want) {
			t.Errorf("cluster status %q lacks %q", got, want)
		}
	}
	w.command(carol, "status prod")
	if !strings.Contains(w.slack.lastWhisper(), "prod") {
		t.Errorf("status %q", w.slack.lastWhisper())
	}
	msg := w.svc.Announcer().Book.Status(messages.StatusView{App: "prod", State: "enabled", Cluster: messages.ClusterLine(cluster0, "M10", false, "IDLE")})
	b, _ := json.Marshal(msg.Blocks)
	if !strings.Contains(string(b), "Cluster0 (M10)") {
		t.Errorf("status blocks lack the cluster line: %s", b)
	}
}

const carol = demo.Carol

// A cluster pause waiting for approval is listed by pending, can be
// withdrawn by its requester, and then sends nothing.
func TestClusterPausePendingAndCancel(t *testing.T) {
	clk := clock.NewFake(t0)
	atlas := newAtlas(t, clk, "M10", "")
	st := stores["sqlite"](t)()
	defer st.Close()
	w := newWorld(t, st, worldOptions{clock: clk, atlas: atlas, apps: bothApps})
	w.command(alice, "cluster pause prod nightly")
	w.command(carol, "pending")
	if got := w.slack.lastWhisper(); !strings.Contains(got, "request(s) waiting for approval") {
		t.Errorf("pending: %q", got)
	}
	w.command(alice, "cancel T-1")
	op := w.op(1)
	if op.State != store.Cancelled || !strings.Contains(w.slack.shown(op), "withdrawn; nothing changed for cluster Cluster0") {
		t.Errorf("T-1 %s, card %q", op.State, w.slack.shown(op))
	}
	w.click(bob, messages.ActionApprove, 1)
	if len(clusterPatches(atlas))+w.patches(appA)+w.patches(appB) != 0 {
		t.Error("a withdrawn pause sent something")
	}
}

// A sync resumed by someone while the pause works through the apps keeps
// the cluster running: the cluster goes only when every sync reads paused.
func TestClusterPauseRechecksEverySyncBeforeTheCluster(t *testing.T) {
	clk := clock.NewFake(t0)
	atlas := newAtlas(t, clk, "M10", "")
	st := stores["sqlite"](t)()
	defer st.Close()
	var w *world
	resumed := false
	w = newWorld(t, st, worldOptions{clock: clk, atlas: atlas, apps: bothApps, cluster: clusterOptions{noApproval: true}})
	// Once B's sync is paused (the last app), someone resumes A's in the
	// Atlas UI.
	w.admin.Subscribe(func(c fakeadmin.Call) {
		if c.Method == http.MethodPatch && strings.Contains(c.Path, appB) && !resumed {
			resumed = true
			w.admin.SetSync(groupID, appA, adminapi.KindFlexible, []byte(`{"state":"enabled"}`)) // before B's answer leaves
		}
	})
	w.command(alice, "cluster pause prod nightly")
	op := w.op(1)
	if op.State != store.Failed || !strings.Contains(op.Outcome, "Sync of *prod* is running again") {
		t.Errorf("T-1 %s: %q", op.State, op.Outcome)
	}
	if len(clusterPatches(atlas)) != 0 {
		t.Error("the cluster was paused under a running sync")
	}
}
