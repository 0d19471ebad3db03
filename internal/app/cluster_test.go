package app_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/app"
	"github.com/syncbot/syncbot/internal/config"
	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/fakeatlas"
	"github.com/syncbot/syncbot/internal/messages"
)

// The demo apps all run on Cluster0 (the fake Admin API's clusterName):
// prod and legacy with sync running, staging paused.

// clusterEnv is the demo world with a fake Atlas Administration API
// holding Cluster0 (tier given), and the bot started.
func clusterEnv(t *testing.T, tier, provider string, opts ...envOpt) (*env, *fakeatlas.Server, *atPatch) {
	t.Helper()
	e := newEnvWithoutBot(t, opts...)
	seen := &atPatch{}
	fa := e.atlas
	fa.SetBeforePatch(func(body string) { seen.note(e, body) })
	fa.AddCluster(fakeatlas.Cluster{GroupID: group, Name: "Cluster0", InstanceSize: tier, Provider: provider})
	if e.cfg.ClusterApproval == "" {
		e.cfg.ClusterApproval = config.ApprovalRequired
	}
	e.cfg.ClusterWait = 20 * time.Minute
	e.start()
	return e, fa, seen
}

// atPatch records the apps' sync states as each cluster PATCH goes out.
type atPatch struct {
	mu   sync.Mutex
	seen []string
}

func (a *atPatch) note(e *env, body string) {
	prod, _ := e.admin.SyncState(group, prodID)
	legacy, _ := e.admin.SyncState(group, legacyID)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen = append(a.seen, body+" prod="+prod+" legacy="+legacy)
}

func (a *atPatch) list() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.seen...)
}

func syncPatches(e *env, id, state string) int {
	n := 0
	for _, p := range e.patches(id) {
		if p.Status < 300 && strings.Contains(string(p.Body), `"state":"`+state+`"`) {
			n++
		}
	}
	return n
}

// untilMessage moves the clock 10 s at a time (each step waits for the
// sweeper to come round; the lease is renewed every 20 s) until a channel
// message's blocks contain want.
func (e *env) untilMessage(want string) {
	e.t.Helper()
	for range 360 {
		for _, m := range e.slack.Messages(channel) {
			if strings.Contains(m.Text+readable(m.Blocks), want) {
				return
			}
		}
		e.advance(10 * time.Second)
	}
	e.t.Fatalf("no channel message with %q after an hour of fake time", want)
}

func TestClusterPauseAndResumeEndToEnd(t *testing.T) {
	e, fa, seen := clusterEnv(t, "M10", "")
	e.command(alice, "cluster pause prod quarterly maintenance")
	card := e.channelMessage("asks to pause cluster Cluster0")
	blocks := readable(card.Blocks)
	for _, want := range []string{"M10", "*prod*: sync `enabled`", "*staging*: sync `disabled`", "*legacy*: sync `enabled`", "Atlas resumes a paused cluster by itself after 30 days", "The data stays"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("card lacks %q:\n%s", want, blocks)
		}
	}
	if len(fa.Patches())+len(e.admin.Patches()) != 0 {
		t.Fatal("something was sent before approval")
	}
	// Two approvers at once: one of them wins, one PATCH.
	e.click(bob, card.TS, messages.ActionApprove, "T-1")
	e.click(carol, card.TS, messages.ActionApprove, "T-1")
	e.channelMessage("cluster Cluster0 is paused")
	if got := seen.list(); len(got) != 1 || got[0] != `{"paused":true} prod=disabled legacy=disabled` {
		t.Errorf("cluster PATCHes, with sync as each went out: %q; want one, after both syncs were paused", got)
	}
	if syncPatches(e, prodID, "disabled") != 1 || syncPatches(e, legacyID, "disabled") != 1 || len(e.patches(stageID)) != 0 {
		t.Errorf("sync PATCHes: prod %d, legacy %d, staging %d", len(e.patches(prodID)), len(e.patches(legacyID)), len(e.patches(stageID)))
	}

	e.advance(5 * time.Minute) // the pause's UPDATING is over
	e.command(bob, "cluster resume prod")
	e.untilMessage("cluster Cluster0 resumed")
	if got := fa.Patches(); len(got) != 2 || got[1] != `{"paused":false}` {
		t.Errorf("cluster PATCHes %q", got)
	}
	if syncPatches(e, prodID, "enabled") != 1 || syncPatches(e, legacyID, "enabled") != 1 || len(e.patches(stageID)) != 0 {
		t.Errorf("resumed: prod %d, legacy %d, staging touched %d times; want exactly the two the pause paused",
			syncPatches(e, prodID, "enabled"), syncPatches(e, legacyID, "enabled"), len(e.patches(stageID)))
	}
	if s, _ := e.admin.SyncState(group, stageID); s != "disabled" {
		t.Errorf("staging %s; its sync was paused before, and stays so", s)
	}
	metrics := e.scrape("http://" + <-e.http + "/metrics")
	for _, want := range []string{`verb="cluster-pause"`, `verb="cluster-resume"`, `op="update cluster",status="200"`, `op="get cluster"`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	n := e.ephemeralCount(carol) + 1
	e.command(carol, "cluster status prod")
	if got := e.whisper(carol, n); !strings.Contains(got, "running (`IDLE`)") || !strings.Contains(got, "*prod*: sync `enabled`") {
		t.Errorf("status %s", got)
	}
}

