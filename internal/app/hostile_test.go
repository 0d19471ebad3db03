package app_test

import (
	"strings"
	"testing"

	"github.com/syncbot/syncbot/internal/messages"
)

// Hostile text: what users type arrives HTML-escaped from Slack, is
// unescaped once to be read and escaped once to be shown, so mentions,
// broadcasts and links in it show as typed, never live, never as &amp;lt;.
// Nothing but the verb and the app decides what happens.

// live are mrkdwn sequences that must never come from user text.
var live = []string{"<!channel>", "<@UEVE>", "<http://evil|Approve>", "&amp;lt;", "&amp;gt;"}

func assertInert(t *testing.T, what, shown string) {
	t.Helper()
	for _, bad := range live {
		if strings.Contains(shown, bad) {
			t.Errorf("%s shows %q live or escaped twice:\n%s", what, bad, shown)
		}
	}
}

func TestHostileReasonsAreInertAndChangeNothing(t *testing.T) {
	e := newEnv(t)
	before := e.admin.SyncObject(group, prodID)
	e.command(alice, "pause prod <!channel> <@UEVE> <http://evil|Approve> & NUL\x00here\x1b[31m")
	m := e.channelMessage("Paused")
	for _, v := range m.Versions {
		assertInert(t, "the pause message", v.Text+"\n"+readable(v.Blocks))
	}
	if want := "*Reason*\\n&lt;!channel&gt; &lt;@UEVE&gt; &lt;http://evil|Approve&gt; &amp; NULhere[31m"; !strings.Contains(readable(m.Blocks), want) {
		t.Errorf("the reason is not shown as typed (want %q):\n%s", want, readable(m.Blocks))
	}
	ps := e.patches(prodID)
	if len(ps) != 1 {
		t.Fatalf("%d PATCHes, want 1", len(ps))
	}
	assertOnlyStateChanged(t, before, syncObject(t, ps[0].Body, "flexible_sync"), "disabled")

	// A card with a spoofed Approve link in its reason: inert, and its real
	// buttons still do exactly what they say. The "&amp;lt;" typed shows as
	// typed: escaped once more than it came, which is once.
	e.command(alice, "terminate legacy <http://evil|Approve> <!channel> \x00 &amp;lt;")
	card := e.channelMessage("asks to terminate")
	assertInert(t, "the card", card.Text+"\n"+readable(card.Blocks))
	if want := "*Reason:* &lt;http://evil|Approve&gt; &lt;!channel&gt; &amp;amp;lt;"; !strings.Contains(readable(card.Blocks), want) {
		t.Errorf("the reason is not shown as typed (want %q):\n%s", want, readable(card.Blocks))
	}
	e.click(bob, card.TS, messages.ActionDeny, "T-2")
	e.waitCard(card.TS, "denied")
	if n := len(e.patches(legacyID)); n != 0 {
		t.Errorf("%d PATCHes of legacy after a deny", n)
	}
	e.command(carol, "pending")
	e.command(carol, "history")
	for i := 1; i <= 2; i++ {
		assertInert(t, "pending and history", e.whisper(carol, i))
	}
}

func TestOverlongReasonIsRefused(t *testing.T) {
	e := newEnv(t)
	e.command(alice, "terminate prod "+strings.Repeat("<!channel> ", 1000)[:10000])
	got := e.whisper(alice, 1)
	if !strings.Contains(got, "That reason is 10000 characters long; keep it under 500.") {
		t.Errorf("reply to a 10 000-character reason:\n%s", got)
	}
	assertInert(t, "the refusal", got)
	e.assertNothingChanged()
}

// TestUsageMessagesEchoUserWordsInert: what a usage message quotes back is
// inert too, and so are the help text's placeholders.
func TestUsageMessagesEchoUserWordsInert(t *testing.T) {
	e := newEnv(t)
	for i, c := range []struct{ text, want string }{
		{"<!channel> prod", "I don't know the command `&lt;!channel&gt;`. Try `/sync help`."},
		{"status <http://evil|Approve>", "I don't know an app called `&lt;http://evil|approve&gt;`. Known apps: `prod`, `staging`, `legacy`."},
		{"pause <@UEVE>", "I don't know an app called `&lt;@ueve&gt;`."},
		{"terminate prod", "Terminate needs a reason that approvers will read: `/sync terminate prod &lt;reason…&gt;`."},
		{"pause", "Which app? `/sync pause &lt;app&gt;`."},
		{"help", "`/sync terminate &lt;app&gt; &lt;reason…&gt;`"},
	} {
		e.command(alice, c.text)
		got := e.whisper(alice, i+1)
		if !strings.Contains(got, c.want) {
			t.Errorf("/sync %s:\n%s\nwant %q", c.text, got, c.want)
		}
		assertInert(t, "/sync "+c.text, got)
		if strings.Contains(got, "<app>") || strings.Contains(got, "<reason") {
			t.Errorf("/sync %s: a placeholder is live mrkdwn:\n%s", c.text, got)
		}
	}
	e.assertNothingChanged()
}

// TestUndecodablePayloadsAreAckedAndIgnored: through the whole bot, frames
// slack-go cannot decode are acked (when they carry an envelope id),
// logged, and change nothing; the bot answers the next command as usual.
func TestUndecodablePayloadsAreAckedAndIgnored(t *testing.T) {
	e := newEnv(t)
	tickets := e.slack.Tickets()
	for id, frame := range map[string]string{
		"bad-1": `{"envelope_id":"bad-1","type":"interactive","payload":{"type":"block_actions","is_enterprise_install":"false","actions":[{"action_id":"approve","value":"T-1"}]}}`,
		"bad-2": `{"envelope_id":"bad-2","type":"slash_commands","payload":"terminate prod now"}`,
		"bad-3": `{"envelope_id":"bad-3","type":"interactive","payload":{"type":"block_actions","actions":[{"action_id":"approve","value":"T-1"}]}}`,
		"bad-4": `{"envelope_id":"bad-4","type":"mystery","payload":{}}`,
	} {
		if err := e.slack.SendRaw([]byte(frame)); err != nil {
			t.Fatal(err)
		}
		e.waitAck(id)
	}
	if err := e.slack.SendRaw([]byte(`{"envelope_id":"bad-5",`)); err != nil { // not JSON at all
		t.Fatal(err)
	}
	if err := e.slack.SendRaw([]byte("\x00\xff")); err != nil {
		t.Fatal(err)
	}
	e.command(alice, "status prod")
	if got := e.whisper(alice, 1); !strings.Contains(got, "`enabled` (running)") {
		t.Errorf("status after bad frames:\n%s", got)
	}
	e.waitLog("undecodable envelope acked and ignored", "bad-1")
	if e.slack.Tickets() != tickets {
		t.Error("bad frames cost a reconnect")
	}
	if strings.Contains(e.logs.String(), "panic") {
		t.Errorf("a bad frame panicked:\n%s", e.logs.String())
	}
	if n := e.ephemeralCount(alice) + e.ephemeralCount(bob); n != 1 {
		t.Errorf("%d answers, want only the status", n)
	}
	e.assertNothingChanged()
}
