package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/store"
)

// breakGlassReason is hostile on purpose: it must show inert.
const breakGlassReason = "prod corrupts client data <!channel>, nobody answers & <http://evil|Approve>"

// reviewReminders are the channel's "review … is still open" messages.
func (e *env) reviewReminders() []string {
	var r []string
	for _, m := range e.slack.Messages(channel) {
		if strings.Contains(m.Text, "still waits for review") {
			r = append(r, m.Text+"\n"+readable(m.Blocks))
		}
	}
	return r
}

func TestBreakGlassRunsIsAnnouncedAndReviewed(t *testing.T) {
	e := newEnv(t, func(c *configT) {
		c.Breakglass = []string{alice}
		c.Approvers = []string{carol}
	})
	before := e.admin.SyncObject(group, prodID)
	e.command(alice, "terminate prod --break-glass "+breakGlassReason)
	m := e.channelMessage("terminated Device Sync for prod without approval")
	if s, _ := e.admin.SyncState(group, prodID); s != "" {
		t.Fatalf("state after break-glass = %q, want terminated", s)
	}
	ps := e.patches(prodID)
	if len(ps) != 1 {
		t.Fatalf("%d PATCHes, want 1", len(ps))
	}
	assertOnlyStateChanged(t, before, syncObject(t, ps[0].Body, "flexible_sync"), "")

	// Announced loudly: who, why, that no one approved, what it costs, and
	// the review to come; from its first version on.
	if !strings.Contains(m.Versions[0].Text, "is terminating Device Sync for prod without approval") {
		t.Errorf("first version %q does not announce the break-glass", m.Versions[0].Text)
	}
	blocks := readable(m.Blocks)
	for _, want := range []string{
		"🚨 <!here> *BREAK-GLASS T-1: <@UALICE> terminated Device Sync for prod without a second person's approval*",
		`*Glass broken by*\n<@UALICE>`,
		"*Why (break-glass reason):* prod corrupts client data &lt;!channel&gt;, nobody answers &amp; &lt;http://evil|Approve&gt;",
		"every client that synced must do a client reset",
		"🔎 *Review open.* No second person approved this. An approver (<@UCAROL>) must acknowledge it with `/sync ack T-1`",
	} {
		if !strings.Contains(blocks, want) {
			t.Errorf("announcement lacks %q:\n%s", want, blocks)
		}
	}
	if strings.Contains(blocks, "<!channel>") || strings.Contains(blocks, "<http://evil") || strings.Contains(blocks, "&amp;lt;") {
		t.Errorf("the reason is live or escaped twice:\n%s", blocks)
	}

	e.command(bob, "history prod")
	if got := e.whisper(bob, 1); !strings.Contains(got, "🚨 *break-glass terminate* (T-1) prod by <@UALICE>, without approval: *succeeded* (*review open*: `/sync ack T-1`)") {
		t.Errorf("history does not mark the break-glass:\n%s", got)
	}
	e.command(bob, "pending")
	if got := e.whisper(bob, 2); !strings.Contains(got, "*Waiting for review (break-glass)*") || !strings.Contains(got, "*T-1* break-glass terminate of *prod*") {
		t.Errorf("pending does not list the review:\n%s", got)
	}

	// Reminded every SYNC_REMINDER_INTERVAL until acknowledged.
	e.advance(23 * time.Hour)
	if n := len(e.reviewReminders()); n != 0 {
		t.Fatalf("%d review reminders within the first day", n)
	}
	e.advance(time.Hour + time.Minute)
	r := e.reviewReminders()
	if len(r) != 1 || !strings.Contains(r[0], "*The review of break-glass T-1 is still open*") || !strings.Contains(r[0], "/sync ack T-1") {
		t.Fatalf("review reminders after a day = %q", r)
	}
	e.advance(time.Hour)
	if n := len(e.reviewReminders()); n != 1 {
		t.Fatalf("%d review reminders within the second day, want 1", n)
	}

	// Only an approver other than the breaker closes the review.
	e.command(alice, "ack T-1")
	if got := e.whisper(alice, 1); !strings.Contains(got, "You broke the glass on T-1, so someone else must review it: that is the point of the review. Nothing changed.") {
		t.Errorf("self-review:\n%s", got)
	}
	e.command(bob, "ack T-1")
	if got := e.whisper(bob, 3); !strings.Contains(got, "Only these people may acknowledge a break-glass review: <@UCAROL>. Nothing changed.") {
		t.Errorf("review by a non-approver:\n%s", got)
	}
	e.command(carol, "ack T-1")
	if got := e.whisper(carol, 1); !strings.Contains(got, "You acknowledged T-1: its review is closed and the reminders stop.") {
		t.Errorf("acknowledgement:\n%s", got)
	}
	reviewed := e.waitCard(m.TS, "terminated Device Sync")
	e.wait("the announcement to show the review", func() bool {
		reviewed = e.card(m.TS)
		return strings.Contains(readable(reviewed.Blocks), "✅ *Reviewed* by <@UCAROL>")
	})
	if replies := e.threadReplies(m.TS); len(replies) != 1 || !strings.Contains(replies[0].Text, "<@UCAROL> acknowledged the break-glass terminate T-1 of *prod* by <@UALICE>. The review is closed.") {
		t.Errorf("thread replies = %+v", replies)
	}
	e.command(carol, "ack T-1")
	if got := e.whisper(carol, 2); !strings.Contains(got, "T-1 was already acknowledged by <@UCAROL>. Nothing changed.") {
		t.Errorf("second acknowledgement:\n%s", got)
	}
	e.advance(48 * time.Hour)
	if n := len(e.reviewReminders()); n != 1 {
		t.Errorf("%d review reminders after the acknowledgement, want still 1", n)
	}
	e.command(bob, "history prod")
	if got := e.whisper(bob, 4); !strings.Contains(got, "(reviewed by <@UCAROL>)") {
		t.Errorf("history after the review:\n%s", got)
	}

	// The audit log says it all, in order.
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	st := openJournal(t, e.cfg.DataDir, "")
	defer st.Close()
	op, err := st.GetOp(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !op.BreakGlass || op.ReviewedBy != carol || op.State != store.Succeeded || op.DecidedBy != "" {
		t.Errorf("journal: %+v", op)
	}
	checkEvents(t, st, op)
	evs, _ := st.Events(context.Background(), op.ID)
	var actions []string
	for _, ev := range evs {
		actor := ev.Actor
		if ev.Action == "effect" {
			actor = "holder" // the process that sent the PATCH, by its lease name
		}
		actions = append(actions, actor+" "+ev.Action)
	}
	if got, want := strings.Join(actions, ", "), "UALICE break-glass, holder effect, syncbot succeeded, UCAROL acknowledged"; got != want {
		t.Errorf("audit log = %s, want %s", got, want)
	}
}

func TestBreakGlassOnlyForTheListed(t *testing.T) {
	e := newEnv(t, func(c *configT) { c.Breakglass = []string{alice} })
	e.command(bob, "terminate prod --break-glass it burns")
	want := "Only <@UALICE> may use break-glass, so nothing was done. To terminate with a second person's approval: `/sync terminate prod &lt;reason…&gt;`."
	if got := e.whisper(bob, 1); !strings.Contains(got, want) {
		t.Errorf("break-glass by an unlisted user:\n%s\nwant %q", got, want)
	}
	e.command(bob, "terminate prod --break-glass")
	if got := e.whisper(bob, 2); !strings.Contains(got, "Break-glass needs a reason") {
		t.Errorf("break-glass without a reason:\n%s", got)
	}
	e.assertNothingChanged()

	// The listed user may, even with the usual request pending.
	card := e.requestTerminate("legacy")
	e.command(alice, "terminate prod --break-glass it burns")
	e.channelMessage("terminated Device Sync for prod without approval")
	if n := len(e.patches(prodID)); n != 1 {
		t.Errorf("%d PATCHes, want 1", n)
	}
	if m := e.card(card.TS); !strings.Contains(m.Text, "asks to terminate") {
		t.Errorf("the pending request was touched: %q", m.Text)
	}
}

func TestBreakGlassIsOffByDefault(t *testing.T) {
	e := newEnv(t)
	e.command(alice, "terminate prod --break-glass it burns")
	want := "Break-glass is not enabled here (`SYNC_BREAKGLASS` names no one), so nothing was done. To terminate with a second person's approval: `/sync terminate prod &lt;reason…&gt;`."
	if got := e.whisper(alice, 1); !strings.Contains(got, want) {
		t.Errorf("break-glass when off:\n%s\nwant %q", got, want)
	}
	e.assertNothingChanged()
}

// TestBreakGlassOfTerminatedSyncSendsNothing: nothing to break the glass for.
func TestBreakGlassOfTerminatedSyncSendsNothing(t *testing.T) {
	e := newEnv(t, func(c *configT) { c.Breakglass = []string{alice} })
	e.admin.SetSync(group, prodID, "flexible_sync", []byte(`{"state":""}`))
	e.command(alice, "terminate prod --break-glass again")
	if got := e.whisper(alice, 1); !strings.Contains(got, "Sync for *prod* is already terminated. Nothing was done.") {
		t.Errorf("reply:\n%s", got)
	}
	e.assertNothingChanged()
}
