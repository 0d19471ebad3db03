package service_test

import (
	"strings"
	"testing"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
)

// TestChangeInEachState runs pause and resume in each sync state: what is
// sent, what the journal says, and what people are told.
func TestChangeInEachState(t *testing.T) {
	for _, tt := range []struct {
		verb, from     string
		patches        int
		to             string
		state          store.State
		channel, reply string
	}{
		{"pause", adminapi.StateEnabled, 1, adminapi.StateDisabled, store.Succeeded, "Paused sync for prod (running → paused)", ""},
		{"pause", adminapi.StateDisabled, 0, adminapi.StateDisabled, store.Succeeded, "", "is already paused"},
		{"pause", adminapi.StateTerminated, 0, adminapi.StateTerminated, store.Failed, "", "nothing to pause. `/sync resume prod`"},
		{"resume", adminapi.StateDisabled, 1, adminapi.StateEnabled, store.Succeeded, "Resumed sync for prod (paused → running)", ""},
		{"resume", adminapi.StateEnabled, 0, adminapi.StateEnabled, store.Succeeded, "", "is already running"},
		{"resume", adminapi.StateTerminated, 0, adminapi.StateTerminated, store.Failed, "", "no saved configuration"},
	} {
		t.Run(tt.verb+"/"+messages.PlainState(tt.from), func(t *testing.T) {
			w := newWorld(t, stores["sqlite"](t)(), worldOptions{})
			obj := `{"state":"` + tt.from + `","database_name":"db"}`
			if tt.from == adminapi.StateTerminated {
				obj = `{"state":""}` // all that is left after a terminate outside syncbot
			}
			w.admin.SetSync(groupID, appA, adminapi.KindFlexible, []byte(obj))
			w.command(alice, tt.verb+" prod")
			if got := w.patches(appA); got != tt.patches {
				t.Errorf("%d PATCHes, want %d", got, tt.patches)
			}
			if got := w.state(appA); got != tt.to {
				t.Errorf("sync is %q, want %q", got, tt.to)
			}
			op := w.op(1)
			if op.State != tt.state || op.Target.AppID != appA {
				t.Errorf("journal: %s on %+v, want %s on app A", op.State, op.Target, tt.state)
			}
			if tt.channel != "" && !strings.Contains(w.slack.shown(op), tt.channel) {
				t.Errorf("channel shows %q, want %q", w.slack.shown(op), tt.channel)
			}
			if tt.reply != "" && !strings.Contains(w.slack.lastWhisper(), tt.reply) {
				t.Errorf("reply %q, want %q", w.slack.lastWhisper(), tt.reply)
			}
			checkAudit(t, w, op)
		})
	}
}

// TestTerminateApprovedThenResumed: a terminate waits for another person,
// runs once, and resume re-sends the configuration it saved.
func TestTerminateApprovedThenResumed(t *testing.T) {
	w := newWorld(t, stores["sqlite"](t)(), worldOptions{})
	before := w.admin.SyncObject(groupID, appA)
	w.command(alice, "terminate prod clients stuck")
	if w.op(1).State != store.Pending || w.patches(appA) != 0 {
		t.Fatalf("a request sent something or is not pending: %+v", w.op(1))
	}
	w.click(alice, messages.ActionApprove, 1)
	if w.op(1).State != store.Pending || !strings.Contains(w.slack.lastWhisper(), "someone else must approve") {
		t.Fatalf("self-approval: %s, %q", w.op(1).State, w.slack.lastWhisper())
	}
	w.click(bob, messages.ActionApprove, 1)
	w.click(bob, messages.ActionApprove, 1) // a double click
	if op := w.op(1); op.State != store.Succeeded || w.patches(appA) != 1 || w.state(appA) != adminapi.StateTerminated {
		t.Fatalf("after approval: %s, %d PATCHes, sync %q", op.State, w.patches(appA), w.state(appA))
	}
	if !strings.Contains(w.slack.lastWhisper(), "T-1 was already approved by <@UBOB> and has run") {
		t.Errorf("double click answered %q", w.slack.lastWhisper())
	}
	w.command(alice, "resume prod")
	if got := w.admin.SyncObject(groupID, appA); w.state(appA) != adminapi.StateEnabled || !strings.Contains(string(got), `"database_name"`) {
		t.Errorf("resume restored %s (was %s)", got, before)
	}
	checkAudit(t, w, w.op(1))
}

// checkAudit: the op's audit log moves along the state machine and has at
// most one effect.
func checkAudit(t *testing.T, w *world, op store.Op) {
	t.Helper()
	evs, err := w.st.Events(t.Context(), op.ID)
	if err != nil {
		t.Fatal(err)
	}
	effects := 0
	for _, e := range evs {
		if e.Action == "effect" {
			effects++
		}
	}
	want := 0
	if w.patches(op.Target.AppID) > 0 && op.Kind != store.Terminate {
		want = 1
	}
	if op.Kind == store.Terminate && op.State == store.Succeeded {
		want = 1
	}
	if effects != want {
		t.Errorf("%s: %d effect events, want %d", messages.OpName(op.ID), effects, want)
	}
}
