package service_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/demo"
	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
)

// demoTriggers adds to app A: orders-sync (database, enabled), orders-audit
// (database, suspended), daily-report (scheduled) and on-signup
// (authentication). It returns their ids by name.
func demoTriggers(admin *fakeadmin.Server) map[string]string {
	return map[string]string{
		"orders-sync":  admin.AddTrigger(groupID, appA, fakeadmin.Trigger{Object: fakeadmin.DatabaseTrigger("orders-sync", false), LastProcessed: t0.Add(-2 * time.Minute)}),
		"orders-audit": admin.AddTrigger(groupID, appA, fakeadmin.Trigger{Object: fakeadmin.DatabaseTrigger("orders-audit", false), Suspended: "(InvalidResumeToken) invalidate event"}),
		"daily-report": admin.AddTrigger(groupID, appA, fakeadmin.Trigger{Object: fakeadmin.ScheduledTrigger("daily-report", false)}),
		"on-signup":    admin.AddTrigger(groupID, appA, fakeadmin.Trigger{Object: fakeadmin.AuthenticationTrigger("on-signup")}),
	}
}

// puts counts the trigger PUTs the fake accepted, resume or not.
func puts(admin *fakeadmin.Server, resume bool) []fakeadmin.TriggerPut {
	var out []fakeadmin.TriggerPut
	for _, p := range admin.TriggerPuts() {
		if p.Resume == resume && p.Status < 300 {
			out = append(out, p)
		}
	}
	return out
}

func TestTriggersList(t *testing.T) {
	w := newWorld(t, stores["sqlite"](t)(), worldOptions{})
	demoTriggers(w.admin)
	w.command(alice, "triggers prod")
	got := w.slack.lastWhisper()
	if !strings.Contains(got, "4 triggers: 3 enabled, 1 suspended") {
		t.Fatalf("list answered %q", got)
	}
	if n := len(w.admin.TriggerPuts()); n != 0 {
		t.Fatalf("a list sent %d PUTs", n)
	}
	w.command(alice, "status prod")
	if got := w.slack.lastWhisper(); !strings.Contains(got, "Device Sync is") {
		t.Fatalf("status answered %q", got)
	}
	if got := w.slack.lastBlocks(); !strings.Contains(got, "4 triggers: 3 enabled, 1 suspended") {
		t.Fatalf("status lacks the trigger line: %s", got)
	}
}

// Disable then enable round-trips every other member byte for byte.
func TestTriggerDisableThenEnable(t *testing.T) {
	w := newWorld(t, stores["sqlite"](t)(), worldOptions{})
	ids := demoTriggers(w.admin)
	id := ids["orders-sync"]
	before := w.admin.TriggerObject(groupID, appA, id)
	w.command(alice, "trigger disable prod ORDERS-S hammering prod")
	if s := w.admin.TriggerState(groupID, appA, id); s != adminapi.TriggerDisabled {
		t.Fatalf("trigger is %s after disable; whisper %q", s, w.slack.lastWhisper())
	}
	op := w.op(1)
	if op.State != store.Succeeded || op.Kind != store.Disable || op.SyncKind != "orders-sync" || op.SyncBefore != "enabled" || op.SyncAfter != "disabled" || op.Target.Name != id {
		t.Fatalf("journal: %+v", op)
	}
	if shown := w.slack.shown(op); !strings.Contains(shown, "Disabled trigger orders-sync of prod (enabled → disabled)") {
		t.Fatalf("channel shows %q", shown)
	}
	w.command(alice, "trigger enable prod orders-sync")
	if s := w.admin.TriggerState(groupID, appA, id); s != adminapi.TriggerEnabled {
		t.Fatalf("trigger is %s after enable", s)
	}
	ps := puts(w.admin, false)
	if len(ps) != 2 {
		t.Fatalf("%d PUTs, want 2", len(ps))
	}
	if want := bytes.Replace(before, []byte(`"disabled":false`), []byte(`"disabled":true`), 1); !bytes.Equal(ps[0].Body, want) {
		t.Errorf("disable PUT\n got %s\nwant %s", ps[0].Body, want)
	}
	if !bytes.Equal(ps[1].Body, before) || !bytes.Equal(w.admin.TriggerObject(groupID, appA, id), before) {
		t.Errorf("enable PUT %s; the trigger is %s; want both %s", ps[1].Body, w.admin.TriggerObject(groupID, appA, id), before)
	}
	checkEffects(t, w, w.op(2), 1)
}

