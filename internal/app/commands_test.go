package app_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/syncbot/syncbot/internal/app"
	"github.com/syncbot/syncbot/internal/config"
	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/fakeslack"
)

func TestStatusIsEphemeral(t *testing.T) {
	e := newEnv(t)
	e.command(alice, "status prod")
	got := e.whisper(alice, 1)
	for _, want := range []string{"prod", "`enabled` (running)", "Flexible Sync", "none through syncbot"} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q:\n%s", want, got)
		}
	}
	e.command(alice, "status STAGING")
	if got := e.whisper(alice, 2); !strings.Contains(got, "`disabled` (paused)") || !strings.Contains(got, "Paused since") {
		t.Errorf("status of a paused app:\n%s", got)
	}
	if n := len(e.slack.Messages(channel)); n != 0 {
		t.Errorf("status posted %d channel messages", n)
	}
}

func TestHelpAndUsageErrorsChangeNothing(t *testing.T) {
	e := newEnv(t)
	e.command(alice, "")
	if got := e.whisper(alice, 1); !strings.Contains(got, "terminate &lt;app&gt; &lt;reason…&gt;") || strings.Contains(got, "<app>") {
		t.Errorf("help:\n%s", got)
	}
	e.command(alice, "pause prd")
	if got := e.whisper(alice, 2); !strings.Contains(got, "Known apps: `prod`, `staging`, `legacy`") {
		t.Errorf("unknown app:\n%s", got)
	}
	e.command(alice, "explode prod")
	if got := e.whisper(alice, 3); !strings.Contains(got, "I don't know the command") {
		t.Errorf("unknown verb:\n%s", got)
	}
	e.command(alice, "terminate prod")
	if got := e.whisper(alice, 4); !strings.Contains(got, "needs a reason") {
		t.Errorf("terminate without reason:\n%s", got)
	}
	if len(e.admin.Patches()) != 0 || len(e.slack.Messages(channel)) != 0 {
		t.Error("a usage error changed something")
	}
}

func TestPauseThenResume(t *testing.T) {
	e := newEnv(t)
	before := e.admin.SyncObject(group, prodID)
	e.command(alice, "pause prod cluster upgrade & reindex")
	m := e.channelMessage("Paused")
	if m.Updates < 1 {
		t.Errorf("result was not an update of the in-progress message (updates=%d)", m.Updates)
	}
	if !strings.Contains(m.Versions[0].Text, "Pausing") {
		t.Errorf("first version %q does not say what is happening", m.Versions[0].Text)
	}
	blocks := readable(m.Blocks)
	for _, want := range []string{"<@UALICE>", "`enabled` (running) → `disabled` (paused)", "cluster upgrade &amp; reindex", "oplog window", "30 days", "Pause sync first"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("pause result lacks %q:\n%s", want, blocks)
		}
	}
	if s, _ := e.admin.SyncState(group, prodID); s != "disabled" {
		t.Fatalf("state after pause = %q", s)
	}
	ps := e.patches(prodID)
	if len(ps) != 1 {
		t.Fatalf("%d PATCHes, want 1", len(ps))
	}
	assertOnlyStateChanged(t, before, syncObject(t, ps[0].Body, "flexible_sync"), "disabled")

	e.command(bob, "resume prod")
	e.channelMessage("Resumed")
	if s, _ := e.admin.SyncState(group, prodID); s != "enabled" {
		t.Fatalf("state after resume = %q", s)
	}
	if n := len(e.patches(prodID)); n != 2 {
		t.Fatalf("%d PATCHes, want 2", n)
	}
	e.command(carol, "status prod")
	if got := e.whisper(carol, 1); !strings.Contains(got, "resume by <@UBOB>") {
		t.Errorf("status does not show the last operation:\n%s", got)
	}
}

func assertOnlyStateChanged(t *testing.T, before json.RawMessage, sent map[string]any, state string) {
	t.Helper()
	var want map[string]any
	if err := json.Unmarshal(before, &want); err != nil {
		t.Fatal(err)
	}
	want["state"] = state
	if d := cmp.Diff(want, sent); d != "" {
		t.Errorf("PATCH is not the GET's object with only state changed (-want +got):\n%s", d)
	}
}

