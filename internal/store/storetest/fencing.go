package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/syncbot/syncbot/internal/store"
)

// testForbiddenMoves: a move the state machine (approval.CanMove) does not
// have is refused with ErrForbiddenMove and writes nothing, whatever else
// the change gets right; so is a creation in a state no op starts in.
func testForbiddenMoves(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	run := create(t, s, pause("trigger-1", "prod"))
	req := create(t, s, terminate("trigger-2", "staging"))
	for _, m := range []struct {
		op       store.Op
		from, to store.State
	}{
		{run, store.Executing, store.Denied},
		{run, store.Executing, store.Pending},
		{run, store.Executing, store.Executing},
		{req, store.Pending, store.Executing}, // approval skipped
		{req, store.Pending, store.Succeeded},
		{req, store.Pending, store.Pending},
		{req, store.Pending, "launched"},
	} {
		_, err := s.Transition(t.Context(), m.op.ID, m.from, store.Change{To: m.to, Actor: "U2", DecidedBy: "U2",
			At: at(time.Minute), Fence: "replica-1", Holder: "replica-1", LeaseUntil: at(2 * time.Minute)})
		if !errors.Is(err, store.ErrForbiddenMove) {
			t.Errorf("Transition(T-%d, %s → %s): err = %v, want ErrForbiddenMove", m.op.ID, m.from, m.to, err)
		}
		if errors.Is(err, store.ErrConflict) {
			t.Errorf("Transition(T-%d, %s → %s): a forbidden move is reported as a conflict too: %v", m.op.ID, m.from, m.to, err)
		}
	}
	checkOp(t, "executing op after refused moves", run, get(t, s, run.ID))
	checkEvents(t, s, run.ID, requested(run))
	checkOp(t, "pending op after refused moves", req, get(t, s, req.ID))
	checkEvents(t, s, req.ID, requested(req))

	for _, st := range []store.State{store.Approved, store.Succeeded, store.Failed, store.Denied, store.Cancelled, store.Expired, "", "launched"} {
		op := terminate("trigger-"+string(st), "qa")
		op.State = st
		if _, _, err := s.CreateOp(t.Context(), op, at(0)); !errors.Is(err, store.ErrForbiddenMove) {
			t.Errorf("CreateOp in %q: err = %v, want ErrForbiddenMove", st, err)
		}
	}
	if got := list(t, s, store.Filter{App: "qa"}); len(got) != 0 {
		t.Errorf("refused CreateOp wrote ops %v", ids(got))
	}
}

// testExecutingNeedsAHolder: an op enters Executing only with a holder and
// a lease, so that it can be fenced, renewed and reclaimed.
func testExecutingNeedsAHolder(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	for _, op := range []store.Op{
		func() store.Op { op := pause("trigger-1", "prod"); op.Holder = ""; return op }(),
		func() store.Op { op := pause("trigger-2", "prod"); op.LeaseUntil = time.Time{}; return op }(),
	} {
		if _, _, err := s.CreateOp(t.Context(), op, at(0)); err == nil {
			t.Errorf("CreateOp(executing, holder %q, lease %v) succeeded", op.Holder, op.LeaseUntil)
		}
	}
	req := create(t, s, terminate("trigger-3", "prod"))
	approved := transition(t, s, req.ID, store.Pending, store.Change{To: store.Approved, Actor: "U2", DecidedBy: "U2", At: at(time.Minute)})
	for _, ch := range []store.Change{
		{To: store.Executing, Actor: bot, At: at(2 * time.Minute), LeaseUntil: at(3 * time.Minute)},
		{To: store.Executing, Actor: bot, At: at(2 * time.Minute), Holder: "replica-1"},
	} {
		_, err := s.Transition(t.Context(), req.ID, store.Approved, ch)
		if err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("Transition(approved → executing, holder %q, lease %v) = %v, want a refusal that is not a conflict", ch.Holder, ch.LeaseUntil, err)
		}
	}
	checkOp(t, "after the refused moves", approved, get(t, s, req.ID))
}

