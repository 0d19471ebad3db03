package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/config"
	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/fakeslack"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
)

// Several replicas on one PostgreSQL schema (issue 9): each is app.Run in
// this process with its own Socket Mode connection to one fake Slack, which
// hands each envelope to one socket, round-robin, as Slack does. They share
// a fake clock, so expiry and lease takeover happen when a test says so.

const replicaSweep = 10 * time.Second

// cluster is n replicas and the fakes they share.
type cluster struct {
	*env
	dbURL    string
	cfg      config.Config
	replicas []*replica
}

func newCluster(t *testing.T, n int, apps []fakeadmin.App, cfgApps []config.App) *cluster {
	t.Helper()
	clk := clock.NewFake(epoch)
	c := &cluster{env: newFakes(t, clk, apps...), dbURL: pgSchema(t)}
	if cfgApps == nil {
		cfgApps = []config.App{{Alias: "prod", GroupID: group, AppID: prodID}, {Alias: "staging", GroupID: group, AppID: stageID}}
	}
	c.cfg = config.Config{
		SlackAppToken: appToken, SlackBotToken: botToken, SlackAPIURL: c.slack.APIURL(), SlackCommand: "/sync",
		AtlasPublicKey: pubKey, AtlasPrivateKey: privKey, AdminAPIURL: c.admin.URL(), Apps: cfgApps,
		ApprovalTTL: 15 * time.Minute, DataDir: t.TempDir(), DatabaseURL: config.Secret(c.dbURL), HTTPAddr: "127.0.0.1:0",
		LogFormat: "json", AdminConcurrency: 16, AdminTimeout: 5 * time.Second, ReminderInterval: 24 * time.Hour,
	}
	for i := range n {
		c.replicas = append(c.replicas, startReplica(t, c.cfg, clk))
		c.wait(fmt.Sprintf("replica %d connects", i+1), func() bool { return c.slack.Connections() == i+1 })
	}
	c.parked()
	return c
}

// parked waits until every replica's sweeper waits on the clock: between
// two sweeps, with the last one done.
func (c *cluster) parked() {
	c.t.Helper()
	deadline := time.After(20 * time.Second)
	for c.clock.Waiters() < len(c.replicas) {
		select {
		case <-c.clock.Added():
		case <-deadline:
			c.t.Fatalf("only %d of %d sweepers came round", c.clock.Waiters(), len(c.replicas))
		}
	}
}

// sweep moves the shared clock by d and waits until every replica has run
// its sweep (expiry, takeover, reminders) and parked again.
func (c *cluster) sweep(d time.Duration) {
	c.t.Helper()
	c.parked()
	c.clock.Advance(d)
	c.parked()
}

// handledBy says which replica logged the envelope.
func (c *cluster) handledBy(envelopeID string) int {
	for i, r := range c.replicas {
		for _, rec := range r.logs.records() {
			if rec["envelope_id"] == envelopeID {
				return i
			}
		}
	}
	return -1
}

// waitAnyLog waits until some replica logs a matching line.
func (c *cluster) waitAnyLog(what string, match func(map[string]any) bool) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	found := make(chan struct{})
	var once sync.Once
	for _, r := range c.replicas {
		go func() {
			if r.logs.wait(ctx, r.done, match) == nil {
				once.Do(func() { close(found) })
			}
		}()
	}
	select {
	case <-found:
	case <-ctx.Done():
		c.t.Fatalf("waiting for %s: %v", what, ctx.Err())
	}
}

// waitLogCount waits until the replicas have logged n matching lines in
// all.
func (c *cluster) waitLogCount(what string, n int, match func(map[string]any) bool) {
	c.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		var changed []<-chan struct{}
		got := 0
		for _, r := range c.replicas {
			changed = append(changed, r.logs.changes())
			for _, rec := range r.logs.records() {
				if match(rec) {
					got++
				}
			}
		}
		if got >= n {
			return
		}
		woke := make(chan struct{})
		var once sync.Once
		stop := make(chan struct{})
		for _, ch := range changed {
			go func() {
				select {
				case <-ch:
					once.Do(func() { close(woke) })
				case <-stop:
				}
			}()
		}
		select {
		case <-woke:
			close(stop)
		case <-deadline:
			close(stop)
			c.t.Fatalf("waiting for %s: %d of %d", what, got, n)
		}
	}
}