func TestAlreadyInEffectSendsNothing(t *testing.T) {
	e := newEnv(t)
	e.command(alice, "pause staging")
	if got := e.whisper(alice, 1); !strings.Contains(got, "already paused") {
		t.Errorf("reply:\n%s", got)
	}
	e.command(alice, "resume prod")
	if got := e.whisper(alice, 2); !strings.Contains(got, "already running") {
		t.Errorf("reply:\n%s", got)
	}
	if n := len(e.admin.Patches()); n != 0 {
		t.Errorf("%d PATCHes sent for changes already in effect", n)
	}
	if n := len(e.slack.Messages(channel)); n != 0 {
		t.Errorf("%d channel messages for no change", n)
	}
}

func TestPartitionBasedSync(t *testing.T) {
	e := newEnv(t)
	before := e.admin.SyncObject(group, legacyID)
	e.command(alice, "pause legacy")
	e.channelMessage("Paused")
	ps := e.patches(legacyID)
	if len(ps) != 1 {
		t.Fatalf("%d PATCHes", len(ps))
	}
	assertOnlyStateChanged(t, before, syncObject(t, ps[0].Body, "sync"), "disabled")
}

func TestAdminAPIFailuresAreExplainedAndTheBotGoesOn(t *testing.T) {
	e := newEnv(t)
	e.admin.Inject(fakeadmin.Fault{Method: "PATCH", PathContains: prodID, Status: 403, Body: `{"error":"user does not have permission","error_code":"Forbidden"}`, Times: 1})
	e.command(alice, "pause prod")
	m := e.channelMessage("Pause of prod failed")
	if !strings.Contains(readable(m.Blocks), "Project Owner") {
		t.Errorf("403 not explained:\n%s", m.Blocks)
	}
	if s, _ := e.admin.SyncState(group, prodID); s != "enabled" {
		t.Errorf("state = %q after a refused PATCH", s)
	}

	e.admin.Inject(fakeadmin.Fault{Method: "GET", PathContains: stageID + "/services", Status: 404, Body: `{"error":"app not found","error_code":"AppNotFound"}`})
	e.command(alice, "resume staging")
	if got := e.whisper(alice, 1); !strings.Contains(got, "not found") {
		t.Errorf("404 not explained:\n%s", got)
	}
	e.admin.ClearFaults()

	e.admin.SetDraft(group, prodID, true)
	e.command(alice, "pause prod")
	if got := e.whisper(alice, 2); !strings.Contains(got, "open draft") {
		t.Errorf("draft not explained:\n%s", got)
	}
	e.admin.SetDraft(group, prodID, false)

	e.admin.SetSync(group, stageID, "", nil) // Device Sync gone (end of life)
	e.command(alice, "status staging")
	if got := e.whisper(alice, 3); !strings.Contains(got, "Device Sync is not configured for `staging`; MongoDB removed Device Sync from Atlas on 30 September 2025") {
		t.Errorf("missing sync not explained:\n%s", got)
	}

	// Still alive and well.
	e.command(bob, "pause prod")
	e.channelMessage("Paused")
	patchCalls := 0
	for _, c := range e.admin.Calls() {
		if c.Method == "PATCH" && strings.Contains(c.Path, prodID) {
			patchCalls++
		}
	}
	if patchCalls != 2 {
		t.Errorf("%d PATCH calls to prod, want the refused one and the good one", patchCalls)
	}
}

