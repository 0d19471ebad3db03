package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/fakeslack"
	"github.com/syncbot/syncbot/internal/messages"
)

// TestChangeFallsBackToResponseURLWhereTheBotCannotPost: in a private
// channel the bot was not invited to, chat.postMessage fails; the change and
// its outcome still reach the channel through the command's response_url.
func TestChangeFallsBackToResponseURLWhereTheBotCannotPost(t *testing.T) {
	e := newEnv(t)
	e.slack.FailMethod("chat.postMessage", fakeslack.Fault{Error: "not_in_channel"})
	e.command(alice, "pause prod")
	var final fakeslack.ResponsePost
	e.wait("the outcome through response_url", func() bool {
		for _, p := range e.slack.ResponsePosts() {
			if strings.Contains(p.Text, "Paused") {
				final = p
				return true
			}
		}
		return false
	})
	if final.ResponseType != "in_channel" {
		t.Errorf("response_type = %q, want in_channel", final.ResponseType)
	}
	if s, _ := e.admin.SyncState(group, prodID); s != "disabled" {
		t.Errorf("state = %q", s)
	}
	if n := len(e.patches(prodID)); n != 1 {
		t.Errorf("%d PATCHes", n)
	}
}

// TestPauseToldInPlainTextWhenSlackRefusesBlocks: with Slack refusing
// every message with blocks in the channel, a pause still tells the
// channel, start and outcome, in plain text; nothing is posted twice.
func TestPauseToldInPlainTextWhenSlackRefusesBlocks(t *testing.T) {
	e := newEnv(t)
	e.slack.RefuseBlocks(channel)
	e.command(alice, "pause prod cluster upgrade")
	m := e.channelMessage("Paused sync for prod")
	if len(m.Blocks) != 0 && string(m.Blocks) != "[]" {
		t.Errorf("blocks went through a refusing channel: %s", m.Blocks)
	}
	if s, _ := e.admin.SyncState(group, prodID); s != "disabled" || len(e.patches(prodID)) != 1 {
		t.Errorf("state %q after %d PATCHes", s, len(e.patches(prodID)))
	}
	if n := len(e.slack.Messages(channel)); n != 1 {
		t.Errorf("%d channel messages, want the one, updated", n)
	}
}

// TestApprovedCardUpdatedWhereTheBotIsNotInTheChannel: in a private
// channel the bot is not in, the card goes out through the command's
// response_url and chat.update cannot touch it; after Approve, the card is
// replaced through the click's response_url: it shows the outcome and has
// no live buttons.
func TestApprovedCardUpdatedWhereTheBotIsNotInTheChannel(t *testing.T) {
	e := newEnv(t)
	e.slack.FailMethod("chat.postMessage", fakeslack.Fault{Error: "not_in_channel"})
	e.slack.FailMethod("chat.update", fakeslack.Fault{Error: "channel_not_found"})
	card := e.requestTerminate("prod")
	if !card.FromResponseURL {
		t.Fatalf("the card was not posted through response_url: %+v", card)
	}
	e.click(bob, card.TS, messages.ActionApprove, "T-1")
	m := e.waitCard(card.TS, "is terminated")
	if strings.Contains(string(m.Blocks), `"actions"`) {
		t.Errorf("the final card still has buttons: %s", m.Blocks)
	}
	if s, _ := e.admin.SyncState(group, prodID); s != "" || len(e.patches(prodID)) != 1 {
		t.Errorf("sync %q after %d PATCHes", s, len(e.patches(prodID)))
	}
	for _, p := range e.slack.ResponsePosts() {
		if p.ReplaceOriginal && p.ResponseType == "in_channel" {
			t.Errorf("a replacement was also posted as a new message: %+v", p)
		}
	}
}

// TestOutcomeReachesThePeopleWhenTheChannelCannot: the channel refuses
// every post (archived) and the response_url fails too; the pause still
// runs, and its outcome reaches the person who asked, in their direct
// messages with syncbot, once, however often the channel is tried again.
func TestOutcomeReachesThePeopleWhenTheChannelCannot(t *testing.T) {
	e := newEnv(t)
	e.slack.FailChannel(channel, "is_archived")
	e.slack.FailMethod(fakeslack.ResponseURLMethod, fakeslack.Fault{Status: 404})
	e.command(alice, "pause prod cluster upgrade")
	e.wait("the outcome in alice's direct messages", func() bool {
		for _, m := range e.slack.Messages(alice) {
			if strings.Contains(m.Text, "Paused sync for prod") {
				return true
			}
		}
		return false
	})
	if s, _ := e.admin.SyncState(group, prodID); s != "disabled" {
		t.Errorf("sync is %q", s)
	}
	e.advance(5 * time.Minute) // the healing sweep tries the channel again
	e.advance(5 * time.Minute)
	if n := len(e.slack.Messages(alice)); n != 1 {
		t.Errorf("%d direct messages to alice, want 1", n)
	}
	if n := len(e.slack.Messages(channel)); n != 0 {
		t.Errorf("%d messages in a channel that refuses every post", n)
	}
}
