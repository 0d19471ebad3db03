package app_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/fakeslack"
	"github.com/syncbot/syncbot/internal/messages"
)

// requestTerminate asks for a terminate of prod as alice and returns the card.
func (e *env) requestTerminate(app string) fakeslack.Message {
	e.t.Helper()
	e.command(alice, "terminate "+app+" oplog rolled over <!channel>")
	return e.channelMessage("asks to terminate")
}

func (e *env) card(ts string) fakeslack.Message {
	e.t.Helper()
	m, ok := e.slack.Message(channel, ts)
	if !ok {
		e.t.Fatalf("no message %s", ts)
	}
	return m
}

// waitCard waits until the card's text contains want.
func (e *env) waitCard(ts, want string) fakeslack.Message {
	e.t.Helper()
	var m fakeslack.Message
	e.wait("card to read "+want, func() bool {
		m, _ = e.slack.Message(channel, ts)
		return strings.Contains(m.Text, want)
	})
	return m
}

func TestTerminateApproved(t *testing.T) {
	e := newEnv(t)
	card := e.requestTerminate("prod")
	blocks := readable(card.Blocks)
	for _, want := range []string{"T-1", "<@UALICE>", "&lt;!channel&gt;", "`enabled` (running)", "client reset", "history", "Expires", "Approve", "Deny", `"confirm"`} {
		if !strings.Contains(blocks, want) {
			t.Errorf("card lacks %q:\n%s", want, blocks)
		}
	}
	if strings.Contains(blocks, "<!channel>") {
		t.Error("the reason's <!channel> is live on the card")
	}
	if n := len(e.admin.Patches()); n != 0 {
		t.Fatalf("%d PATCHes before approval", n)
	}
	before := e.admin.SyncObject(group, prodID)
	e.click(bob, card.TS, messages.ActionApprove, "T-1")
	done := e.waitCard(card.TS, "is terminated")
	if !strings.Contains(readable(done.Blocks), "Approved by <@UBOB>") || !strings.Contains(readable(done.Blocks), "client reset") {
		t.Errorf("finished card:\n%s", done.Blocks)
	}
	if strings.Contains(readable(done.Blocks), `"actions"`) {
		t.Error("finished card still has buttons")
	}
	ps := e.patches(prodID)
	if len(ps) != 1 {
		t.Fatalf("%d PATCHes, want 1", len(ps))
	}
	assertOnlyStateChanged(t, before, syncObject(t, ps[0].Body, "flexible_sync"), "")
	if s, _ := e.admin.SyncState(group, prodID); s != "" {
		t.Errorf("state = %q after terminate", s)
	}
	// The card went through approved → running → done.
	var seen []string
	for _, v := range done.Versions {
		seen = append(seen, v.Text)
	}
	all := strings.Join(seen, "|")
	for _, want := range []string{"asks to terminate", "approved; terminating", "is terminated"} {
		if !strings.Contains(all, want) {
			t.Errorf("card never read %q: %s", want, all)
		}
	}

	// Resume after terminate re-sends the saved object with state enabled.
	e.command(carol, "resume prod")
	e.channelMessage("Re-enabled")
	ps = e.patches(prodID)
	if len(ps) != 2 {
		t.Fatalf("%d PATCHes, want 2", len(ps))
	}
	assertOnlyStateChanged(t, before, syncObject(t, ps[1].Body, "flexible_sync"), "enabled")
}

func TestTerminateDenied(t *testing.T) {
	e := newEnv(t)
	card := e.requestTerminate("prod")
	e.click(bob, card.TS, messages.ActionDeny, "T-1")
	m := e.waitCard(card.TS, "denied")
	if !strings.Contains(readable(m.Blocks), "<@UBOB>") {
		t.Errorf("denied card does not say by whom:\n%s", m.Blocks)
	}
	e.click(carol, card.TS, messages.ActionApprove, "T-1")
	if got := e.whisper(carol, 1); !strings.Contains(got, "already denied") {
		t.Errorf("late approve:\n%s", got)
	}
	if n := len(e.admin.Patches()); n != 0 {
		t.Errorf("%d PATCHes after deny", n)
	}
}

func TestTerminateCancelledByRequester(t *testing.T) {
	e := newEnv(t)
	card := e.requestTerminate("prod")
	e.click(alice, card.TS, messages.ActionDeny, "T-1")
	e.waitCard(card.TS, "withdrawn")
	card2 := e.requestTerminate("legacy")
	e.command(bob, "cancel T-2")
	if got := e.whisper(bob, 1); !strings.Contains(got, "Only <@UALICE>") {
		t.Errorf("cancel by another:\n%s", got)
	}
	e.command(alice, "cancel T-2")
	e.waitCard(card2.TS, "withdrawn")
	if n := len(e.admin.Patches()); n != 0 {
		t.Errorf("%d PATCHes", n)
	}
}

