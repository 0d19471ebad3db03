package app_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/config"
	"github.com/syncbot/syncbot/internal/demo"
	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/fakeslack"
	"github.com/syncbot/syncbot/internal/messages"
)

// Triggers end to end: the real slack-go client and Admin API client
// against the fakes, with the demo world's two triggers on prod
// (orders-sync running, orders-audit suspended).

func (e *env) triggerPuts(resume bool) []fakeadmin.TriggerPut {
	var out []fakeadmin.TriggerPut
	for _, p := range e.admin.TriggerPuts() {
		if p.Resume == resume {
			out = append(out, p)
		}
	}
	return out
}

func TestTriggersEndToEndListDisableEnable(t *testing.T) {
	e := newEnv(t)
	e.command(carol, "triggers prod")
	list := e.whisper(carol, 1)
	for _, want := range []string{"2 triggers: 1 enabled, 1 suspended", "orders-sync", "orders-audit", "database", "suspended", "last processed"} {
		if !strings.Contains(list, want) {
			t.Errorf("list lacks %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, demo.OrdersTriggerID) || strings.Contains(list, demo.AuditTriggerID) {
		t.Errorf("the list shows a trigger id:\n%s", list)
	}

	before := e.admin.TriggerObject(group, prodID, demo.OrdersTriggerID)
	e.command(alice, "trigger disable prod Orders-S hammering the orders cluster")
	done := e.channelMessage("Disabled trigger orders-sync of prod (enabled → disabled)")
	if b := readable(done.Blocks); !strings.Contains(b, "hammering the orders cluster") || !strings.Contains(b, "skip_catchup_events") {
		t.Errorf("disable message:\n%s", b)
	}
	e.command(alice, "trigger enable prod orders-sync")
	e.channelMessage("Enabled trigger orders-sync of prod (disabled → enabled)")
	ps := e.triggerPuts(false)
	if len(ps) != 2 {
		t.Fatalf("%d PUTs, want 2", len(ps))
	}
	if want := bytes.Replace(before, []byte(`"disabled":false`), []byte(`"disabled":true`), 1); !bytes.Equal(ps[0].Body, want) {
		t.Errorf("disable PUT\n got %s\nwant %s", ps[0].Body, want)
	}
	if !bytes.Equal(ps[1].Body, before) {
		t.Errorf("enable PUT\n got %s\nwant %s", ps[1].Body, before)
	}
	if after := e.admin.TriggerObject(group, prodID, demo.OrdersTriggerID); !bytes.Equal(after, before) {
		t.Errorf("the trigger is now\n%s\nwas\n%s", after, before)
	}
	e.command(carol, "history prod")
	if h := e.whisper(carol, 2); !strings.Contains(h, "orders-sync") || strings.Contains(h, demo.OrdersTriggerID) {
		t.Errorf("history:\n%s", h)
	}
}

func TestTriggersEndToEndResumeWithTheToken(t *testing.T) {
	e := newEnv(t)
	e.command(alice, "trigger resume prod orders-audit")
	e.channelMessage("Resumed trigger orders-audit of prod (suspended → enabled)")
	ps := e.triggerPuts(true)
	if len(ps) != 1 || string(ps[0].Body) != `{"disable_token":false}` {
		t.Fatalf("resume PUTs: %+v", ps)
	}
	if s := e.admin.TriggerState(group, prodID, demo.AuditTriggerID); s != "enabled" {
		t.Fatalf("trigger is %s", s)
	}
}

func TestTriggersEndToEndTokenGoneOffersSkipMissed(t *testing.T) {
	e := newEnv(t)
	e.admin.SuspendTrigger(group, prodID, demo.AuditTriggerID, "(ChangeStreamHistoryLost) resume token not found", true)
	e.command(alice, "trigger resume prod orders-audit")
	m := e.channelMessage("Resume of trigger orders-audit of prod failed")
	if b := readable(m.Blocks); !strings.Contains(b, "/sync trigger resume prod orders-audit --skip-missed") || !strings.Contains(b, "ChangeStreamHistoryLost") {
		t.Errorf("failure message:\n%s", b)
	}
}

// An unknown or ambiguous name, and a resume of a scheduled or
// authentication trigger, change nothing and say why.
func TestTriggersEndToEndRefusals(t *testing.T) {
	e := newEnv(t)
	e.admin.AddTrigger(group, prodID, fakeadmin.Trigger{Object: fakeadmin.ScheduledTrigger("nightly-report", false)})
	e.admin.AddTrigger(group, prodID, fakeadmin.Trigger{Object: fakeadmin.AuthenticationTrigger("on-signup")})
	for i, tc := range []struct{ text, want string }{
		{"trigger disable prod invoices too noisy", "has no trigger called `invoices`"},
		{"trigger disable prod orders too noisy", "`orders` matches several triggers of *prod*: `orders-audit`, `orders-sync`"},
		{"trigger resume prod nightly-report", "is a scheduled trigger: only database triggers can be suspended and resumed"},
		{"trigger resume prod on-signup --skip-missed because", "is a authentication trigger: only database triggers"},
	} {
		e.command(alice, tc.text)
		if got := e.whisper(alice, i+1); !strings.Contains(got, tc.want) {
			t.Errorf("%s: answered %q, want %q", tc.text, got, tc.want)
		}
	}
	if n := len(e.admin.TriggerPuts()); n != 0 {
		t.Errorf("%d PUTs sent", n)
	}
	if n := len(e.slack.Messages(channel)); n != 0 {
		t.Errorf("%d channel messages; want none", n)
	}
}

// --skip-missed needs another person and sends disable_token true once,
// however often Approve is clicked.
func TestTriggersEndToEndSkipMissedApprovedOnce(t *testing.T) {
	e := newEnv(t)
	e.command(alice, "trigger resume prod orders-audit --skip-missed token gone, orders piling up")
	card := e.channelMessage("asks to resume trigger orders-audit of prod without the missed events")
	b := readable(card.Blocks)
	for _, want := range []string{"T-1", "Approve", "Deny", `"confirm"`, "Expires", "never processed", "token gone, orders piling up"} {
		if !strings.Contains(b, want) {
			t.Errorf("card lacks %q:\n%s", want, b)
		}
	}
	e.click(alice, card.TS, messages.ActionApprove, "T-1")
	if got := e.whisper(alice, 1); !strings.Contains(got, "someone else must approve") {
		t.Fatalf("self-approval answered %q", got)
	}
	if n := len(e.admin.TriggerPuts()); n != 0 {
		t.Fatalf("%d PUTs before approval", n)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { e.click(bob, card.TS, messages.ActionApprove, "T-1") })
	}
	wg.Wait()
	done := e.waitCard(card.TS, "resumed; the missed events are skipped for good")
	if strings.Contains(readable(done.Blocks), `"actions"`) {
		t.Error("finished card still has buttons")
	}
	e.wait("the redundant clicks are answered", func() bool { return e.ephemeralCount(bob) == 2 })
	ps := e.triggerPuts(true)
	if len(ps) != 1 || string(ps[0].Body) != `{"disable_token":true}` {
		t.Fatalf("resume PUTs: %+v", ps)
	}
}

// Two replicas on PostgreSQL, each Approve delivered to both: one PUT.
func TestTriggersReplicasSkipMissedOnce(t *testing.T) {
	c := newCluster(t, 2, nil, nil)
	c.admin.AddDemoTriggers(c.clock.Now())
	if _, err := c.slack.SlashCommand(fakeslack.SlashCommand{UserID: alice, ChannelID: channel, Text: "trigger resume prod orders-audit --skip-missed stuck for hours"}); err != nil {
		t.Fatal(err)
	}
	card := c.channelMessage("asks to resume trigger orders-audit")
	var ids []string
	for range 4 {
		id, err := c.slack.Click(fakeslack.Click{UserID: bob, ChannelID: channel, MessageTS: card.TS, ActionID: messages.ActionApprove, BlockID: "decision", Value: "T-1"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, id := range ids {
		if _, err := c.slack.WaitAck(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	c.waitCard(card.TS, "resumed; the missed events are skipped for good")
	c.wait("the redundant clicks are answered", func() bool { return c.ephemeralCount(bob) == 3 })
	ps := c.triggerPuts(true)
	if len(ps) != 1 || string(ps[0].Body) != `{"disable_token":true}` {
		t.Fatalf("resume PUTs: %+v", ps)
	}
}

func (e *env) messagesWith(want string) []string {
	var r []string
	for _, m := range e.slack.Messages(channel) {
		if strings.Contains(m.Text, want) {
			r = append(r, m.Text+"\n"+readable(m.Blocks))
		}
	}
	return r
}

// A trigger disabled longer than SYNC_REMINDER_INTERVAL is mentioned once
// per interval until it is enabled; a trigger op does not hide the sync
// pause of the same app from its own reminder.
func TestTriggersDisabledReminder(t *testing.T) {
	e := newEnv(t)
	e.command(alice, "pause prod cluster maintenance")
	e.channelMessage("Paused")
	e.command(alice, "trigger disable prod orders-sync hammering prod")
	e.channelMessage("Disabled trigger orders-sync")
	e.advance(23 * time.Hour)
	if n := len(e.messagesWith("still disabled")); n != 0 {
		t.Fatalf("%d reminders before the interval", n)
	}
	e.advance(time.Hour + time.Minute)
	r := e.messagesWith("still disabled")
	if len(r) != 1 {
		t.Fatalf("%d trigger reminders after a day, want 1", len(r))
	}
	for _, want := range []string{"orders-sync", "*prod*", "<@UALICE>", "hammering prod", "/sync trigger enable prod orders-sync"} {
		if !strings.Contains(r[0], want) {
			t.Errorf("reminder lacks %q:\n%s", want, r[0])
		}
	}
	if n := len(e.messagesWith("prod is still paused")); n != 1 {
		t.Errorf("%d sync paused reminders, want 1 (a trigger op must not hide the pause)", n)
	}
	e.command(alice, "trigger enable prod orders-sync")
	e.channelMessage("Enabled trigger orders-sync")
	e.advance(24*time.Hour + time.Minute)
	if n := len(e.messagesWith("still disabled")); n != 1 {
		t.Errorf("%d trigger reminders after the enable, want still 1", n)
	}
}

// SYNC_OPERATORS and SYNC_CHANNELS apply to trigger changes; the list
// stays open to everyone.
func TestTriggersAccessRules(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Operators = []string{alice} })
	e.command(carol, "trigger disable prod orders-sync I think it loops")
	if got := e.whisper(carol, 1); !strings.Contains(got, "<@UALICE>") {
		t.Errorf("carol's disable answered %q", got)
	}
	e.command(carol, "triggers prod")
	if got := e.whisper(carol, 2); !strings.Contains(got, "2 triggers") {
		t.Errorf("carol's list answered %q", got)
	}
	e2 := newEnv(t, func(c *config.Config) { c.Channels = []string{"CINCIDENT"} })
	e2.command(alice, "trigger resume prod orders-audit --skip-missed stuck")
	if got := e2.whisper(alice, 1); !strings.Contains(got, "CINCIDENT") {
		t.Errorf("alice's request outside the channels answered %q", got)
	}
	if n := len(e.admin.TriggerPuts()) + len(e2.admin.TriggerPuts()); n != 0 {
		t.Errorf("%d PUTs", n)
	}
	if n := len(e.slack.Messages(channel)) + len(e2.slack.Messages(channel)); n != 0 {
		t.Errorf("%d channel messages", n)
	}
}