func TestClusterPauseFailingSyncEndToEnd(t *testing.T) {
	e, fa, _ := clusterEnv(t, "M10", "", func(c *config.Config) { c.ClusterApproval = config.ApprovalNone })
	e.admin.Inject(fakeadmin.Fault{Method: http.MethodPatch, PathContains: legacyID, Status: http.StatusForbidden,
		Body: `{"error":"user does not have permission","error_code":"Forbidden"}`})
	e.command(alice, "cluster pause prod maintenance")
	m := e.channelMessage("pause of cluster Cluster0 failed")
	if !strings.Contains(readable(m.Blocks), "legacy") {
		t.Errorf("the card does not name the app that failed: %s", readable(m.Blocks))
	}
	if len(fa.Patches()) != 0 || fa.Cluster(group, "Cluster0").Paused {
		t.Error("the cluster was paused")
	}
}

func TestClusterPauseRefusedForM0EndToEnd(t *testing.T) {
	e, fa, _ := clusterEnv(t, "M0", "TENANT")
	e.command(alice, "cluster pause prod maintenance")
	if got := e.whisper(alice, 1); !strings.Contains(got, "Atlas pauses only dedicated clusters (M10 and up)") {
		t.Errorf("answer %s", got)
	}
	for _, c := range fa.Calls() {
		if c.Method != http.MethodGet {
			t.Errorf("sent %s %s", c.Method, c.Path)
		}
	}
	if len(e.admin.Patches()) != 0 {
		t.Error("a sync was paused")
	}
}

// The bot restarts while a resume waits for the cluster: the next process
// takes the wait up once the dead one's lease ran out and finishes it;
// one resume PATCH, each sync resumed once.
func TestClusterResumeRestartMidWaitEndToEnd(t *testing.T) {
	e, fa, _ := clusterEnv(t, "M10", "")
	e.command(alice, "cluster pause prod maintenance")
	card := e.channelMessage("asks to pause cluster Cluster0")
	e.click(bob, card.TS, messages.ActionApprove, "T-1")
	e.channelMessage("cluster Cluster0 is paused")
	e.advance(5 * time.Minute)

	e.command(bob, "cluster resume prod")
	e.wait("the resume waits", func() bool {
		for _, m := range e.slack.Messages(channel) {
			if strings.Contains(readable(m.Blocks), "waiting for the cluster: `UPDATING`") {
				return true
			}
		}
		return false
	})
	e.restart()
	e.untilMessage("cluster Cluster0 resumed")
	if got := fa.Patches(); len(got) != 2 {
		t.Errorf("cluster PATCHes %q; want the pause and one resume", got)
	}
	if syncPatches(e, prodID, "enabled") != 1 || syncPatches(e, legacyID, "enabled") != 1 {
		t.Errorf("resumes: prod %d, legacy %d; want one each", syncPatches(e, prodID, "enabled"), syncPatches(e, legacyID, "enabled"))
	}
}

