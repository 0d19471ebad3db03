package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/fakeslack"
	"github.com/syncbot/syncbot/internal/messages"
)

// Who may do what (SYNC_OPERATORS, SYNC_CHANNELS, SYNC_APPROVERS with user
// groups, SYNC_SLACK_TEAM_ID, SYNC_SLACK_APP_ID, Slack Connect clickers):
// each rule has a case it allows and one it refuses, with the refusal's
// words, and a refusal changes nothing.

// assertNothingChanged fails if any PATCH was sent or anything was posted
// in the channel.
func (e *env) assertNothingChanged() {
	e.t.Helper()
	if n := len(e.admin.Patches()); n != 0 {
		e.t.Errorf("%d PATCHes after a refusal", n)
	}
	if ms := e.slack.Messages(""); len(ms) != 0 {
		e.t.Errorf("%d channel messages after a refusal, first %q", len(ms), ms[0].Text)
	}
}

func TestOperatorsMayChangeOthersMayOnlyLook(t *testing.T) {
	e := newEnv(t, func(c *configT) { c.Operators = []string{alice} })

	e.command(bob, "pause prod upgrade")
	want := "Only syncbot's operators may pause, resume or terminate sync, and you are not one of them, so you cannot pause *prod*. Operators: <@UALICE>. Nothing was done; `/sync status`, `history`, `pending` and `help` are open to everyone."
	if got := e.whisper(bob, 1); !strings.Contains(got, want) {
		t.Errorf("non-operator pause:\n%s\nwant %q", got, want)
	}
	e.command(bob, "terminate prod it is broken")
	if got := e.whisper(bob, 2); !strings.Contains(got, "so you cannot terminate *prod*") {
		t.Errorf("non-operator terminate:\n%s", got)
	}
	e.command(bob, "resume staging")
	if got := e.whisper(bob, 3); !strings.Contains(got, "so you cannot resume *staging*") {
		t.Errorf("non-operator resume:\n%s", got)
	}
	e.assertNothingChanged()

	// Read-only commands stay open to everyone.
	for i, c := range []struct{ text, want string }{
		{"status prod", "`enabled` (running)"},
		{"history", "Recent operations"},
		{"pending", "No terminate request is waiting"},
		{"help", "controls Atlas Device Sync"},
	} {
		e.command(bob, c.text)
		if got := e.whisper(bob, 4+i); !strings.Contains(got, c.want) {
			t.Errorf("%s by a non-operator:\n%s", c.text, got)
		}
	}

	e.command(alice, "pause prod upgrade")
	e.channelMessage("Paused")
	if n := len(e.patches(prodID)); n != 1 {
		t.Errorf("%d PATCHes after an operator's pause, want 1", n)
	}
}

func TestOperatorsByUserGroup(t *testing.T) {
	e := newEnv(t, func(c *configT) { c.Operators = []string{"SONCALL"} })
	e.slack.SetUsergroup("SONCALL", []string{alice})

	e.command(alice, "pause prod")
	e.channelMessage("Paused")
	e.command(bob, "resume prod")
	if got := e.whisper(bob, 1); !strings.Contains(got, "Operators: <!subteam^SONCALL>.") {
		t.Errorf("non-member:\n%s", got)
	}

	// Once the remembered membership is stale, a failing lookup refuses
	// even a member: syncbot cannot tell, so it does not allow.
	e.advance(6 * time.Minute)
	e.slack.FailMethod("usergroups.users.list", fakeslack.Fault{Error: "missing_scope"})
	e.command(alice, "resume prod")
	want := "I could not check whether you may resume *prod*: I could not find out who is in <!subteam^SONCALL> (Slack answered `missing_scope`: syncbot needs the `usergroups:read` scope). Nothing was done; try again in a moment."
	if got := e.whisper(alice, 1); !strings.Contains(got, want) {
		t.Errorf("failed lookup:\n%s\nwant %q", got, want)
	}
	if n := len(e.patches(prodID)); n != 1 {
		t.Errorf("%d PATCHes, want only the pause", n)
	}
	e.slack.ClearFaults()
	e.command(alice, "resume prod")
	e.channelMessage("Resumed")
}

func TestChangesOnlyInOperationsChannels(t *testing.T) {
	e := newEnv(t, func(c *configT) { c.Channels = []string{channel, "COPS2"} })

	e.commandIn("CRANDOM", "", "", alice, "pause prod")
	want := "Sync changes are asked for only in <#COPS> or <#COPS2>, where the people on call see them. Nothing was done; run `/sync pause prod` there."
	if got := e.whisper(alice, 1); !strings.Contains(got, want) {
		t.Errorf("change elsewhere:\n%s\nwant %q", got, want)
	}
	e.commandIn("CRANDOM", "", "", alice, "terminate prod --break-glass no time")
	if got := e.whisper(alice, 2); !strings.Contains(got, "run `/sync terminate prod` there") {
		t.Errorf("break-glass elsewhere:\n%s", got)
	}
	e.assertNothingChanged()

	e.commandIn("CRANDOM", "", "", alice, "status prod")
	if got := e.whisper(alice, 3); !strings.Contains(got, "`enabled` (running)") {
		t.Errorf("status elsewhere:\n%s", got)
	}
	e.command(alice, "pause prod")
	e.channelMessage("Paused")
}