// TestBurstAcksBeforeAnyAdminAnswer: 50 commands while the Admin API holds
// every answer; every ack must arrive while nothing has been answered.
func TestBurstAcksBeforeAnyAdminAnswer(t *testing.T) {
	e := newEnv(t)
	e.waitLog("Admin API warm-up done", `"apps":3`, `"failed":0`)
	seen := map[string]bool{}
	for _, c := range e.admin.Calls() {
		if strings.HasSuffix(c.Path, "/services") {
			seen[c.Path] = true
		}
	}
	if len(seen) != 3 {
		t.Fatalf("warm-up done after looking up %d apps' services, want 3", len(seen))
	}
	release := e.admin.Hold()
	defer release()
	answered := len(e.admin.Calls())
	ids := make([]string, 50)
	for i := range ids {
		id, err := e.slack.SlashCommand(fakeslack.SlashCommand{UserID: carol, UserName: "carol", ChannelID: channel, Text: "status prod"})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, id := range ids {
		if _, err := e.slack.WaitAck(ctx, id); err != nil {
			t.Fatalf("ack %s: %v", id, err)
		}
	}
	for _, c := range e.admin.Calls()[answered:] {
		if !strings.Contains(c.Path, "/auth/") {
			t.Fatalf("an Admin API answer (%s %s) came before all acks", c.Method, c.Path)
		}
	}
	// Handler work starts once the burst has gone quiet (slackbot's gate),
	// so the held calls may come just after the last ack: wait for one.
	if err := e.admin.WaitHeld(ctx, 1); err != nil {
		t.Fatalf("no Admin API call was held: the test proves nothing (%v)", err)
	}
	release()
	e.wait("50 status answers", func() bool { return e.ephemeralCount(carol) == 50 })
}

func TestReconnectsAfterDisconnect(t *testing.T) {
	e := newEnv(t)
	tickets := e.slack.Tickets()
	e.slack.Disconnect("refresh_requested")
	e.wait("a new connection", func() bool { return e.slack.Tickets() > tickets && e.slack.Connections() == 1 })
	e.command(alice, "status prod")
	e.whisper(alice, 1)
	e.slack.DropAll()
	e.wait("a connection after a drop", func() bool { return e.slack.Tickets() > tickets+1 && e.slack.Connections() == 1 })
	e.command(alice, "status prod")
	e.whisper(alice, 2)
}

func TestSecondProcessOnTheSameDataDirIsRefused(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := app.Run(ctx, e.cfg, discardLogger(), app.Options{})
	if err == nil || !strings.Contains(err.Error(), "another syncbot process") {
		t.Fatalf("second Run = %v, want a refusal naming the other process", err)
	}
	e.command(alice, "status prod") // the first one is unharmed
	e.whisper(alice, 1)
}

func TestClientAppIDIsResolved(t *testing.T) {
	e := newEnv(t)
	e.command(alice, "status legacy")
	if got := e.whisper(alice, 1); !strings.Contains(got, "Partition-Based Sync") {
		t.Errorf("status of an app named by client_app_id:\n%s", got)
	}
}

// TestReadyzFollowsTheSocketNotTheAdminAPI: ready while connected even with
// Atlas failing; not ready while Slack cannot be reached; ready again after.
func TestReadyzFollowsTheSocketNotTheAdminAPI(t *testing.T) {
	e := newEnv(t)
	base := "http://" + <-e.http
	// /readyz has no change feed to wait on, so it is polled, as an
	// orchestrator would, until it answers as expected or the deadline.
	readyz := func(want int) {
		t.Helper()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		deadline := time.After(15 * time.Second)
		for code := httpStatus(t, base+"/readyz"); code != want; code = httpStatus(t, base+"/readyz") {
			select {
			case <-tick.C:
			case <-deadline:
				t.Fatalf("/readyz = %d, want %d", code, want)
			}
		}
	}
	if code := httpStatus(t, base+"/healthz"); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	readyz(200)
	e.admin.Inject(fakeadmin.Fault{Method: "GET", Status: 503})
	readyz(200)
	e.admin.ClearFaults()
	e.slack.FailMethod("apps.connections.open", fakeslack.Fault{Error: "internal_error"})
	e.slack.DropAll()
	readyz(503)
	e.slack.ClearFaults()
	e.wait("the bot to reconnect", func() bool { return e.slack.Connections() == 1 })
	readyz(200)
}

// TestSecondInstallSaysItsOwnCommand: an install under SYNC_SLASH_COMMAND
// tells people to type its command, never /sync, which would reach the
// other install.
func TestSecondInstallSaysItsOwnCommand(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.SlackCommand = "/sync-staging" })
	stale := regexp.MustCompile("/sync([^-a-z]|$)")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	id, err := e.slack.SlashCommand(fakeslack.SlashCommand{UserID: alice, UserName: "alice", ChannelID: channel, ChannelName: "ops", Command: "/sync-staging", Text: "pause prod"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.slack.WaitAck(ctx, id); err != nil {
		t.Fatal(err)
	}
	m := e.channelMessage("Paused sync for")
	last := m.Versions[len(m.Versions)-1]
	all := last.Text + "\n" + string(last.Blocks)
	if !strings.Contains(all, "`/sync-staging resume prod`") {
		t.Errorf("the pause message does not say how to resume with /sync-staging:\n%s", all)
	}
	if loc := stale.FindStringIndex(all); loc != nil {
		t.Errorf("the pause message says /sync: …%s…", all[max(0, loc[0]-40):loc[1]])
	}

	id, err = e.slack.SlashCommand(fakeslack.SlashCommand{UserID: alice, UserName: "alice", ChannelID: channel, ChannelName: "ops", Command: "/sync-staging", Text: "frobnicate"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.slack.WaitAck(ctx, id); err != nil {
		t.Fatal(err)
	}
	usage := e.whisper(alice, 1)
	if !strings.Contains(usage, "/sync-staging help") || stale.MatchString(usage) {
		t.Errorf("usage answer: %s; want /sync-staging help and no /sync", usage)
	}
}
