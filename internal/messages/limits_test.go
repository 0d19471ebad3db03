package messages_test

import (
	"testing"

	"github.com/syncbot/syncbot/internal/blockkit"
	"github.com/syncbot/syncbot/internal/messages"
)

// withinLimits fails t if Slack would refuse m.
func withinLimits(t *testing.T, name string, m messages.Message) {
	t.Helper()
	if err := blockkit.Marshal(m.Text, m.Blocks); err != nil {
		t.Errorf("%s: Slack would refuse it: %v", name, err)
	}
}

// TestGoldenWithinSlackLimits: every message of every golden file is one
// Slack accepts.
func TestGoldenWithinSlackLimits(t *testing.T) {
	for name, m := range goldenCases() {
		withinLimits(t, name, m)
	}
}
