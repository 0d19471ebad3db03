package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/fakeslack"
	"github.com/syncbot/syncbot/internal/messages"
)

// Slack and Admin API faults: each operation ends once, with the right
// outcome and the right final message.

// lease is the harness bots' lease (app.Run: 4×SYNC_ADMIN_TIMEOUT + 1m).
func (e *env) lease() time.Duration { return 4*e.cfg.AdminTimeout + time.Minute }

// versionsText joins every version of m.
func versionsText(m fakeslack.Message) string {
	var v []string
	for _, x := range m.Versions {
		v = append(v, x.Text)
	}
	return strings.Join(v, " | ")
}

// assertOneMessage fails unless the channel holds exactly one top-level
// message, which reads want; it returns it.
func (e *env) assertOneMessage(want string) fakeslack.Message {
	e.t.Helper()
	var top []fakeslack.Message
	for _, m := range e.slack.Messages(channel) {
		if m.ThreadTS == "" {
			top = append(top, m)
		}
	}
	if len(top) != 1 {
		var texts []string
		for _, m := range top {
			texts = append(texts, m.Text)
		}
		e.t.Fatalf("%d channel messages, want 1: %q", len(top), texts)
	}
	if !strings.Contains(top[0].Text, want) {
		e.t.Errorf("the message reads %q, want %q", top[0].Text, want)
	}
	return top[0]
}

func TestSlackRateLimitOnPostIsWaitedOut(t *testing.T) {
	e := newEnv(t)
	e.slack.FailMethod("chat.postMessage", fakeslack.Fault{Status: 429, RetryAfter: 1, Times: 1})
	e.command(alice, "pause prod")
	e.channelMessage("Paused")
	m := e.assertOneMessage("Paused")
	if !strings.Contains(m.Versions[0].Text, "Pausing") || m.Updates != 1 {
		t.Errorf("versions %q: want the retried post, then one update", versionsText(m))
	}
	if n := len(e.patches(prodID)); n != 1 {
		t.Errorf("%d PATCHes, want 1", n)
	}
	if r := e.slack.ResponsePosts(); len(r) != 0 {
		t.Errorf("fell back to response_url: %+v", r)
	}
	e.waitLog("slack web api: retrying", "chat.postMessage", "rate limited (429)")
}

func TestSlackRateLimitOnUpdateIsWaitedOut(t *testing.T) {
	e := newEnv(t)
	card := e.requestTerminate("prod")
	e.slack.FailMethod("chat.update", fakeslack.Fault{Status: 429, RetryAfter: 1, Times: 2})
	e.click(bob, card.TS, messages.ActionApprove, "T-1")
	done := e.waitCard(card.TS, "is terminated")
	if n := len(e.patches(prodID)); n != 1 {
		t.Errorf("%d PATCHes, want 1", n)
	}
	e.assertOneMessage("is terminated")
	if strings.Contains(versionsText(done), "failed") {
		t.Errorf("the card read failed on the way: %s", versionsText(done))
	}
	e.waitLog("slack web api: retrying", "chat.update")
}

func TestSlackServerErrorsAreRetried(t *testing.T) {
	e := newEnv(t)
	e.slack.FailMethod("chat.postMessage", fakeslack.Fault{Status: 503, Times: 2})
	e.slack.FailMethod("chat.postEphemeral", fakeslack.Fault{Status: 502, Times: 1})
	e.command(alice, "pause prod")
	e.channelMessage("Paused")
	e.assertOneMessage("Paused")
	e.command(alice, "status prod")
	e.whisper(alice, 1)
	e.waitLog("slack web api: retrying", "chat.postEphemeral", "HTTP 502")
}

// TestLostPostIsShownFromTheJournal: Slack refuses every post and the
// response_url too, so the pause runs with no message at all; once Slack
// is back, the message is posted from the journal, once.
func TestLostPostIsShownFromTheJournal(t *testing.T) {
	e := newEnv(t)
	e.slack.FailMethod("chat.postMessage", fakeslack.Fault{Status: 500})
	e.slack.FailMethod(fakeslack.ResponseURLMethod, fakeslack.Fault{Status: 404, Error: "expired_url"})
	e.command(alice, "pause prod maintenance")
	e.waitAdmin("the pause", func() bool { return len(e.patches(prodID)) == 1 })
	e.waitLog("response_url post failed too", `"op":1`)
	e.logs.waitFor(t, "the outcome's post to fail too", func(s string) bool {
		return strings.Count(s, "response_url post failed too") >= 2
	})
	if n := len(e.slack.Messages(channel)); n != 0 {
		t.Fatalf("%d messages while Slack refused every post", n)
	}
	e.slack.ClearFaults()
	e.advance(e.lease() + 10*time.Second)
	m := e.channelMessage("Paused")
	if !strings.Contains(readable(m.Blocks), "maintenance") {
		t.Errorf("the healed message lacks the reason:\n%s", readable(m.Blocks))
	}
	e.advance(e.lease())
	e.assertOneMessage("Paused")
	if n := len(e.patches(prodID)); n != 1 {
		t.Errorf("%d PATCHes, want 1", n)
	}
}

// TestLostCardIsPostedFromTheJournal: a request whose card could not be
// posted is not lost: the card is posted once Slack is back, and works.
func TestLostCardIsPostedFromTheJournal(t *testing.T) {
	e := newEnv(t)
	e.slack.FailMethod("chat.postMessage", fakeslack.Fault{Status: 500})
	e.slack.FailMethod(fakeslack.ResponseURLMethod, fakeslack.Fault{Status: 404, Error: "expired_url"})
	e.command(alice, "terminate prod oplog rolled over")
	e.waitLog("response_url post failed too")
	e.slack.ClearFaults()
	e.advance(e.lease() + 10*time.Second)
	card := e.channelMessage("asks to terminate")
	e.click(bob, card.TS, messages.ActionApprove, "T-1")
	e.waitCard(card.TS, "is terminated")
	e.assertOneMessage("is terminated")
}