func (c *cluster) journal() store.Store {
	c.t.Helper()
	st := openJournal(c.t, "", c.dbURL)
	c.t.Cleanup(func() { st.Close() })
	return st
}

// versions collapses a message's history into its distinct successive
// states (an update that changes nothing is not a new state).
func versions(m fakeslack.Message) []string {
	var out []string
	for _, v := range m.Versions {
		s := v.Text + "\n" + readable(v.Blocks)
		if len(out) == 0 || out[len(out)-1] != s {
			out = append(out, s)
		}
	}
	return out
}

// manyApps is n apps running Flexible Sync, aliased a000…, for n requests
// that each need an app of their own (terminated sync cannot be terminated).
func manyApps(n int) ([]fakeadmin.App, []config.App) {
	var fa []fakeadmin.App
	var ca []config.App
	for i := range n {
		id := fmt.Sprintf("64b7f0c2a1b2c3d4e5f6%04x", 0x100+i)
		alias := fmt.Sprintf("a%03d", i)
		fa = append(fa, fakeadmin.App{GroupID: group, ID: id, ClientAppID: alias + "-abcde", Name: alias, SyncKind: "flexible_sync", Sync: fakeadmin.FlexibleSync("enabled")})
		ca = append(ca, config.App{Alias: alias, GroupID: group, AppID: id})
	}
	return fa, ca
}

