package app_test

import (
	"strings"
	"testing"
)

// TestListsOutsideOperationsChannelsHideReasons: with SYNC_CHANNELS set,
// pending and history answered in another channel leave the reasons out
// (and say so); in an operations channel they show them.
func TestListsOutsideOperationsChannelsHideReasons(t *testing.T) {
	e := newEnv(t, func(c *configT) { c.Channels = []string{channel} })
	const reason = "customer acme leaked data"
	e.command(alice, "terminate prod "+reason)
	e.channelMessage("asks to terminate")

	n := 0
	for _, verb := range []string{"pending", "history", "pending prod"} {
		e.commandIn("CRANDOM", "", "", bob, verb)
		n++
		if got := e.whisper(bob, n); strings.Contains(got, "acme") || !strings.Contains(got, "Reasons are shown only in the channels") {
			t.Errorf("%s elsewhere shows the reason or does not say it is hidden:\n%s", verb, got)
		}
		e.command(bob, verb)
		n++
		if got := e.whisper(bob, n); !strings.Contains(got, reason) {
			t.Errorf("%s in the operations channel hides the reason:\n%s", verb, got)
		}
	}
}