func TestSilentSocketIsReplaced(t *testing.T) {
	e := newEnvWithoutBot(t)
	e.opts.SlackPingTimeout = 3 * time.Second // the fake pings every second
	e.start()
	tickets := e.slack.Tickets()
	e.slack.GoSilent()
	e.wait("a new connection", func() bool { return e.slack.Tickets() > tickets && e.slack.Connections() == 1 })
	e.command(alice, "status prod")
	if got := e.whisper(alice, 1); !strings.Contains(got, "`enabled` (running)") {
		t.Errorf("status over the new connection:\n%s", got)
	}
	e.waitLog("socket mode connected", `"connection":2`)
}

// TestAdminServerErrorThenSuccess: a 503 on the read, then on the PATCH;
// each is retried (the PATCH only after a read shows it did not happen),
// and the pause happens once.
func TestAdminServerErrorThenSuccess(t *testing.T) {
	e := newEnv(t)
	e.admin.Inject(fakeadmin.Fault{Method: "GET", PathContains: prodID + "/services/", Status: 503, Times: 1, Body: `{"error":"service temporarily unavailable"}`})
	e.admin.Inject(fakeadmin.Fault{Method: "PATCH", PathContains: prodID, Status: 503, Times: 1, Body: `{"error":"service temporarily unavailable"}`})
	e.command(alice, "pause prod")
	e.advanceParked(3, 10*time.Second) // the read's backoff (the sweeper and the op's lease renewal wait too)
	e.advanceParked(3, 10*time.Second) // the PATCH's, before reading back
	m := e.channelMessage("Paused")
	if n := len(e.patches(prodID)); n != 1 {
		t.Errorf("%d PATCHes applied, want 1", n)
	}
	if strings.Contains(versionsText(m), "failed") {
		t.Errorf("the message read failed on the way: %s", versionsText(m))
	}
	if got := e.adminCalls(); !strings.Contains(got, "GET config 503") || strings.Count(got, "PATCH config") != 2 || !strings.Contains(got, "PATCH config 503") {
		t.Errorf("calls: %s; want a 503 on the read and on the first of two PATCHes", got)
	}
	e.assertOneMessage("Paused")
}

// adminCalls lists the Admin API calls on prod's config as "METHOD config
// STATUS", in order.
func (e *env) adminCalls() string {
	var out []string
	for _, c := range e.admin.Calls() {
		if strings.Contains(c.Path, prodID) && strings.HasSuffix(c.Path, "/config") {
			out = append(out, fmt.Sprintf("%s config %d", c.Method, c.Status))
		}
	}
	return strings.Join(out, ", ")
}

// TestAdminPatchTimeoutIsReadBack: the PATCH is applied, then its answer
// never comes (SYNC_ADMIN_TIMEOUT runs out); reading the state back shows it
// happened, so nothing is sent again and the operation succeeds, once.
func TestAdminPatchTimeoutIsReadBack(t *testing.T) {
	e := newEnv(t, func(c *configT) { c.AdminTimeout = time.Second })
	e.admin.Inject(fakeadmin.Fault{Method: "PATCH", PathContains: prodID, ApplyFirst: true, Stall: true, Times: 1})
	e.command(alice, "pause prod")
	e.advanceParked(3, 10*time.Second) // the wait before reading back
	m := e.channelMessage("Paused")
	if n := len(e.patches(prodID)); n != 1 {
		t.Errorf("%d PATCHes, want 1", n)
	}
	if s, _ := e.admin.SyncState(group, prodID); s != "disabled" {
		t.Errorf("state = %q", s)
	}
	if strings.Contains(versionsText(m), "failed") {
		t.Errorf("the message read failed on the way: %s", versionsText(m))
	}
	e.waitLog("confirmed by reading it back")
	e.assertOneMessage("Paused")
	if got := e.adminCalls(); strings.Count(got, "PATCH config") != 1 || !strings.Contains(got, "PATCH config 0") {
		t.Errorf("calls: %s; want one PATCH, unanswered", got)
	}
}

// TestAdminTerminateAnswerLostIsReadBack: an approved terminate whose PATCH
// is applied but whose answer is lost (the connection drops) ends once,
// terminated, and is never sent twice.
func TestAdminTerminateAnswerLostIsReadBack(t *testing.T) {
	e := newEnv(t)
	card := e.requestTerminate("prod")
	e.admin.Inject(fakeadmin.Fault{Method: "PATCH", PathContains: prodID, ApplyFirst: true, Status: 0, Times: 1})
	e.click(bob, card.TS, messages.ActionApprove, "T-1")
	e.advanceParked(3, 10*time.Second)
	done := e.waitCard(card.TS, "is terminated")
	if n := len(e.patches(prodID)); n != 1 {
		t.Errorf("%d PATCHes, want 1", n)
	}
	if strings.Contains(versionsText(done), "failed") {
		t.Errorf("the card read failed on the way: %s", versionsText(done))
	}
	e.assertOneMessage("is terminated")
	if got := e.adminCalls(); strings.Count(got, "PATCH config") != 1 || !strings.Contains(got, "PATCH config 0") {
		t.Errorf("calls: %s; want one PATCH, its answer lost", got)
	}
}