// A paused cluster is reminded every SYNC_REMINDER_INTERVAL, and a day
// before Atlas resumes it by itself.
func TestClusterPausedRemindersEndToEnd(t *testing.T) {
	e, _, _ := clusterEnv(t, "M10", "", func(c *config.Config) { c.ClusterApproval = config.ApprovalNone })
	e.command(alice, "cluster pause prod maintenance")
	e.channelMessage("cluster Cluster0 is paused")
	// A jump made while the sweeper is still busy is seen by its next
	// wait only: untilMessage steps on until the sweep that posts.
	e.advance(24 * time.Hour)
	e.untilMessage("Cluster Cluster0 is still paused (1 day)")
	e.advance(28 * 24 * time.Hour)
	e.untilMessage("Cluster Cluster0 is still paused (29 days)")
	m := e.channelMessage("Cluster Cluster0 is still paused (29 days)")
	if !strings.Contains(readable(m.Blocks), "Atlas resumes it by itself in") {
		t.Errorf("no warning of the automatic resume: %s", readable(m.Blocks))
	}
}

func TestCheckReadsEachClusterOnce(t *testing.T) {
	e := newEnvWithoutBot(t, func(c *config.Config) {
		c.Clusters = []config.Cluster{{Alias: "free", GroupID: group, Name: "Free0"}}
	})
	e.atlas.AddCluster(fakeatlas.Cluster{GroupID: group, Name: "Free0", InstanceSize: "M0", Provider: "TENANT"})
	var out strings.Builder
	if err := app.Check(t.Context(), e.cfg, discardLogger(), &out); err != nil {
		t.Fatalf("Check: %v\n%s", err, out.String())
	}
	for _, want := range []string{"cluster Free0 (free)", "M0, running IDLE; Atlas does not pause this tier", "cluster Cluster0 (prod)", "M10, running IDLE; Atlas can pause it"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check lacks %q:\n%s", want, out.String())
		}
	}
	if n := strings.Count(out.String(), "cluster Cluster0"); n != 1 {
		t.Errorf("Cluster0 checked %d times (three apps run on it); want once:\n%s", n, out.String())
	}
	for _, c := range e.atlas.Calls() {
		if c.Method != http.MethodGet {
			t.Errorf("check sent %s %s", c.Method, c.Path)
		}
	}
}

// Teams without App Services apps: SYNC_CLUSTERS alone.
func TestClustersWithoutAppsEndToEnd(t *testing.T) {
	e := newEnvWithoutBot(t, func(c *config.Config) {
		c.Apps = nil
		c.Clusters = []config.Cluster{{Alias: "analytics", GroupID: group, Name: "Analytics0"}}
		c.ClusterApproval = config.ApprovalNone
	})
	e.atlas.AddCluster(fakeatlas.Cluster{GroupID: group, Name: "Analytics0", InstanceSize: "M30"})
	e.start()
	e.command(alice, "cluster status analytics")
	if got := e.whisper(alice, 1); !strings.Contains(got, "Analytics0") || !strings.Contains(got, "none of syncbot's apps") {
		t.Errorf("status %s", got)
	}
	e.command(alice, "cluster pause analytics overnight")
	e.channelMessage("cluster Analytics0 is paused")
	if !e.atlas.Cluster(group, "Analytics0").Paused || len(e.admin.Patches()) != 0 {
		t.Error("want the cluster paused and no App Services change")
	}
}
