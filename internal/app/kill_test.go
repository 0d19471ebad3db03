package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/app"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/config"
	"github.com/syncbot/syncbot/internal/demo"
	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/fakeslack"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
)

// Crash tests: the real bot binary is SIGKILLed at a chosen point of a
// pause, resume or terminate, then the work is recovered (a restart on the
// same SYNC_DATA_DIR, or on PostgreSQL another replica whose clock is past
// the dead one's lease), and checkJournal plus the PATCH log must show: no
// journaled request lost, at most one PATCH, a terminate never retried on
// its own, every message in its final state, a consistent audit log.
//
// Each point is reached by an event, never by a delay: the fake Admin API's
// Hold and WaitHeld, its call feed (whose callback runs before the answer is
// sent, so killing there means the bot never hears the answer), or a proxy
// in front of the fake Slack's Web API that kills the bot before a call is
// forwarded or after Slack applied it.

// killAdminTimeout is the bots' SYNC_ADMIN_TIMEOUT; their lease is
// 4×timeout + 1m (app.Run).
const killAdminTimeout = 5 * time.Second

var killLease = 4*killAdminTimeout + time.Minute

// killRig is one kill-and-recover run.
type killRig struct {
	*env
	proxy   *slackProxy
	dataDir string
	dbURL   string // set: the PostgreSQL store
	bot     *botProc
	procs   []*botProc // every binary run, for the secrets check
	taker   *replica   // the replica that takes over on PostgreSQL
}

// newFakes starts the fake Slack and Admin API as newEnv does (prod
// running, staging paused) without a bot.
func newFakes(t *testing.T, clk clock.Clock, apps ...fakeadmin.App) *env {
	t.Helper()
	fs := fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken, PingInterval: time.Second})
	t.Cleanup(fs.Close)
	addPeople(fs)
	fa := fakeadmin.New(fakeadmin.Options{PublicKey: pubKey, PrivateKey: privKey, Clock: clk})
	t.Cleanup(fa.Close)
	if len(apps) == 0 {
		all := demo.Apps()
		apps = []fakeadmin.App{fakeadmin.DemoApp(all[0]), fakeadmin.DemoApp(all[1])}
	}
	for _, a := range apps {
		fa.AddApp(a)
	}
	fc, _ := clk.(*clock.Fake)
	return &env{t: t, slack: fs, admin: fa, clock: fc, logs: &syncBuffer{}, seen: &syncBuffer{}}
}

func newKillRig(t *testing.T, pg bool) *killRig {
	k := &killRig{env: newFakes(t, clock.Real{}), dataDir: t.TempDir()}
	if pg {
		k.dbURL = pgSchema(t)
	}
	k.proxy = newSlackProxy(t, k.slack.APIURL())
	return k
}

func (k *killRig) botEnv() []string {
	env := []string{
		"SLACK_APP_TOKEN=" + appToken, "SLACK_BOT_TOKEN=" + botToken, "SLACK_API_URL=" + k.proxy.apiURL(),
		"ATLAS_PUBLIC_API_KEY=" + pubKey, "ATLAS_PRIVATE_API_KEY=" + privKey, "ATLAS_ADMIN_API_URL=" + k.admin.URL(),
		"SYNC_APPS=prod:" + group + "/" + prodID + ",staging:" + group + "/" + stageID,
		"SYNC_DATA_DIR=" + k.dataDir, "SYNC_HTTP_ADDR=127.0.0.1:0", "SYNC_LOG_FORMAT=json",
		"SYNC_ADMIN_TIMEOUT=" + killAdminTimeout.String(),
	}
	if k.dbURL != "" {
		env = append(env, "SYNC_DATABASE_URL="+k.dbURL)
	}
	return env
}

// start runs a bot binary and waits for its socket and its warm-up (login
// and both apps' services), so a Hold catches only the command's calls.
func (k *killRig) start() {
	k.t.Helper()
	tickets, calls := k.slack.Tickets(), len(k.admin.Calls())
	k.bot = startBot(k.t, k.botEnv())
	k.procs = append(k.procs, k.bot)
	k.waitWhileAlive(k.bot.exited, "the bot connects", func() bool {
		return k.slack.Tickets() > tickets && k.slack.Connections() == 1
	})
	k.waitAdmin("the bot's warm-up", func() bool {
		seen := 0
		for _, c := range k.admin.Calls()[calls:] {
			if strings.HasSuffix(c.Path, "/services") && c.Status == 200 {
				seen++
			}
		}
		return seen >= 2
	})
}

