package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/syncbot/syncbot/internal/store"
)

// testSteps: the holder journals steps; a step set again keeps its place
// and takes the new state; each write appends a "step" event; the steps
// survive a restart; another holder, a lease that ran out, a finished op
// and an unknown op are refused and write nothing.
func testSteps(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	op := create(t, s, pause("trigger-1", "prod")) // replica-1, lease until +1m
	if got, err := s.Steps(t.Context(), op.ID); err != nil || len(got) != 0 {
		t.Fatalf("Steps of an op without any = %v, %v; want none", got, err)
	}
	set := func(holder string, now time.Duration, st store.Step) error {
		return s.SetStep(t.Context(), op.ID, holder, at(now), st)
	}
	for _, st := range []store.Step{
		{Name: "sync/g/a", Label: "prod", State: store.StepStarted},
		{Name: "sync/g/b", Label: "staging", State: store.StepSkipped, Detail: "already paused"},
		{Name: "sync/g/a", Label: "prod", State: store.StepDone},
		{Name: "cluster", State: store.StepStarted},
	} {
		if err := set("replica-1", 10*time.Second, st); err != nil {
			t.Fatalf("SetStep(%s %s): %v", st.Name, st.State, err)
		}
	}
	want := []store.Step{
		{Name: "sync/g/a", Label: "prod", State: store.StepDone, At: at(10 * time.Second)},
		{Name: "sync/g/b", Label: "staging", State: store.StepSkipped, Detail: "already paused", At: at(10 * time.Second)},
		{Name: "cluster", State: store.StepStarted, At: at(10 * time.Second)},
	}
	check := func(when string) {
		t.Helper()
		got, err := s.Steps(t.Context(), op.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got, cmpopts.EquateApproxTime(0)); d != "" {
			t.Errorf("Steps %s (-want +got):\n%s", when, d)
		}
	}
	check("after four writes")
	if n := countAction(t, s, op.ID, "step"); n != 4 {
		t.Errorf("%d step events, want 4", n)
	}

	for _, f := range []struct {
		name, holder string
		now          time.Duration
	}{
		{"another holder", "replica-2", 20 * time.Second},
		{"the holder, after its lease ran out", "replica-1", 2 * time.Minute},
	} {
		if err := set(f.holder, f.now, store.Step{Name: "cluster", State: store.StepDone}); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("SetStep by %s: %v, want ErrLeaseLost", f.name, err)
		}
	}
	if err := s.SetStep(t.Context(), op.ID+100, "replica-1", at(time.Second), store.Step{Name: "x", State: store.StepDone}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetStep of an unknown op: %v, want ErrNotFound", err)
	}
	if err := set("replica-1", 20*time.Second, store.Step{Name: "cluster", State: "maybe"}); err == nil {
		t.Error("SetStep with an unknown state was accepted")
	}
	check("after refused writes")

	transition(t, s, op.ID, store.Executing, store.Change{To: store.Succeeded, Actor: bot, At: at(30 * time.Second), Fence: "replica-1"})
	if err := set("replica-1", 40*time.Second, store.Step{Name: "cluster", State: store.StepDone}); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("SetStep of a finished op: %v, want ErrLeaseLost", err)
	}
	if n := countAction(t, s, op.ID, "step"); n != 4 {
		t.Errorf("%d step events after refusals, want 4", n)
	}

	// What was journaled survives a restart.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, open)
	check("after a restart")
}

func countAction(t *testing.T, s store.Store, id int64, action string) int {
	t.Helper()
	n := 0
	for _, e := range events(t, s, id) {
		if e.Action == action {
			n++
		}
	}
	return n
}
