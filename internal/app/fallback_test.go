package app_test

import (
	"strings"
	"testing"

	"github.com/syncbot/syncbot/internal/fakeslack"
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