func TestTriggerRefusalsChangeNothing(t *testing.T) {
	for _, tc := range []struct{ text, reply string }{
		{"trigger disable prod nope x", "has no trigger called `nope`"},
		{"trigger disable prod orders x", "`orders` matches several triggers of *prod*: `orders-audit`, `orders-sync`"},
		{"trigger enable prod orders-sync", "is already `enabled`"},
		{"trigger enable prod orders-audit", "not disabled: enabling does not restart it"},
		{"trigger resume prod orders-sync", "not suspended: there is nothing to resume"},
		{"trigger resume prod daily", "is a scheduled trigger: only database triggers can be suspended and resumed"},
		{"trigger resume prod on-signup", "is a authentication trigger: only database triggers"},
		{"trigger resume prod daily --skip-missed why", "only database triggers"},
		{"trigger resume prod orders-sync --skip-missed why", "not suspended"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			w := newWorld(t, stores["sqlite"](t)(), worldOptions{})
			demoTriggers(w.admin)
			w.command(alice, tc.text)
			if n := len(w.admin.TriggerPuts()); n != 0 {
				t.Errorf("%d PUTs sent", n)
			}
			if got := w.slack.lastWhisper(); !strings.Contains(got, tc.reply) {
				t.Errorf("reply %q, want %q", got, tc.reply)
			}
			if len(w.slack.posts) != 0 {
				t.Errorf("%d channel posts; want none", len(w.slack.posts))
			}
		})
	}
}

func TestTriggerResumeWithTheToken(t *testing.T) {
	w := newWorld(t, stores["sqlite"](t)(), worldOptions{})
	id := demoTriggers(w.admin)["orders-audit"]
	w.command(alice, "trigger resume prod orders-audit")
	ps := puts(w.admin, true)
	if len(ps) != 1 || string(ps[0].Body) != `{"disable_token":false}` {
		t.Fatalf("resume PUTs %+v", ps)
	}
	if s := w.admin.TriggerState(groupID, appA, id); s != adminapi.TriggerEnabled {
		t.Fatalf("trigger is %s", s)
	}
	if shown := w.slack.shown(w.op(1)); !strings.Contains(shown, "Resumed trigger orders-audit of prod (suspended → enabled)") {
		t.Fatalf("channel shows %q", shown)
	}
}

// A resume the API refuses because the token is gone says so and offers
// the --skip-missed command.
func TestTriggerResumeTokenGoneOffersSkipMissed(t *testing.T) {
	w := newWorld(t, stores["sqlite"](t)(), worldOptions{})
	id := demoTriggers(w.admin)["orders-audit"]
	w.admin.SuspendTrigger(groupID, appA, id, "(ChangeStreamHistoryLost) resume token not found", true)
	w.command(alice, "trigger resume prod orders-audit")
	op := w.op(1)
	if op.State != store.Failed || !strings.Contains(op.Outcome, "`/sync trigger resume prod orders-audit --skip-missed &lt;reason…&gt;`") {
		t.Fatalf("T-1 %s: %q", op.State, op.Outcome)
	}
	if s := w.admin.TriggerState(groupID, appA, id); s != adminapi.TriggerSuspended {
		t.Fatalf("trigger is %s", s)
	}
}

