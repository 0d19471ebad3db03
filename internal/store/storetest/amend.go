package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/store"
)

// testAmend: a finished op's ending is corrected only between succeeded
// and failed, from the state it is in, with one "amended" event; the
// message then counts as not shown, so it is healed.
func testAmend(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	run := create(t, s, pause("trigger-1", "prod"))
	transition(t, s, run.ID, store.Executing, store.Change{Fence: "replica-1", To: store.Failed, Actor: bot, At: at(time.Minute), Outcome: "interrupted"})
	if ok, err := s.MarkShown(t.Context(), run.ID, store.Failed); err != nil || !ok {
		t.Fatalf("MarkShown = %v, %v", ok, err)
	}
	fix := store.Amendment{To: store.Succeeded, Outcome: "running → paused (corrected)", Actor: bot, At: at(2 * time.Minute)}

	if _, err := s.Amend(t.Context(), run.ID, store.Succeeded, fix); !errors.Is(err, store.ErrForbiddenMove) {
		t.Errorf("Amend succeeded → succeeded: err = %v, want ErrForbiddenMove", err)
	}
	if cur, err := s.Amend(t.Context(), run.ID, store.Succeeded, store.Amendment{To: store.Failed, Outcome: "x", Actor: bot, At: at(2 * time.Minute)}); !errors.Is(err, store.ErrConflict) || cur.State != store.Failed {
		t.Errorf("Amend from a state the op is not in: %s, %v; want a conflict showing failed", cur.State, err)
	}
	got, err := s.Amend(t.Context(), run.ID, store.Failed, fix)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.Succeeded || got.Outcome != fix.Outcome || !got.UpdatedAt.Equal(fix.At) || got.Shown != "" {
		t.Errorf("amended op: %s %q at %v, shown %q", got.State, got.Outcome, got.UpdatedAt, got.Shown)
	}
	if unshown := list(t, s, store.Filter{Unshown: true}); len(unshown) != 1 || unshown[0].ID != run.ID {
		t.Errorf("Unshown after an amendment = %v, want T-%d", ids(unshown), run.ID)
	}
	evs := events(t, s, run.ID)
	if last := evs[len(evs)-1]; last.Action != "amended" || last.From != store.Failed || last.To != store.Succeeded || last.Detail != fix.Outcome {
		t.Errorf("last event %+v, want the amendment", last)
	}

	req := create(t, s, terminate("trigger-2", "staging"))
	denied := transition(t, s, req.ID, store.Pending, store.Change{To: store.Denied, Actor: "U2", DecidedBy: "U2", At: at(time.Minute)})
	if _, err := s.Amend(t.Context(), req.ID, store.Denied, fix); !errors.Is(err, store.ErrForbiddenMove) {
		t.Errorf("Amend of a denied request: err = %v, want ErrForbiddenMove", err)
	}
	checkOp(t, "denied request after a refused amendment", denied, get(t, s, req.ID))
}

// testAnnotate: an op's detail is set at creation or later, and read back.
func testAnnotate(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	op := pause("trigger-1", "prod")
	op.Detail = "the orders trigger"
	saved := create(t, s, op)
	if got := get(t, s, saved.ID).Detail; got != op.Detail {
		t.Errorf("Detail at creation = %q", got)
	}
	if err := s.Annotate(t.Context(), saved.ID, "Flexible Sync, database `app`"); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, saved.ID).Detail; got != "Flexible Sync, database `app`" {
		t.Errorf("Detail after Annotate = %q", got)
	}
	if err := s.Annotate(t.Context(), saved.ID+100, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Annotate of an unknown op: %v, want ErrNotFound", err)
	}
}

// testUnknownIsUnshown: an op that ended unknown is listed as unshown until
// its message is marked, like every other ending, so healing shows it.
func testUnknownIsUnshown(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	run := create(t, s, pause("trigger-1", "prod"))
	transition(t, s, run.ID, store.Executing, store.Change{Fence: "replica-1", To: store.Unknown, Actor: bot, At: at(time.Minute), Outcome: "not confirmed"})
	if got := list(t, s, store.Filter{Unshown: true}); len(got) != 1 || got[0].ID != run.ID {
		t.Fatalf("Unshown = %v, want T-%d", ids(got), run.ID)
	}
	if ok, err := s.MarkShown(t.Context(), run.ID, store.Unknown); err != nil || !ok {
		t.Fatalf("MarkShown = %v, %v", ok, err)
	}
	if got := list(t, s, store.Filter{Unshown: true}); len(got) != 0 {
		t.Errorf("Unshown after MarkShown = %v", ids(got))
	}
}