// waitWhileAlive is wait, cut short if the process behind gone dies.
func (k *killRig) waitWhileAlive(gone <-chan struct{}, what string, cond func() bool) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() {
		select {
		case <-gone:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := k.slack.WaitFor(ctx, cond); err != nil {
		k.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// waitDead waits for the armed kill to happen.
func (k *killRig) waitDead(what string) {
	k.t.Helper()
	select {
	case <-k.bot.exited:
	case <-time.After(20 * time.Second):
		k.t.Fatalf("the bot was not killed at %s", what)
	}
	k.wait("the dead bot's socket to close", func() bool { return k.slack.Connections() == 0 })
}

// killNow kills the bot at once.
func (k *killRig) killNow() {
	k.bot.kill()
	k.wait("the dead bot's socket to close", func() bool { return k.slack.Connections() == 0 })
}

// killOnPatch arms a kill for when the fake has applied a PATCH, before the
// bot gets the answer: the callback blocks the answer until the process is
// gone.
func (k *killRig) killOnPatch() (disarm func()) {
	p := k.bot
	var once sync.Once
	return k.admin.Subscribe(func(c fakeadmin.Call) {
		if c.Method == "PATCH" {
			once.Do(p.kill)
		}
	})
}

// killOnSlack arms a kill for the first Web API call of method whose text
// contains marker.
func (k *killRig) killOnSlack(method, marker string, act proxyAction) {
	k.proxy.arm(k.bot.kill, func(m string, form url.Values) proxyAction {
		if m == method && strings.Contains(form.Get("text"), marker) {
			return act
		}
		return pass
	})
}

// recover brings the work back after the kill: a restarted binary on the
// embedded store (it reconciles at start), or on PostgreSQL a replica whose
// clock reads past the dead one's lease.
func (k *killRig) recover() {
	k.t.Helper()
	if k.dbURL == "" {
		k.start()
		return
	}
	cfg := k.inprocConfig()
	tickets := k.slack.Tickets()
	k.taker = startReplica(k.t, cfg, clock.NewFake(time.Now().Add(killLease+time.Minute)))
	k.waitWhileAlive(k.taker.done, "the taking-over replica connects", func() bool {
		return k.slack.Tickets() > tickets && k.slack.Connections() == 1
	})
}

func (k *killRig) inprocConfig() config.Config {
	return config.Config{
		SlackAppToken: appToken, SlackBotToken: botToken, SlackAPIURL: k.slack.APIURL(), SlackCommand: "/sync",
		AtlasPublicKey: pubKey, AtlasPrivateKey: privKey, AdminAPIURL: k.admin.URL(),
		Apps: []config.App{
			{Alias: "prod", GroupID: group, AppID: prodID},
			{Alias: "staging", GroupID: group, AppID: stageID},
		},
		ApprovalTTL: 15 * time.Minute, DataDir: k.dataDir, DatabaseURL: config.Secret(k.dbURL), HTTPAddr: "127.0.0.1:0",
		LogFormat: "json", AdminConcurrency: 16, AdminTimeout: killAdminTimeout, ReminderInterval: 24 * time.Hour,
	}
}

// live is the recovering process's log and its exit.
func (k *killRig) live() (*logBuffer, <-chan struct{}) {
	if k.taker != nil {
		return k.taker.logs, k.taker.done
	}
	return k.bot.logs, k.bot.exited
}

// waitFinished waits for the recovering process to log op id as finished.
func (k *killRig) waitFinished(id int64) {
	k.t.Helper()
	k.waitLogged(finished(id))
}

// stop ends the recovering process cleanly.
func (k *killRig) stop() {
	k.t.Helper()
	if k.taker != nil {
		if err := k.taker.stop(); err != nil {
			k.t.Fatalf("replica stopped with: %v", err)
		}
		return
	}
	k.bot.terminate()
}

// journal returns the operations in the journal now (no process may hold
// the embedded store).
func (k *killRig) journal() []store.Op {
	st := openJournal(k.t, k.dataDir, k.dbURL)
	defer st.Close()
	return allOps(k.t, st)
}

// killPoint is where in a flow the bot dies.
type killPoint struct {
	name string
	// reach drives the flow until the bot is dead.
	reach func(k *killRig)
	// want is the final state of the one operation: "" for none journaled,
	// or a list of acceptable states when the kill races the journal write.
	want []store.State
	// patches is the number of PATCHes there must be in the end.
	patches []int
	// sqliteOnly: the recovery relies on a restart on the exclusive store.
	sqliteOnly bool
	target     func(k *killRig) (appID, state string)
}

var (
	succeeded  = []store.State{store.Succeeded}
	failed     = []store.State{store.Failed}
	none       = []store.State{""}
	noneFailed = []store.State{"", store.Failed}
	one        = []int{1}
	zero       = []int{0}
)

// pauseProd and resumeStaging start the change flows; the card helpers the
// terminate one.
func pauseProd(k *killRig)     { k.command(alice, "pause prod before the cluster upgrade") }
func resumeStaging(k *killRig) { k.command(alice, "resume staging") }

// requestProd asks for a terminate of prod and returns its card once the
// bot has journaled where the card is.
func requestProd(k *killRig) fakeslack.Message {
	card := k.requestTerminate("prod")
	id, err := strconv.ParseInt(strings.TrimPrefix(cardID(card), "T-"), 10, 64)
	if err != nil {
		k.t.Fatalf("card %q has no request id", card.Text)
	}
	k.waitLogged(func(r map[string]any) bool {
		return r["msg"] == "channel message posted" && r["op"] == float64(id)
	})
	return card
}

// waitLogged waits for the live process to log a line that matches.
func (k *killRig) waitLogged(match func(map[string]any) bool) {
	k.t.Helper()
	logs, gone := k.live()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := logs.wait(ctx, gone, match); err != nil {
		k.t.Fatalf("waiting for a log line: %v", err)
	}
}

func approve(k *killRig, card fakeslack.Message) {
	k.click(bob, card.TS, messages.ActionApprove, cardID(card))
}

// cardID is the request id a card's buttons carry (T-n).
func cardID(m fakeslack.Message) string {
	id, _, _ := strings.Cut(m.Text, ":")
	return id
}

func held(k *env, n int) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := k.admin.WaitHeld(ctx, n); err != nil {
		k.t.Fatalf("waiting for %d held Admin API calls: %v", n, err)
	}
}

func changePoints(verb string, flow func(*killRig), start, done string) []killPoint {
	return []killPoint{
		{name: verb + "/acked", want: noneFailed, patches: zero, reach: func(k *killRig) {
			release := k.admin.Hold()
			defer release()
			flow(k) // returns once acked; the journal write may or may not be done
			k.killNow()
		}},
		{name: verb + "/journaled-reading", want: failed, patches: zero, reach: func(k *killRig) {
			release := k.admin.Hold()
			defer release()
			flow(k)
			held(k.env, 2) // the config and drafts GETs: the journal row is written
			k.killNow()
		}},
		{name: verb + "/announce-unsent", want: failed, patches: zero, reach: func(k *killRig) {
			k.killOnSlack("chat.postMessage", start, dropAndKill)
			flow(k)
			k.waitDead("the announcement")
		}},
		{name: verb + "/patch-applied", want: succeeded, patches: one, reach: func(k *killRig) {
			defer k.killOnPatch()()
			flow(k)
			k.waitDead("the PATCH")
		}},
		{name: verb + "/outcome-unsent", want: succeeded, patches: one, reach: func(k *killRig) {
			k.killOnSlack("chat.update", done, dropAndKill)
			flow(k)
			k.waitDead("the outcome's update")
		}},
		{name: verb + "/outcome-shown", want: succeeded, patches: one, reach: func(k *killRig) {
			k.killOnSlack("chat.update", done, forwardThenKill)
			flow(k)
			k.waitDead("the outcome's update")
		}},
	}
}

func terminatePoints() []killPoint {
	return []killPoint{
		{name: "terminate/request-reading", want: none, patches: zero, reach: func(k *killRig) {
			release := k.admin.Hold()
			defer release()
			k.command(alice, "terminate prod oplog rolled over")
			held(k.env, 2) // the request reads before it journals
			k.killNow()
		}},
		{name: "terminate/card-unsent", want: succeeded, patches: one, sqliteOnly: true, reach: func(k *killRig) {
			k.killOnSlack("chat.postMessage", "asks to terminate", dropAndKill)
			k.command(alice, "terminate prod oplog rolled over")
			k.waitDead("the card's post")
		}},
		{name: "terminate/pending", want: succeeded, patches: one, reach: func(k *killRig) {
			requestProd(k)
			k.killNow()
		}},
		{name: "terminate/approve-acked", want: []store.State{store.Succeeded, store.Failed}, patches: []int{0, 1}, reach: func(k *killRig) {
			card := requestProd(k)
			release := k.admin.Hold()
			defer release()
			approve(k, card)
			k.killNow()
		}},
		{name: "terminate/approved-unshown", want: failed, patches: zero, reach: func(k *killRig) {
			card := requestProd(k)
			k.killOnSlack("chat.update", "approved; terminating", dropAndKill)
			approve(k, card)
			k.waitDead("the approved card's update")
		}},
		{name: "terminate/journaled-reading", want: failed, patches: zero, reach: func(k *killRig) {
			card := requestProd(k)
			release := k.admin.Hold()
			defer release()
			approve(k, card)
			held(k.env, 2)
			k.killNow()
		}},
		{name: "terminate/patch-applied", want: succeeded, patches: one, reach: func(k *killRig) {
			card := requestProd(k)
			defer k.killOnPatch()()
			approve(k, card)
			k.waitDead("the PATCH")
		}},
		{name: "terminate/outcome-unsent", want: succeeded, patches: one, reach: func(k *killRig) {
			card := requestProd(k)
			k.killOnSlack("chat.update", "is terminated", dropAndKill)
			approve(k, card)
			k.waitDead("the outcome's update")
		}},
		{name: "terminate/outcome-shown", want: succeeded, patches: one, reach: func(k *killRig) {
			card := requestProd(k)
			k.killOnSlack("chat.update", "is terminated", forwardThenKill)
			approve(k, card)
			k.waitDead("the outcome's update")
		}},
	}
}

// killSchedule is every point, in flow order.
func killSchedule() []killPoint {
	var ps []killPoint
	ps = append(ps, changePoints("pause", pauseProd, "Pausing sync", "Paused sync")...)
	ps = append(ps, killPoint{name: "pause/done", want: succeeded, patches: one, reach: func(k *killRig) {
		pauseProd(k)
		k.waitLogged(func(r map[string]any) bool { return r["msg"] == "operation finished" })
		k.killNow()
	}})
	ps = append(ps, changePoints("resume", resumeStaging, "Resuming sync", "Resumed sync")...)
	ps = append(ps, terminatePoints()...)
	for i := range ps {
		switch {
		case strings.HasPrefix(ps[i].name, "resume/"):
			ps[i].target = func(*killRig) (string, string) { return stageID, "enabled" }
		case strings.HasPrefix(ps[i].name, "pause/"):
			ps[i].target = func(*killRig) (string, string) { return prodID, "disabled" }
		default:
			ps[i].target = func(*killRig) (string, string) { return prodID, "" }
		}
	}
	return ps
}

// killResult is what one run measured.
type killResult struct {
	op       store.Op // the operation (zero if none was journaled)
	patches  int
	recovery time.Duration // from restart to everything final
}

// runKill kills the bot at p, recovers, and checks everything.
func runKill(t *testing.T, p killPoint, pg bool) killResult {
	t.Helper()
	k := newKillRig(t, pg)
	k.start()
	appID, target := p.target(k)
	before, _ := k.admin.SyncState(group, appID)
	p.reach(k)

	atKill := k.journal()
	patchesAtKill := len(k.patches(appID))
	began := time.Now()
	k.recover()
	for _, op := range atKill {
		switch op.State {
		case store.Pending:
			// A request survives the kill: its card (re-posted at start if
			// the kill beat its first post) can be approved, and it runs once.
			k.approveAfterRestart(op)
			k.waitFinished(op.ID)
		case store.Approved, store.Executing:
			k.waitFinished(op.ID)
		}
	}
	if len(atKill) > 0 {
		// The outcome is recorded, then shown: wait for the message too,
		// and for the journal to know a message it had to post.
		for _, op := range atKill {
			if op.MessageTS == "" {
				k.waitLogged(func(r map[string]any) bool {
					return r["msg"] == "channel message posted" && r["op"] == float64(op.ID)
				})
			}
		}
		k.wait("the outcome in the channel", func() bool {
			n := 0
			for _, m := range k.slack.Messages(channel) {
				if m.ThreadTS != "" {
					continue
				}
				if !isFinalText(m.Text) {
					return false
				}
				n++
			}
			return n > 0
		})
	}
	recovery := time.Since(began)
	k.stop()

	st := openJournal(t, k.dataDir, k.dbURL)
	defer st.Close()
	ops := checkJournal(t, st, k.slack, true)
	for _, op := range atKill {
		if !slices.ContainsFunc(ops, func(o store.Op) bool { return o.ID == op.ID }) {
			t.Errorf("%s, journaled before the kill, is gone", messages.OpName(op.ID))
		}
	}
	if len(ops) > 1 {
		t.Fatalf("%d operations, want at most 1: %+v", len(ops), ops)
	}
	res := killResult{patches: len(k.patches(appID)), recovery: recovery}
	got := store.State("")
	if len(ops) == 1 {
		res.op = ops[0]
		got = res.op.State
	}
	if !slices.Contains(p.want, got) {
		t.Errorf("the operation ended %q (%s), want one of %q", got, res.op.Outcome, p.want)
	}
	if !slices.Contains(p.patches, res.patches) {
		t.Errorf("%d PATCHes, want %v", res.patches, p.patches)
	}
	if wasRunning := slices.ContainsFunc(atKill, func(o store.Op) bool { return o.State == store.Executing || o.State == store.Approved }); wasRunning && res.patches != patchesAtKill {
		t.Errorf("%d PATCHes at the kill, %d after the recovery: an interrupted operation was re-sent", patchesAtKill, res.patches)
	}
	state, _ := k.admin.SyncState(group, appID)
	switch got {
	case store.Succeeded:
		if state != target {
			t.Errorf("the operation succeeded but sync is %q, want %q", state, target)
		}
		if res.op.SyncBefore != before {
			t.Errorf("the journal says it went from %q, but sync was %q", res.op.SyncBefore, before)
		}
	default:
		if state != before {
			t.Errorf("the operation did not succeed but sync moved %q → %q", before, state)
		}
		if got == store.Failed && !strings.Contains(res.op.Outcome, "interrupted") {
			t.Errorf("failed with %q, want it to say it was interrupted", res.op.Outcome)
		}
	}
	for _, p := range k.procs {
		k.assertNoSecretsIn(p.logs.String())
	}
	if k.taker != nil {
		k.assertNoSecretsIn(k.taker.logs.String())
	}
	return res
}

// approveAfterRestart approves op, a request left pending by the kill, on
// its card: the one in the journal, or the one posted at start.
func (k *killRig) approveAfterRestart(op store.Op) {
	k.t.Helper()
	name := messages.OpName(op.ID)
	var card fakeslack.Message
	k.wait("the card of "+name, func() bool {
		for _, m := range k.slack.Messages(channel) {
			if strings.HasPrefix(m.Text, name+":") && strings.Contains(m.Text, "Approve or deny") {
				card = m
				return true
			}
		}
		return false
	})
	approve(k, card)
}

func (k *killRig) assertNoSecretsIn(logs string) {
	k.t.Helper()
	for _, s := range []string{appToken, botToken, pubKey, privKey, "SECRET"} {
		if strings.Contains(logs, s) {
			k.t.Errorf("secret %q leaked into a log", s)
		}
	}
	if k.dbURL != "" && strings.Contains(logs, k.dbURL) {
		k.t.Error("SYNC_DATABASE_URL leaked into a log")
	}
	k.assertNoSecrets()
}

// --- Issue 5: the kill tests on the embedded store ---

func killPointNamed(t *testing.T, name string) killPoint {
	for _, p := range killSchedule() {
		if p.name == name {
			return p
		}
	}
	t.Fatalf("no kill point %q", name)
	return killPoint{}
}

func TestKillPauseBetweenJournalAndPatch(t *testing.T) {
	res := runKill(t, killPointNamed(t, "pause/journaled-reading"), false)
	if res.op.State != store.Failed || !strings.Contains(res.op.Outcome, "Nothing was retried") {
		t.Errorf("outcome %q", res.op.Outcome)
	}
}

func TestKillPauseBetweenPatchAndOutcome(t *testing.T) {
	res := runKill(t, killPointNamed(t, "pause/patch-applied"), false)
	if !strings.Contains(res.op.Outcome, "confirmed after syncbot restarted") {
		t.Errorf("outcome %q", res.op.Outcome)
	}
}

func TestKillTerminateBetweenJournalAndPatch(t *testing.T) {
	res := runKill(t, killPointNamed(t, "terminate/journaled-reading"), false)
	if res.op.State != store.Failed {
		t.Errorf("state %s", res.op.State)
	}
}

func TestKillTerminateBetweenPatchAndOutcome(t *testing.T) {
	res := runKill(t, killPointNamed(t, "terminate/patch-applied"), false)
	if !strings.Contains(res.op.Outcome, "confirmed after syncbot restarted") {
		t.Errorf("outcome %q", res.op.Outcome)
	}
}

func TestKillPendingRequestSurvivesAndRunsOnce(t *testing.T) {
	res := runKill(t, killPointNamed(t, "terminate/pending"), false)
	if res.op.DecidedBy != bob {
		t.Errorf("decided by %q", res.op.DecidedBy)
	}
}

// --- Issue 9: the kill test, every point on both stores ---

// TestKillAtVariedPoints kills the bot binary at every point of the
// schedule, on the embedded store (restart) and on PostgreSQL (another
// replica takes over once the lease has run out).
func TestKillAtVariedPoints(t *testing.T) {
	var (
		mu      sync.Mutex
		planned int
		runs    int
		patches int
		outcome = map[store.State]int{}
		slowest time.Duration
	)
	began := time.Now()
	for _, p := range killSchedule() {
		for _, pg := range []bool{false, true} {
			if pg && p.sqliteOnly {
				continue
			}
			planned++
			name := p.name + "/sqlite"
			if pg {
				name = p.name + "/postgres"
			}
			t.Run(name, func(t *testing.T) {
				res := runKill(t, p, pg)
				mu.Lock()
				defer mu.Unlock()
				runs++
				patches += res.patches
				outcome[res.op.State]++
				slowest = max(slowest, res.recovery)
			})
		}
	}
	if planned < 30 {
		t.Errorf("only %d kill runs in the schedule", planned)
	}
	t.Logf("%d kill runs in %s: %d PATCHes in all, outcomes %v, slowest recovery %s",
		runs, time.Since(began).Round(time.Millisecond), patches, outcome, slowest.Round(time.Millisecond))
}

// replica is one app.Run in this process.
type replica struct {
	logs   *logBuffer
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

func startReplica(t *testing.T, cfg config.Config, clk clock.Clock) *replica {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{logs: newLogBuffer(), cancel: cancel, done: make(chan struct{})}
	log := slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	go func() {
		r.err = app.Run(ctx, cfg, log, app.Options{Clock: clk, SweepEvery: 10 * time.Second})
		close(r.done)
	}()
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Errorf("replica stopped with: %v", err)
		}
		if t.Failed() {
			t.Logf("replica logs:\n%s", r.logs.String())
		}
	})
	return r
}

// stop cancels the replica and waits for Run to return.
func (r *replica) stop() error {
	r.cancel()
	select {
	case <-r.done:
		return r.err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("replica did not stop within 30s")
	}
}
