package messages_test

import (
	"strings"
	"time"

	"testing"

	"github.com/syncbot/syncbot/internal/blockkit"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
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

// manyOps is n operations of state on alternating apps, newest first; a
// break-glass terminate when state is succeeded.
func manyOps(n int, state store.State) []store.Op {
	ops := make([]store.Op, n)
	for i := range ops {
		op := baseOp(store.Terminate, state)
		op.ID, op.App = int64(100+n-i), []string{"prod", "staging"}[i%2]
		op.CreatedAt = t0.Add(-time.Duration(i) * time.Minute)
		op.Reason = strings.Repeat("<&>", 160)
		if state == store.Succeeded {
			op.BreakGlass = true
		}
		ops[i] = op
	}
	return ops
}
