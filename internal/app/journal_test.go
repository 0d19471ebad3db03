package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/fakeslack"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/store/postgres"
	"github.com/syncbot/syncbot/internal/store/sqlite"
)

// openJournal opens the journal a run left behind, to inspect it: the
// PostgreSQL schema of dbURL, else the embedded store in dataDir (whose
// process must be gone: it locks the folder).
func openJournal(t *testing.T, dataDir, dbURL string) store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var (
		st  store.Store
		err error
	)
	if dbURL != "" {
		st, err = postgres.Open(ctx, dbURL, postgres.WithMaxConns(2))
	} else {
		st, err = sqlite.Open(ctx, dataDir)
	}
	if err != nil {
		t.Fatalf("open the journal: %v", err)
	}
	return st
}

func allOps(t *testing.T, st store.Store) []store.Op {
	t.Helper()
	ops, err := st.ListOps(context.Background(), store.Filter{})
	if err != nil {
		t.Fatalf("list ops: %v", err)
	}
	return ops
}

// rendered is what the channel message of op must read once op is final:
// the journal's state, rendered the way the bot renders it.
func rendered(op store.Op) string {
	if op.BreakGlass {
		return messages.New("").BreakGlass(op, nil).Text
	}
	if op.Kind == store.Terminate {
		return messages.New("").Card(op, op.UpdatedAt).Text
	}
	return messages.New("").Change(op).Text
}

// checkJournal asserts what must hold once everything a crash left behind
// has been recovered: every operation is final; its channel message reads
// its final state; no message in the channel belongs to no operation (an
// orphaned "Pausing…" or a second card); no two operations share one; and
// every operation's audit log is a consistent chain. With needMessage every
// operation must have a channel message. It returns the operations, newest
// first.
func checkJournal(t *testing.T, st store.Store, fs *fakeslack.Server, needMessage bool) []store.Op {
	t.Helper()
	ops := allOps(t, st)
	byTS := map[string]int64{}
	for _, op := range ops {
		name := messages.OpName(op.ID)
		if !op.State.Final() {
			t.Errorf("%s (%s) was left %s", name, op.Kind, op.State)
		}
		checkEvents(t, st, op)
		if op.MessageTS == "" {
			if needMessage {
				t.Errorf("%s (%s, %s: %s) has no channel message", name, op.Kind, op.State, op.Outcome)
			}
			continue
		}
		if other, dup := byTS[op.MessageTS]; dup {
			t.Errorf("%s and %s share the message %s", name, messages.OpName(other), op.MessageTS)
		}
		byTS[op.MessageTS] = op.ID
		m, ok := fs.Message(op.Channel, op.MessageTS)
		if !ok {
			t.Errorf("%s's message %s is not in Slack", name, op.MessageTS)
			continue
		}
		if want := rendered(op); m.Text != want {
			t.Errorf("%s is %s but its message reads %q (want %q)", name, op.State, m.Text, want)
		}
	}
	for _, m := range fs.Messages(channel) {
		if _, ok := byTS[m.TS]; !ok && m.ThreadTS == "" { // replies are reminders
			t.Errorf("channel message %s belongs to no operation: %q", m.TS, m.Text)
		}
	}
	return ops
}

// checkEvents asserts op's audit log is one chain: it starts with
// "requested" ("break-glass" for a break-glass op), each event leaves the
// state the previous one entered, moves along the state machine (or is a
// same-state "reclaimed", or the one "effect" its holder fenced before
// sending its change), time never runs backwards, exactly one event enters
// a final state, it is the last but for a break-glass review's
// "acknowledged" and corrections ("amended"), and it is the op's state.
func checkEvents(t *testing.T, st store.Store, op store.Op) {
	t.Helper()
	name := messages.OpName(op.ID)
	evs, err := st.Events(context.Background(), op.ID)
	if err != nil {
		t.Fatalf("events of %s: %v", name, err)
	}
	first := "requested"
	if op.BreakGlass {
		first = "break-glass"
	}
	if len(evs) == 0 || evs[0].Action != first || evs[0].From != "" {
		t.Errorf("%s's audit log does not start with its request (%s): %+v", name, first, evs)
		return
	}
	if n := len(evs); op.ReviewedBy != "" {
		if a := evs[n-1]; a.Action != "acknowledged" || a.Actor != op.ReviewedBy || a.From != op.State || a.To != op.State {
			t.Errorf("%s was reviewed by %s, but its audit log ends with %+v", name, op.ReviewedBy, a)
			return
		}
		evs = evs[:n-1]
	}
	finals, effects, amended := 0, 0, false
	for i := 1; i < len(evs); i++ {
		prev, e := evs[i-1], evs[i]
		switch {
		case e.At.Before(prev.At):
			t.Errorf("%s: event %q at %s is written after %q at %s", name, e.Action, e.At.Format(time.RFC3339Nano), prev.Action, prev.At.Format(time.RFC3339Nano))
		case e.From != prev.To:
			t.Errorf("%s: event %q leaves %s, but the state was %s", name, e.Action, e.From, prev.To)
		case (e.Action == "reclaimed" || e.Action == "effect") && (e.From != store.Executing || e.To != store.Executing):
			t.Errorf("%s: %s %s → %s", name, e.Action, e.From, e.To)
		case e.Action == "amended":
			if !approval.CanAmend(e.From, e.To) {
				t.Errorf("%s: amended %s → %s", name, e.From, e.To)
			}
			amended = true
			continue
		case e.Action != "reclaimed" && e.Action != "effect" && !approval.CanMove(e.From, e.To):
			t.Errorf("%s: %s → %s is not a transition", name, e.From, e.To)
		}
		if e.Action == "effect" {
			if effects++; effects > 1 {
				t.Errorf("%s: %d effects sent for one operation", name, effects)
			}
		}
		if e.To.Final() && !amended {
			finals++
			if i != len(evs)-1 {
				t.Errorf("%s: events follow the final %q", name, e.Action)
			}
		}
	}
	if last := evs[len(evs)-1].To; last != op.State {
		t.Errorf("%s is %s, but its audit log ends in %s", name, op.State, last)
	}
	if op.State.Final() && finals != 1 {
		t.Errorf("%s: %d events enter a final state, want 1", name, finals)
	}
}

// isFinalText says whether a channel message reads as finished: not an
// in-progress "…" line, not a card still asking for a decision.
func isFinalText(text string) bool {
	return !strings.HasSuffix(text, "…") && !strings.Contains(text, "Approve or deny")
}