// testUnboundTargetRefused: an op must say what it changes by identity.
func testUnboundTargetRefused(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	good := target("prod")
	for name, tg := range map[string]store.Target{
		"none":            {},
		"alias only":      {Kind: store.SyncTarget},
		"no app":          {Kind: store.SyncTarget, GroupID: good.GroupID},
		"no group":        {Kind: store.SyncTarget, AppID: good.AppID},
		"no kind":         {GroupID: good.GroupID, AppID: good.AppID},
		"slash":           {Kind: store.SyncTarget, GroupID: good.GroupID, AppID: "a/b"},
		"the legacy kind": {Kind: "alias", GroupID: good.GroupID, AppID: good.AppID},
	} {
		for _, op := range []store.Op{terminate("t-"+name, "prod"), pause("p-"+name, "prod")} {
			op.Target = tg
			if _, _, err := s.CreateOp(t.Context(), op, at(0)); err == nil {
				t.Errorf("CreateOp(%s, target %s) succeeded", op.Kind, name)
			}
		}
	}
	if got := list(t, s, store.Filter{}); len(got) != 0 {
		t.Errorf("refused CreateOp wrote ops %v", ids(got))
	}
}

// testOneAliasTwoTargets: the alias is a label. Two apps that one alias
// named in turn (SYNC_APPS re-pointed) are two targets, which may run at
// once; two ops on one target may not, whatever alias asked for them.
func testOneAliasTwoTargets(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	a := pause("trigger-1", "prod")
	b := pause("trigger-2", "prod")
	b.Target.AppID, b.Target.ServiceID = "app-prod-2", "svc-prod-2"
	onA := create(t, s, a)
	onB := create(t, s, b)
	if onA.Target == onB.Target {
		t.Fatalf("both ops on %+v", onA.Target)
	}

	again := pause("trigger-3", "production") // another alias for A's app
	again.Target = onA.Target
	_, created, err := s.CreateOp(t.Context(), again, at(time.Second))
	checkBusy(t, err, onA)
	if created {
		t.Error("CreateOp on a busy target reported created")
	}

	req := create(t, s, terminate("trigger-4", "staging"))
	req.Target = onB.Target
	req.Key = "trigger-5"
	req = create(t, s, req)
	transition(t, s, req.ID, store.Pending, store.Change{To: store.Approved, Actor: "U2", DecidedBy: "U2", At: at(time.Minute)})
	_, err = s.Transition(t.Context(), req.ID, store.Approved,
		store.Change{To: store.Executing, Actor: bot, At: at(2 * time.Minute), Holder: "replica-2", LeaseUntil: at(3 * time.Minute)})
	checkBusy(t, err, onB)

	if got := ids(list(t, s, store.Filter{TargetKey: onA.Target.Key()})); !cmp.Equal(got, []int64{onA.ID}) {
		t.Errorf("ops on A = %v, want [%d]", got, onA.ID)
	}
	if got := ids(list(t, s, store.Filter{App: "prod"})); !cmp.Equal(got, []int64{onB.ID, onA.ID}) {
		t.Errorf("ops asked by prod = %v, want [%d %d]", got, onB.ID, onA.ID)
	}
}

// testRenew: the holder extends its lease, which keeps Reclaim away; no
// one else can, and nothing is written for a refused renewal.
func testRenew(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	op := create(t, s, pause("trigger-1", "prod")) // replica-1, lease until +1m

	if err := s.Renew(t.Context(), op.ID, "replica-1", at(3*time.Minute)); err != nil {
		t.Fatalf("Renew by the holder: %v", err)
	}
	want := op
	want.LeaseUntil = at(3 * time.Minute)
	checkOp(t, "after Renew", want, get(t, s, op.ID))
	// Past the first lease, before the renewed one: not reclaimable.
	if _, err := s.Reclaim(t.Context(), op.ID, "replica-2", at(2*time.Minute), at(4*time.Minute)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Reclaim of a renewed lease: err = %v, want ErrConflict", err)
	}

	err := s.Renew(t.Context(), op.ID, "replica-2", at(time.Hour))
	if !errors.Is(err, store.ErrLeaseLost) || !errors.Is(err, store.ErrConflict) {
		t.Errorf("Renew by another holder: err = %v, want ErrLeaseLost (an ErrConflict)", err)
	}
	if err := s.Renew(t.Context(), op.ID+100, "replica-1", at(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Renew(unknown op): err = %v, want ErrNotFound", err)
	}
	checkOp(t, "after refused renewals", want, get(t, s, op.ID))
	checkEvents(t, s, op.ID, requested(op))

	done := transition(t, s, op.ID, store.Executing, store.Change{To: store.Succeeded, Actor: bot, At: at(time.Minute), Fence: "replica-1"})
	if err := s.Renew(t.Context(), op.ID, "replica-1", at(time.Hour)); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("Renew of a finished op: err = %v, want ErrLeaseLost", err)
	}
	checkOp(t, "finished op after a refused Renew", done, get(t, s, op.ID))
}