func TestApproversByUserGroup(t *testing.T) {
	e := newEnv(t, func(c *configT) { c.Approvers = []string{"SAPPROVE"} })
	e.slack.SetUsergroup("SAPPROVE", []string{carol})
	card := e.requestTerminate("prod")

	// A lookup that fails refuses the click rather than approving.
	e.slack.FailMethod("usergroups.users.list", fakeslack.Fault{Error: "ratelimited", Times: 1})
	e.click(carol, card.TS, messages.ActionApprove, "T-1")
	want := "I could not check whether you may approve T-1: I could not find out who is in <!subteam^SAPPROVE> (Slack answered `ratelimited`). Nothing changed; try again in a moment."
	if got := e.whisper(carol, 1); !strings.Contains(got, want) {
		t.Errorf("failed lookup:\n%s\nwant %q", got, want)
	}
	if m := e.card(card.TS); !strings.Contains(m.Text, "asks to terminate") || len(e.admin.Patches()) != 0 {
		t.Fatalf("a click whose approver could not be checked changed something: %q", m.Text)
	}

	e.click(bob, card.TS, messages.ActionApprove, "T-1")
	if got := e.whisper(bob, 1); !strings.Contains(got, "Only these people may approve or deny terminate requests: <!subteam^SAPPROVE>. Nothing changed.") {
		t.Errorf("non-member:\n%s", got)
	}
	e.click(carol, card.TS, messages.ActionApprove, "T-1")
	e.waitCard(card.TS, "is terminated")
	if n := len(e.patches(prodID)); n != 1 {
		t.Errorf("%d PATCHes, want 1", n)
	}
}

func TestEnvelopesFromElsewhereAreIgnored(t *testing.T) {
	e := newEnv(t, func(c *configT) { c.SlackTeamID, c.SlackAppID = fakeslack.DefaultTeamID, fakeslack.DefaultAPIAppID })

	e.commandIn(channel, "TOTHER", "", alice, "pause prod")
	e.waitLog("command ignored: it comes from another Slack workspace than SYNC_SLACK_TEAM_ID", `"team_id":"TOTHER"`)
	e.commandIn(channel, "", "AOTHER", alice, "pause prod")
	e.waitLog("command ignored: it is addressed to another Slack app than SYNC_SLACK_APP_ID", `"api_app_id":"AOTHER"`)
	if n := e.ephemeralCount(alice); n != 0 {
		t.Errorf("%d answers to envelopes from elsewhere", n)
	}
	e.assertNothingChanged()

	// The configured workspace and app are served.
	card := e.requestTerminate("prod")

	// A click whose envelope comes from another workspace is ignored too.
	if _, err := e.slack.Click(fakeslack.Click{UserID: bob, ChannelID: channel, MessageTS: card.TS, ActionID: messages.ActionApprove, Value: "T-1", TeamID: "TOTHER"}); err != nil {
		t.Fatal(err)
	}
	e.waitLog("click ignored: it comes from another Slack workspace")
	if n := e.ephemeralCount(bob); n != 0 || len(e.admin.Patches()) != 0 {
		t.Errorf("a click from elsewhere was answered (%d) or acted on", n)
	}
	e.click(bob, card.TS, messages.ActionApprove, "T-1")
	e.waitCard(card.TS, "is terminated")
}

// TestSlackConnectClickersAreRefused: in a channel shared with another
// organisation, its people see the card, but their clicks decide nothing,
// with or without SYNC_SLACK_TEAM_ID.
func TestSlackConnectClickersAreRefused(t *testing.T) {
	for name, team := range map[string]string{"workspace configured": fakeslack.DefaultTeamID, "workspace from the envelope": ""} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, func(c *configT) { c.SlackTeamID = team })
			card := e.requestTerminate("prod")
			for i, act := range []string{messages.ActionApprove, messages.ActionDeny} {
				id, err := e.slack.Click(fakeslack.Click{UserID: "UEXT", UserName: "ext", UserTeamID: "TPARTNER", ChannelID: channel, MessageTS: card.TS, ActionID: act, Value: "T-1"})
				if err != nil {
					t.Fatal(err)
				}
				e.waitAck(id)
				want := "You are signed in to another Slack workspace, so you cannot approve, deny or review anything here: only members of the workspace syncbot serves can. Nothing changed."
				if got := e.whisper("UEXT", i+1); !strings.Contains(got, want) {
					t.Errorf("%s by an outsider:\n%s", act, got)
				}
			}
			if m := e.card(card.TS); !strings.Contains(m.Text, "asks to terminate") || len(e.admin.Patches()) != 0 {
				t.Fatalf("an outsider's click changed something: %q", m.Text)
			}
			e.click(bob, card.TS, messages.ActionApprove, "T-1") // a member of the workspace
			e.waitCard(card.TS, "is terminated")
		})
	}
}