// --skip-missed waits for another person, then sends disable_token true
// once, however many clicks, on both stores.
func TestTriggerSkipMissedNeedsApprovalAndSendsOnce(t *testing.T) {
	for name, opener := range stores {
		t.Run(name, func(t *testing.T) {
			st := opener(t)()
			defer st.Close()
			w := newWorld(t, st, worldOptions{})
			id := demoTriggers(w.admin)["orders-audit"]
			w.admin.SuspendTrigger(groupID, appA, id, "(ChangeStreamHistoryLost) gone", true)
			w.command(alice, "trigger resume prod orders-audit --skip-missed token gone, orders piling up")
			op := w.op(1)
			if op.State != store.Pending || op.Kind != store.ResumeSkip || len(w.admin.TriggerPuts()) != 0 {
				t.Fatalf("request: %+v, %d PUTs", op, len(w.admin.TriggerPuts()))
			}
			if shown := w.slack.shown(op); !strings.Contains(shown, "asks to resume trigger orders-audit of prod without the missed events") {
				t.Fatalf("card shows %q", shown)
			}
			w.click(alice, messages.ActionApprove, 1)
			if w.op(1).State != store.Pending || !strings.Contains(w.slack.lastWhisper(), "someone else must approve") {
				t.Fatalf("self-approval: %s, %q", w.op(1).State, w.slack.lastWhisper())
			}
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() { w.click(bob, messages.ActionApprove, 1) })
			}
			wg.Wait()
			ps := puts(w.admin, true)
			if len(ps) != 1 || string(ps[0].Body) != `{"disable_token":true}` {
				t.Fatalf("resume PUTs %+v; want one with disable_token true", ps)
			}
			if op := w.op(1); op.State != store.Succeeded || op.DecidedBy != bob {
				t.Fatalf("T-1 %+v", op)
			}
			checkEffects(t, w, w.op(1), 1)
		})
	}
}

// Two processes on one journal, each clicked: one PUT.
func TestTriggerSkipMissedTwoProcesses(t *testing.T) {
	open := stores["postgres"](t)
	clk := clock.NewFake(t0)
	admin := newAdmin(t, clk)
	id := demoTriggers(admin)["orders-audit"]
	st1, st2 := open(), open()
	defer st1.Close()
	defer st2.Close()
	rec := &recorder{updates: map[string]messages.Message{}}
	p1 := newWorld(t, st1, worldOptions{admin: admin, clock: clk, slack: rec})
	p2 := newWorld(t, st2, worldOptions{admin: admin, clock: clk, slack: rec, holder: "p2"})
	p1.command(alice, "trigger resume prod orders-audit --skip-missed replay is impossible")
	var wg sync.WaitGroup
	for _, p := range []*world{p1, p2, p1, p2} {
		wg.Go(func() { p.click(bob, messages.ActionApprove, 1) })
	}
	wg.Wait()
	ps := puts(admin, true)
	if len(ps) != 1 || string(ps[0].Body) != `{"disable_token":true}` {
		t.Fatalf("resume PUTs %+v", ps)
	}
	if s := admin.TriggerState(groupID, appA, id); s != adminapi.TriggerEnabled {
		t.Fatalf("trigger is %s", s)
	}
}

// Bound to the previewed state: resumed meanwhile (in the Atlas UI), the
// approval sends nothing.
func TestTriggerSkipMissedRefusedWhenNoLongerSuspended(t *testing.T) {
	w := newWorld(t, stores["sqlite"](t)(), worldOptions{})
	id := demoTriggers(w.admin)["orders-audit"]
	w.command(alice, "trigger resume prod orders-audit --skip-missed stuck")
	// Resumed outside syncbot, with the token.
	if err := resumeOutside(w, id); err != nil {
		t.Fatal(err)
	}
	w.click(bob, messages.ActionApprove, 1)
	op := w.op(1)
	if op.State != store.Failed || !strings.Contains(op.Outcome, "the trigger changed since the request") {
		t.Fatalf("T-1 %s: %q", op.State, op.Outcome)
	}
	if ps := puts(w.admin, true); len(ps) != 1 { // the outside resume only
		t.Fatalf("resume PUTs %+v", ps)
	}
}

func resumeOutside(w *world, id string) error {
	c, err := adminapi.New(adminapi.Options{BaseURL: w.admin.URL(), PublicKey: demo.PublicKey, PrivateKey: demo.PrivateKey, Clock: w.clock})
	if err != nil {
		return err
	}
	return c.ResumeTrigger(w.t.Context(), adminapi.App{GroupID: groupID, AppID: appA}, id, false)
}

// checkEffects: the op's audit log has exactly want effects.
func checkEffects(t *testing.T, w *world, op store.Op, want int) {
	t.Helper()
	evs, err := w.st.Events(t.Context(), op.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Action == "effect" {
			n++
		}
	}
	if n != want {
		t.Errorf("%s: %d effect events, want %d", messages.OpName(op.ID), n, want)
	}
}