// testFence: the holder, with a live lease, proves it and extends it, and
// the audit log gets exactly one "effect" event; another holder, a lease
// that ran out or a finished op get ErrLeaseLost and write nothing.
func testFence(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	op := create(t, s, pause("trigger-1", "prod")) // replica-1, lease until +1m
	const effect = `PATCH sync state "disabled"`

	if err := s.Fence(t.Context(), op.ID, "replica-1", at(30*time.Second), at(2*time.Minute), effect); err != nil {
		t.Fatalf("Fence by the holder: %v", err)
	}
	want := op
	want.LeaseUntil = at(2 * time.Minute)
	checkOp(t, "after Fence", want, get(t, s, op.ID))
	fenced := store.Event{OpID: op.ID, At: at(30 * time.Second), Actor: "replica-1", Action: "effect",
		From: store.Executing, To: store.Executing, Detail: effect}
	checkEvents(t, s, op.ID, requested(op), fenced)

	for _, f := range []struct {
		name, holder string
		now          time.Time
	}{
		{"another holder", "replica-2", at(time.Minute)},
		{"the holder, as its lease ends", "replica-1", at(2 * time.Minute)},
		{"the holder, after its lease ran out", "replica-1", at(3 * time.Minute)},
	} {
		err := s.Fence(t.Context(), op.ID, f.holder, f.now, f.now.Add(time.Minute), effect)
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("Fence by %s: err = %v, want ErrLeaseLost", f.name, err)
		}
	}
	if err := s.Fence(t.Context(), op.ID+100, "replica-1", at(time.Minute), at(2*time.Minute), effect); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Fence(unknown op): err = %v, want ErrNotFound", err)
	}
	checkOp(t, "after refused fences", want, get(t, s, op.ID))
	checkEvents(t, s, op.ID, requested(op), fenced)

	done := store.Change{To: store.Succeeded, Actor: bot, At: at(time.Minute), Fence: "replica-1"}
	transition(t, s, op.ID, store.Executing, done)
	if err := s.Fence(t.Context(), op.ID, "replica-1", at(time.Minute), at(2*time.Minute), effect); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("Fence of a finished op: err = %v, want ErrLeaseLost", err)
	}
	checkEvents(t, s, op.ID, requested(op), fenced, moved(op, store.Executing, done))
}