func TestSelfApprovalAndNonApproverRefused(t *testing.T) {
	e := newEnv(t, func(c *configT) { c.Approvers = []string{carol} })
	card := e.requestTerminate("prod")
	e.click(alice, card.TS, messages.ActionApprove, "T-1")
	if got := e.whisper(alice, 1); !strings.Contains(got, "someone else must approve") {
		t.Errorf("self approval:\n%s", got)
	}
	e.click(bob, card.TS, messages.ActionApprove, "T-1")
	if got := e.whisper(bob, 1); !strings.Contains(got, "Only these people may approve or deny") || !strings.Contains(got, "<@UCAROL>") {
		t.Errorf("non-approver:\n%s", got)
	}
	if m := e.card(card.TS); !strings.Contains(m.Text, "asks to terminate") {
		t.Errorf("card changed after refused clicks: %s", m.Text)
	}
	e.click(carol, card.TS, messages.ActionApprove, "T-1")
	e.waitCard(card.TS, "is terminated")
	if n := len(e.admin.Patches()); n != 1 {
		t.Errorf("%d PATCHes", n)
	}
}

func TestTerminateExpires(t *testing.T) {
	e := newEnv(t)
	card := e.requestTerminate("prod")
	e.clock.Advance(16 * time.Minute) // the sweeper runs on this clock
	m := e.waitCard(card.TS, "expired")
	if strings.Contains(readable(m.Blocks), `"actions"`) {
		t.Error("expired card still has buttons")
	}
	e.click(bob, card.TS, messages.ActionApprove, "T-1")
	if got := e.whisper(bob, 1); !strings.Contains(got, "already expired") {
		t.Errorf("click after expiry:\n%s", got)
	}
	if n := len(e.admin.Patches()); n != 0 {
		t.Errorf("%d PATCHes", n)
	}
}

func TestDoubleApproveRaceRunsOnce(t *testing.T) {
	e := newEnv(t)
	card := e.requestTerminate("prod")
	release := e.admin.Hold() // both clicks land before any Admin API answer
	var wg sync.WaitGroup
	for _, u := range []string{bob, carol, bob} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.slack.Click(fakeslack.Click{UserID: u, ChannelID: channel, MessageTS: card.TS, ActionID: messages.ActionApprove, BlockID: "decision", Value: "T-1"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	e.wait("two refusals", func() bool { return e.ephemeralCount(bob)+e.ephemeralCount(carol) == 2 })
	release()
	e.waitCard(card.TS, "is terminated")
	if n := len(e.patches(prodID)); n != 1 {
		t.Fatalf("%d PATCHes from three approvals, want 1", n)
	}
}

func TestStateChangedSinceTheCardIsRefused(t *testing.T) {
	e := newEnv(t)
	card := e.requestTerminate("prod")
	e.command(carol, "pause prod")
	e.channelMessage("Paused")
	e.click(bob, card.TS, messages.ActionApprove, "T-1")
	m := e.waitCard(card.TS, "failed")
	if !strings.Contains(readable(m.Blocks), "changed since the request") {
		t.Errorf("card:\n%s", m.Blocks)
	}
	if n := len(e.patches(prodID)); n != 1 {
		t.Errorf("%d PATCHes, want only the pause", n)
	}
}

func TestTerminateOfTerminatedIsRefused(t *testing.T) {
	e := newEnv(t)
	card := e.requestTerminate("prod")
	e.click(bob, card.TS, messages.ActionApprove, "T-1")
	e.waitCard(card.TS, "is terminated")
	e.command(alice, "terminate prod again please")
	if got := e.whisper(alice, 1); !strings.Contains(got, "already terminated") {
		t.Errorf("reply:\n%s", got)
	}
	e.command(alice, "pause prod")
	if got := e.whisper(alice, 2); !strings.Contains(got, "nothing to pause") {
		t.Errorf("reply:\n%s", got)
	}
}

func TestPendingRequestSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	card := e.requestTerminate("prod")
	e.restart()
	e.command(carol, "pending")
	if got := e.whisper(carol, 1); !strings.Contains(got, "T-1") {
		t.Errorf("pending after restart:\n%s", got)
	}
	e.click(bob, card.TS, messages.ActionApprove, "T-1")
	e.waitCard(card.TS, "is terminated")
	if n := len(e.patches(prodID)); n != 1 {
		t.Errorf("%d PATCHes", n)
	}
	e.command(carol, "history prod")
	if got := e.whisper(carol, 2); !strings.Contains(got, "T-1") || !strings.Contains(got, "succeeded") {
		t.Errorf("history:\n%s", got)
	}
}