// The requester withdraws a skip-missed request with cancel: nothing sent.
func TestTriggerSkipMissedCancelled(t *testing.T) {
	w := newWorld(t, stores["sqlite"](t)(), worldOptions{})
	demoTriggers(w.admin)
	w.command(alice, "trigger resume prod orders-audit --skip-missed stuck")
	w.command(bob, "cancel T-1")
	if op := w.op(1); op.State != store.Pending || !strings.Contains(w.slack.lastWhisper(), "Only <@UALICE>") {
		t.Fatalf("bob's cancel: %s, %q", op.State, w.slack.lastWhisper())
	}
	w.command(alice, "cancel T-1")
	op := w.op(1)
	if op.State != store.Cancelled || !strings.Contains(w.slack.shown(op), "withdrawn; nothing changed for trigger orders-audit of prod") {
		t.Fatalf("T-1 %s, shown %q", op.State, w.slack.shown(op))
	}
	w.click(bob, messages.ActionApprove, 1)
	if n := len(w.admin.TriggerPuts()); n != 0 {
		t.Fatalf("%d PUTs after a cancelled request was clicked", n)
	}
}

// An op whose process died after its PUT is settled by the sweeper from
// the trigger's real state, never re-sent.
func TestTriggerAbandonedOpSettledByReading(t *testing.T) {
	w := newWorld(t, stores["sqlite"](t)(), worldOptions{})
	ids := demoTriggers(w.admin)
	tgt := store.Target{Kind: store.TriggerTarget, GroupID: groupID, AppID: appA, Name: ids["orders-sync"]}
	op, _, err := w.st.CreateOp(t.Context(), store.Op{Key: "dead-1", Kind: store.Disable, App: "prod", Target: tgt, Requester: alice, Channel: channel,
		State: store.Executing, SyncKind: "orders-sync", SyncBefore: "enabled", SyncAfter: "disabled", Holder: "dead", LeaseUntil: t0.Add(time.Minute)}, t0)
	if err != nil {
		t.Fatal(err)
	}
	// The dead process's PUT landed.
	c, err := adminapi.New(adminapi.Options{BaseURL: w.admin.URL(), PublicKey: demo.PublicKey, PrivateKey: demo.PrivateKey, Clock: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	app := adminapi.App{GroupID: groupID, AppID: appA}
	tr, err := c.Trigger(t.Context(), app, tgt.Name)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetTriggerDisabled(t.Context(), app, tgt.Name, tr.Object, true); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(2 * time.Minute)
	w.sw.Reconcile(t.Context(), false)
	op = w.op(op.ID)
	if op.State != store.Succeeded || op.SyncBefore != "enabled" {
		t.Fatalf("settled as %s from %q: %q", op.State, op.SyncBefore, op.Outcome)
	}
	if n := len(w.admin.TriggerPuts()); n != 1 {
		t.Fatalf("%d PUTs; the sweeper must not send", n)
	}
	if shown := w.slack.shown(op); !strings.Contains(shown, "Disabled trigger orders-sync of prod") {
		t.Fatalf("shown %q", shown)
	}
}

// A skip-missed request approved after its alias was re-pointed at another
// app sends nothing to either.
func TestTriggerSkipMissedRepointedAliasSendsNothing(t *testing.T) {
	for name, opener := range stores {
		t.Run(name, func(t *testing.T) {
			open := opener(t)
			clk := clock.NewFake(t0)
			admin := newAdmin(t, clk)
			demoTriggers(admin)
			st := open()
			before := newWorld(t, st, worldOptions{admin: admin, clock: clk, apps: map[string]string{"prod": appA}})
			before.command(alice, "trigger resume prod orders-audit --skip-missed stuck")
			st.Close()
			st = open()
			defer st.Close()
			after := newWorld(t, st, worldOptions{admin: admin, clock: clk, apps: map[string]string{"prod": appB}})
			after.click(bob, messages.ActionApprove, 1)
			op := after.op(1)
			if op.State != store.Failed || !strings.Contains(op.Outcome, "`prod` now names another app") || !strings.Contains(op.Outcome, "trigger resume prod orders-audit --skip-missed") {
				t.Errorf("T-1 %s: %q", op.State, op.Outcome)
			}
			if n := len(admin.TriggerPuts()); n != 0 {
				t.Errorf("%d PUTs", n)
			}
		})
	}
}