// testFencedTransitions: a move from Executing names the holder it expects
// (Change.Fence) and applies only while that holder has the op; without a
// fence it is a caller's bug.
func testFencedTransitions(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	op := create(t, s, pause("trigger-1", "prod")) // replica-1, lease until +1m
	done := store.Change{To: store.Succeeded, Actor: bot, At: at(30 * time.Second), Outcome: "paused"}

	_, err := s.Transition(t.Context(), op.ID, store.Executing, done)
	if err == nil || errors.Is(err, store.ErrConflict) {
		t.Errorf("Transition from executing without a fence = %v, want a refusal that is not a conflict", err)
	}
	wrong := done
	wrong.Fence = "replica-2"
	got, err := s.Transition(t.Context(), op.ID, store.Executing, wrong)
	if !errors.Is(err, store.ErrLeaseLost) || !errors.Is(err, store.ErrConflict) {
		t.Errorf("Transition with the wrong fence: err = %v, want ErrLeaseLost (an ErrConflict)", err)
	}
	checkOp(t, "the op returned with ErrLeaseLost", op, got)
	checkOp(t, "after refused transitions", op, get(t, s, op.ID))
	checkEvents(t, s, op.ID, requested(op))

	// The sweeper takes the op over: its old holder can no longer settle
	// it, the new one can.
	reclaimed, err := s.Reclaim(t.Context(), op.ID, "replica-2", at(2*time.Minute), at(3*time.Minute))
	if err != nil {
		t.Fatalf("Reclaim: %v", err)
	}
	stale := done
	stale.Fence, stale.At = "replica-1", at(2*time.Minute+time.Second)
	got, err = s.Transition(t.Context(), op.ID, store.Executing, stale)
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("Transition by the holder that lost the op: err = %v, want ErrLeaseLost", err)
	}
	checkOp(t, "the op returned with ErrLeaseLost", reclaimed, got)

	right := done
	right.Fence, right.At = "replica-2", at(2*time.Minute+2*time.Second)
	finished := transition(t, s, op.ID, store.Executing, right)
	want := reclaimed
	want.State, want.Outcome, want.UpdatedAt = store.Succeeded, "paused", right.At
	checkOp(t, "settled by the new holder", want, finished)

	// A settled op: the fenced move is lost, not forbidden.
	again := right
	again.To = store.Failed
	if _, err := s.Transition(t.Context(), op.ID, store.Executing, again); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("Transition from executing of a finished op: err = %v, want ErrLeaseLost", err)
	}
}

// testFenceRacesReclaim: a worker proves its lease just as the sweeper,
// whose clock says the lease ran out, reclaims the op: exactly one wins,
// and the log shows that one only.
func testFenceRacesReclaim(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	const n = 10
	var ops [n]store.Op
	for i := range ops {
		ops[i] = create(t, s, pause(fmt.Sprintf("trigger-%d", i), fmt.Sprintf("app-%d", i))) // replica-1 until +1m
	}
	var fenceErrs, reclaimErrs [n]error
	race(2*n, func(i int) {
		id := ops[i/2].ID
		if i%2 == 0 {
			fenceErrs[i/2] = s.Fence(t.Context(), id, "replica-1", at(59*time.Second), at(2*time.Minute), "PATCH")
		} else {
			_, reclaimErrs[i/2] = s.Reclaim(t.Context(), id, "sweeper", at(61*time.Second), at(3*time.Minute))
		}
	})
	for i, op := range ops {
		fe, re := fenceErrs[i], reclaimErrs[i]
		var holder, action string
		switch {
		case fe == nil && errors.Is(re, store.ErrConflict):
			holder, action = "replica-1", "effect"
		case re == nil && errors.Is(fe, store.ErrLeaseLost):
			holder, action = "sweeper", "reclaimed"
		default:
			t.Errorf("T-%d: fence err = %v, reclaim err = %v; want exactly one nil, the other lost", op.ID, fe, re)
			continue
		}
		if got := get(t, s, op.ID); got.Holder != holder {
			t.Errorf("T-%d held by %q, want the winner %q", op.ID, got.Holder, holder)
		}
		var actions []string
		for _, e := range events(t, s, op.ID) {
			actions = append(actions, e.Action)
		}
		if got, want := strings.Join(actions, ","), "requested,"+action; got != want {
			t.Errorf("T-%d events %s, want %s", op.ID, got, want)
		}
	}
}

// testAdoptLegacyWithNothingToAdopt: a store of bound rows has nothing to
// adopt, and AdoptLegacy leaves it alone.
func testAdoptLegacyWithNothingToAdopt(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	op := create(t, s, pause("trigger-1", "prod"))
	before := list(t, s, store.Filter{})
	rep, err := s.AdoptLegacy(t.Context(), func(alias string) (store.Target, bool) {
		t.Errorf("resolve(%q) called with nothing to adopt", alias)
		return store.Target{}, false
	})
	if err != nil {
		t.Fatalf("AdoptLegacy: %v", err)
	}
	if diff := cmp.Diff(store.AdoptReport{}, rep); diff != "" {
		t.Errorf("AdoptLegacy report (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, list(t, s, store.Filter{})); diff != "" {
		t.Errorf("AdoptLegacy changed ops (-before +after):\n%s", diff)
	}
	checkEvents(t, s, op.ID, requested(op))
}
