package messages_test

import (
	"strings"
	"time"

	"testing"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/blocklimits"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
)

// withinLimits fails t if Slack would refuse m.
func withinLimits(t *testing.T, name string, m messages.Message) {
	t.Helper()
	if err := blocklimits.Marshal(m.Text, m.Blocks); err != nil {
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

// TestHistoryCutsOutcomesBetweenUnits: an outcome too long for its row is
// cut outside any code span and entity.
func TestHistoryCutsOutcomesBetweenUnits(t *testing.T) {
	for n := 100; n < 200; n++ {
		op := baseOp(store.Pause, store.Failed)
		op.Reason, op.Outcome = "", strings.Repeat("x", n)+" Sync is still `enabled` (running) &amp; `disabled` was not sent; "+strings.Repeat("y", 200)
		m := book.History("prod", []store.Op{op})
		row := m.Blocks[1].(*slack.SectionBlock).Text.Text
		if strings.Count(row, "`")%2 != 0 {
			t.Fatalf("an open code span: %q", row[len(row)-60:])
		}
		if i := strings.LastIndexByte(row, '&'); i >= 0 && !strings.Contains(row[i:], ";") {
			t.Fatalf("half an entity: %q", row[len(row)-60:])
		}
	}
}