// TestReplicasApprovalClickedOnEveryReplica: 100 terminate requests across
// three replicas; each card's Approve is clicked three times at once, one
// envelope per replica. Exactly one PATCH per request, every card goes
// pending → approved → running → terminated with no step repeated or
// undone, and every redundant click is answered once.
func TestReplicasApprovalClickedOnEveryReplica(t *testing.T) {
	const n, replicas = 100, 3
	fa, ca := manyApps(n)
	c := newCluster(t, replicas, fa, ca)
	began := time.Now()

	// Bob clicks Approve the moment a card shows up, and the same click
	// reaches every replica: the three envelopes go out back to back,
	// before any ack, and consecutive envelopes land on consecutive sockets.
	var (
		mu    sync.Mutex
		ids   []string
		cards = map[string]bool{}
	)
	stop := c.slack.Subscribe(func(ev fakeslack.Event) {
		if ev.Kind != fakeslack.KindPost || !strings.Contains(ev.Message.Text, "asks to terminate") {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		id := cardID(*ev.Message)
		if cards[id] {
			t.Errorf("a second card for %s", id)
			return
		}
		cards[id] = true
		for range replicas {
			env, err := c.slack.Click(fakeslack.Click{UserID: bob, ChannelID: channel, MessageTS: ev.Message.TS, ActionID: messages.ActionApprove, BlockID: "decision", Value: id})
			if err != nil {
				t.Error(err)
				return
			}
			ids = append(ids, env)
		}
	})
	defer stop()
	for i := range n {
		if _, err := c.slack.SlashCommand(fakeslack.SlashCommand{UserID: alice, ChannelID: channel, Text: fmt.Sprintf("terminate a%03d rotate the schema", i)}); err != nil {
			t.Fatal(err)
		}
	}
	c.wait("100 cards clicked", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(ids) == n*replicas
	})
	stop()
	mu.Lock()
	ids = append([]string(nil), ids...)
	mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, id := range ids {
		if _, err := c.slack.WaitAck(ctx, id); err != nil {
			t.Fatalf("ack %s: %v", id, err)
		}
	}
	settled := func() (open []string, answered int) {
		for _, m := range c.slack.Messages(channel) {
			if !isFinalText(m.Text) {
				open = append(open, m.Text)
			}
		}
		return open, c.ephemeralCount(bob)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer wcancel()
	if err := c.slack.WaitFor(wctx, func() bool {
		open, answered := settled()
		return len(open) == 0 && answered == n*(replicas-1)
	}); err != nil {
		open, answered := settled()
		t.Fatalf("waiting for every card to be final and every redundant click answered: %v\n%d redundant clicks answered of %d; cards not final: %q",
			err, answered, n*(replicas-1), open)
	}
	elapsed := time.Since(began)

	// Each replica got its share of the clicks.
	per := make([]int, replicas)
	byEnvelope := map[any]int{}
	for i, r := range c.replicas {
		for _, rec := range r.logs.records() {
			byEnvelope[rec["envelope_id"]] = i
		}
	}
	for _, id := range ids {
		if r, ok := byEnvelope[id]; ok {
			per[r]++
		}
	}
	for r, k := range per {
		if k != n {
			t.Errorf("replica %d handled %d clicks, want %d", r+1, k, n)
		}
	}

	patches := c.admin.Patches()
	if len(patches) != n {
		t.Errorf("%d PATCHes for %d approved requests, want exactly %d", len(patches), n, n)
	}
	perApp := map[string]int{}
	for _, p := range patches {
		perApp[p.AppID]++
	}
	for app, k := range perApp {
		if k != 1 {
			t.Errorf("app %s got %d PATCHes", app, k)
		}
	}

	updates := 0
	for _, m := range c.slack.Messages(channel) {
		vs := versions(m)
		updates += m.Updates
		// Running reads as approved: the card is not updated twice with
		// the same words.
		if len(vs) != 3 || !strings.Contains(vs[0], "Approve or deny") || !strings.Contains(vs[1], "✅") ||
			!strings.Contains(vs[2], "is terminated") {
			t.Errorf("card %s went through %d states, want pending → approved → terminated:\n%s", cardID(m), len(vs), strings.Join(vs, "\n---\n"))
		}
		if m.Updates != 2 {
			t.Errorf("card %s was updated %d times, want once per change of words (2)", cardID(m), m.Updates)
		}
	}
	for _, e := range c.slack.Ephemerals() {
		if e.User == bob && !strings.Contains(e.Text, "already") {
			t.Errorf("a redundant click was answered %q", e.Text)
		}
	}
	ops := checkJournal(t, c.journal(), c.slack, true)
	if len(ops) != n {
		t.Errorf("%d operations, want %d", len(ops), n)
	}
	for _, op := range ops {
		if op.State != store.Succeeded || op.DecidedBy != bob {
			t.Errorf("%s: %s by %q: %s", messages.OpName(op.ID), op.State, op.DecidedBy, op.Outcome)
		}
	}
	t.Logf("%d requests, %d approve clicks over %d replicas (%v each): %d PATCHes, %d card updates, %s",
		n, len(ids), replicas, per, len(patches), updates, elapsed.Round(time.Millisecond))
}

// TestReplicasRedeliveryIsANoOp: an envelope delivered again (same
// trigger_id) to the other replica changes nothing and says nothing, for a
// pause and for a terminate request, while it runs and after it is done.
func TestReplicasRedeliveryIsANoOp(t *testing.T) {
	c := newCluster(t, 2, nil, nil)
	send := func(text, trigger string) string {
		t.Helper()
		id, err := c.slack.SlashCommand(fakeslack.SlashCommand{UserID: alice, ChannelID: channel, Text: text, TriggerID: trigger})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	replayed := func(envelopeID string) func(map[string]any) bool {
		return func(r map[string]any) bool {
			return r["envelope_id"] == envelopeID && strings.HasPrefix(fmt.Sprint(r["msg"]), "replayed")
		}
	}

	// twice delivers an envelope to both replicas at once and returns once
	// one of them has ignored it.
	twice := func(text, trigger string) {
		t.Helper()
		first, again := send(text, trigger), send(text, trigger)
		c.waitAnyLog("one of two deliveries to be ignored", func(r map[string]any) bool {
			return replayed(first)(r) || replayed(again)(r)
		})
		if a, b := c.handledBy(first), c.handledBy(again); a == b {
			t.Errorf("both deliveries went to replica %d", a+1)
		}
	}

	// The pause, delivered twice at once, then once more when it is done.
	twice("pause prod", "trig-pause")
	c.channelMessage("Paused sync")
	late := send("pause prod", "trig-pause")
	c.waitAnyLog("the late replay to be ignored", replayed(late))

	// The terminate request: twice at once; again once approved and done.
	twice("terminate staging retire it", "trig-term")
	card := c.channelMessage("asks to terminate")
	c.click(bob, card.TS, messages.ActionApprove, cardID(card))
	c.waitCard(card.TS, "is terminated")
	late = send("terminate staging retire it", "trig-term")
	c.waitAnyLog("the late replay to be ignored", replayed(late))

	if n := len(c.admin.Patches()); n != 2 {
		t.Errorf("%d PATCHes, want the pause and the terminate", n)
	}
	if n := len(c.slack.Messages(channel)); n != 2 {
		t.Errorf("%d channel messages, want the pause's and one card", n)
	}
	if n := c.ephemeralCount(alice); n != 0 {
		t.Errorf("replays answered alice %d times: %q", n, c.slack.Ephemerals())
	}
	ops := checkJournal(t, c.journal(), c.slack, true)
	if len(ops) != 2 {
		t.Errorf("%d operations, want 2", len(ops))
	}
}

// TestReplicasExpireEachRequestOnce: every replica's sweeper sees the same
// ten requests expire; each is expired by one of them, and its card is
// updated once.
func TestReplicasExpireEachRequestOnce(t *testing.T) {
	const n = 10
	c := newCluster(t, 3, nil, nil)
	for i := range n {
		c.command(alice, fmt.Sprintf("terminate prod attempt %d", i))
	}
	c.waitLogCount("the cards to be journaled", n, func(r map[string]any) bool { return r["msg"] == "channel message posted" })
	c.sweep(14 * time.Minute) // not yet
	for _, m := range c.slack.Messages(channel) {
		if m.ThreadTS == "" && m.Updates != 0 {
			t.Fatalf("card %s updated before its expiry: %q", m.TS, m.Text)
		}
	}
	c.sweep(2 * time.Minute)

	winners := map[int]int{}
	reminders := 0
	for _, m := range c.slack.Messages(channel) {
		if m.ThreadTS != "" {
			reminders++ // "expires in 5 minutes", under the card
			continue
		}
		if m.Updates != 1 || !strings.Contains(m.Text, "expired") {
			t.Errorf("card %s: %d updates, reads %q; want one update, to expired", m.TS, m.Updates, m.Text)
		}
	}
	for i, r := range c.replicas {
		for _, rec := range r.logs.records() {
			if rec["msg"] == "request expired" {
				winners[i]++
			}
		}
	}
	total := 0
	for _, k := range winners {
		total += k
	}
	if total != n {
		t.Errorf("%d expiries won (%v by replica), want %d", total, winners, n)
	}
	for _, op := range checkJournal(t, c.journal(), c.slack, true) {
		if op.State != store.Expired {
			t.Errorf("%s is %s", messages.OpName(op.ID), op.State)
		}
	}
	if len(c.admin.Patches()) != 0 {
		t.Error("an expired request PATCHed")
	}
	if reminders != n {
		t.Errorf("%d expiry reminders for %d requests", reminders, n)
	}
	t.Logf("%d expiries, won by replica: %v", n, winners)
}

// TestReplicasOneOperationPerApp: while a pause runs on one replica, the
// other refuses a second change of the same app, and an approved terminate
// of it fails without a PATCH; another app is not blocked.
func TestReplicasOneOperationPerApp(t *testing.T) {
	c := newCluster(t, 2, nil, nil)
	card := c.requestTerminate("prod")
	release := c.admin.Hold()
	defer release()
	pause := c.command(alice, "pause prod")
	held(c.env, 2) // the pause is journaled and reading
	other := c.command(bob, "resume prod")
	if got := c.whisper(bob, 1); !strings.Contains(got, "is busy") || !strings.Contains(got, "<@UALICE>") {
		t.Errorf("second change on a busy app:\n%s", got)
	}
	if c.handledBy(pause) == c.handledBy(other) {
		t.Fatal("both commands went to one replica: the test proves nothing")
	}
	c.click(carol, card.TS, messages.ActionApprove, cardID(card))
	c.waitCard(card.TS, "failed")
	if got := readable(c.card(card.TS).Blocks); !strings.Contains(got, "another operation") {
		t.Errorf("terminate approved on a busy app:\n%s", got)
	}
	c.command(carol, "resume staging") // another app: not blocked
	held(c.env, 4)
	release()
	c.channelMessage("Paused sync")
	c.channelMessage("Resumed sync")
	if n := len(c.patches(prodID)); n != 1 {
		t.Errorf("%d PATCHes of prod, want the pause's", n)
	}
	checkJournal(t, c.journal(), c.slack, false)
}

// TestReplicaTakesOverAfterTheLease: a bot binary on the shared schema is
// SIGKILLed in the middle of a pause and of a terminate; two replicas that
// share a fake clock leave the operations alone while the dead bot's lease
// runs, then exactly one of them takes each over, reads the real state and
// finishes record and message, without re-sending anything.
func TestReplicaTakesOverAfterTheLease(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reach func(k *killRig)
		want  store.State
	}{
		{"pause-patch-applied", func(k *killRig) {
			defer k.killOnPatch()()
			pauseProd(k)
			k.waitDead("the PATCH")
		}, store.Succeeded},
		{"terminate-reading", func(k *killRig) {
			card := requestProd(k)
			release := k.admin.Hold()
			defer release()
			approve(k, card)
			held(k.env, 2)
			k.killNow()
		}, store.Failed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(time.Now())
			k := &killRig{env: newFakes(t, clk), dataDir: t.TempDir(), dbURL: pgSchema(t)}
			k.proxy = newSlackProxy(t, k.slack.APIURL())
			k.start()
			tc.reach(k)
			patches := len(k.admin.Patches())

			c := &cluster{env: k.env, dbURL: k.dbURL}
			for i := range 2 {
				c.replicas = append(c.replicas, startReplica(t, k.inprocConfig(), clk))
				c.wait("a replica connects", func() bool { return c.slack.Connections() == i+1 })
			}
			st := c.journal()
			c.sweep(replicaSweep) // the lease still runs
			if ops := allOps(t, st); len(ops) != 1 || ops[0].State != store.Executing {
				t.Fatalf("before the lease ran out: %+v", ops)
			}
			c.sweep(killLease)
			ops := checkJournal(t, st, c.slack, true)
			if len(ops) != 1 || ops[0].State != tc.want {
				t.Fatalf("after the lease: %+v", ops)
			}
			evs, _ := st.Events(context.Background(), ops[0].ID)
			reclaims := 0
			for _, e := range evs {
				if e.Action == "reclaimed" {
					reclaims++
				}
			}
			if reclaims != 1 {
				t.Errorf("%d takeovers, want 1: %+v", reclaims, evs)
			}
			if n := len(k.admin.Patches()); n != patches {
				t.Errorf("%d PATCHes at the kill, %d after the takeover", patches, n)
			}
			t.Logf("%s: %s, outcome %q", messages.OpName(ops[0].ID), ops[0].State, ops[0].Outcome)
		})
	}
}
