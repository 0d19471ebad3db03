// Package storetest checks a store.Store against the contract written in
// package store, the way testing/fstest.TestFS checks an fs.FS: every store
// runs this one suite.
package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/syncbot/syncbot/internal/store"
)

// Opener returns a new handle on one location's data each time it is called.
type Opener func() (store.Store, error)

// Run runs the contract suite, one subtest per behaviour. newStore returns a
// fresh, empty location (a directory, a schema) and its Opener; the suite
// closes a handle and opens another to check what survives a restart, and
// closes every handle it opens.
func Run(t *testing.T, newStore func(t *testing.T) (open func() (store.Store, error))) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"CreateAndGet", testCreateAndGet},
		{"GetUnknownIsNotFound", testGetUnknown},
		{"DedupeByKey", testDedupeByKey},
		{"DedupeBeatsBusy", testDedupeBeatsBusy},
		{"DedupeConcurrent", testDedupeConcurrent},
		{"ApproveExecuteSucceed", testApproveExecuteSucceed},
		{"ExecutingCreatedDirectlyFails", testExecutingFails},
		{"PendingEndings", testPendingEndings},
		{"WrongStateIsConflict", testWrongState},
		{"TransitionUnknownIsNotFound", testTransitionUnknown},
		{"FinalStateIsNeverLeft", testFinalStateIsNeverLeft},
		{"DoubleApproval", testDoubleApproval},
		{"OneExecutingPerTarget", testOneExecutingPerTarget},
		{"ConcurrentExecutingCreates", testConcurrentExecutingCreates},
		{"TransitionToExecutingWhenBusy", testTransitionToExecutingWhenBusy},
		{"ConcurrentTransitionsToExecuting", testConcurrentTransitionsToExecuting},
		{"ExpiryListing", testExpiryListing},
		{"ExpiryRacesApproval", testExpiryRacesApproval},
		{"Reclaim", testReclaim},
		{"SetMessage", testSetMessage},
		{"ListOpsFilters", testListOpsFilters},
		{"Snapshots", testSnapshots},
		{"SnapshotsByTarget", testSnapshotsByTarget},
		{"ReminderClaimedOnce", testReminderClaimedOnce},
		{"Shown", testShown},
		{"QuietNeedsAFinalState", testQuietNeedsAFinalState},
		{"BreakGlass", testBreakGlass},
		{"AcknowledgeRace", testAcknowledgeRace},
		{"BreakGlassOnlyForTerminate", testBreakGlassOnlyForTerminate},
		{"ForbiddenMoves", testForbiddenMoves},
		{"ExecutingNeedsAHolder", testExecutingNeedsAHolder},
		{"UnboundTargetRefused", testUnboundTargetRefused},
		{"OneAliasTwoTargets", testOneAliasTwoTargets},
		{"Renew", testRenew},
		{"Fence", testFence},
		{"FencedTransitions", testFencedTransitions},
		{"Amend", testAmend},
		{"Annotate", testAnnotate},
		{"UnknownIsUnshown", testUnknownIsUnshown},
		{"FenceRacesReclaim", testFenceRacesReclaim},
		{"AdoptLegacyWithNothingToAdopt", testAdoptLegacyWithNothingToAdopt},
		{"Steps", testSteps},
		{"Ping", testPing},
		{"Restart", testRestart},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStore(t))
		})
	}
}

// racers is how many goroutines each race starts at once.
const racers = 20

// bot is the Change.Actor of what syncbot itself does.
const bot = "syncbot"

// at is a point in the suite's time line: a fixed instant in a zone other
// than UTC, with milliseconds, plus d.
func at(d time.Duration) time.Time {
	return time.Date(2026, 3, 1, 10, 30, 0, 123_000_000, time.FixedZone("CET", 3600)).Add(d)
}

func mustOpen(t *testing.T, open Opener) store.Store {
	t.Helper()
	s, err := open()
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// group is the Atlas project of the suite's targets.
const group = "6650c0ffee0000000000aaaa"

// target is the sync of the app the suite's alias app names: one app per
// alias, unless a case says otherwise.
func target(app string) store.Target {
	return store.Target{Kind: store.SyncTarget, GroupID: group, AppID: "app-" + app, ServiceID: "svc-" + app}
}

// terminate is a terminate request as the bot would journal it.
func terminate(key, app string) store.Op {
	return store.Op{
		Key:           key,
		Kind:          store.Terminate,
		App:           app,
		Target:        target(app),
		Requester:     "U1",
		RequesterName: "ada",
		Channel:       "C1",
		ResponseURL:   "https://hooks.slack.test/r/" + key,
		Reason:        "schema change broke clients",
		State:         store.Pending,
		SyncKind:      "flexible_sync",
		SyncBefore:    "enabled",
		ExpiresAt:     at(15 * time.Minute),
	}
}

// pause is a pause as the bot would journal it: created executing.
func pause(key, app string) store.Op {
	return store.Op{
		Key:           key,
		Kind:          store.Pause,
		App:           app,
		Target:        target(app),
		Requester:     "U1",
		RequesterName: "ada",
		Channel:       "C1",
		Reason:        "cluster maintenance",
		State:         store.Executing,
		SyncKind:      "flexible_sync",
		SyncBefore:    "enabled",
		SyncAfter:     "disabled",
		Holder:        "replica-1",
		LeaseUntil:    at(time.Minute),
	}
}

func create(t *testing.T, s store.Store, op store.Op) store.Op {
	t.Helper()
	saved, created, err := s.CreateOp(t.Context(), op, at(0))
	if err != nil || !created {
		t.Fatalf("CreateOp(%q) = created %v, %v; want a new op", op.Key, created, err)
	}
	return saved
}

func transition(t *testing.T, s store.Store, id int64, from store.State, ch store.Change) store.Op {
	t.Helper()
	op, err := s.Transition(t.Context(), id, from, ch)
	if err != nil {
		t.Fatalf("Transition(%d, %s → %s): %v", id, from, ch.To, err)
	}
	if op.State != ch.To {
		t.Fatalf("Transition(%d, %s → %s) returned an op in %s", id, from, ch.To, op.State)
	}
	return op
}

func get(t *testing.T, s store.Store, id int64) store.Op {
	t.Helper()
	op, err := s.GetOp(t.Context(), id)
	if err != nil {
		t.Fatalf("GetOp(%d): %v", id, err)
	}
	return op
}

func list(t *testing.T, s store.Store, f store.Filter) []store.Op {
	t.Helper()
	ops, err := s.ListOps(t.Context(), f)
	if err != nil {
		t.Fatalf("ListOps(%+v): %v", f, err)
	}
	return ops
}

func events(t *testing.T, s store.Store, id int64) []store.Event {
	t.Helper()
	evs, err := s.Events(t.Context(), id)
	if err != nil {
		t.Fatalf("Events(%d): %v", id, err)
	}
	return evs
}

// requested is the event CreateOp appends for op.
func requested(op store.Op) store.Event {
	return store.Event{OpID: op.ID, At: op.CreatedAt, Actor: op.Requester,
		Action: "requested", To: op.State, Detail: op.Reason}
}

// moved is the event a Transition of op from from by ch appends.
func moved(op store.Op, from store.State, ch store.Change) store.Event {
	return store.Event{OpID: op.ID, At: ch.At, Actor: ch.Actor, Action: string(ch.To),
		From: from, To: ch.To, Detail: ch.Note}
}

// checkEvents compares op id's audit log with want (IDs aside), and checks
// that IDs grow in the order the events were written.
func checkEvents(t *testing.T, s store.Store, id int64, want ...store.Event) {
	t.Helper()
	got := events(t, s, id)
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.Event{}, "ID"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Events(%d) mismatch (-want +got):\n%s", id, diff)
	}
	for i := 1; i < len(got); i++ {
		if got[i].ID <= got[i-1].ID {
			t.Errorf("Events(%d): event IDs %d then %d do not grow", id, got[i-1].ID, got[i].ID)
		}
	}
}

func checkOp(t *testing.T, what string, want, got store.Op) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

// checkBusy checks that err is a *store.BusyError naming holder.
func checkBusy(t *testing.T, err error, holder store.Op) {
	t.Helper()
	var busy *store.BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("err = %v, want a *store.BusyError naming T-%d", err, holder.ID)
	}
	if busy.Op.ID != holder.ID || busy.Op.State != store.Executing || busy.Op.Target != holder.Target {
		t.Errorf("BusyError names T-%d (%s on %s), want T-%d executing on %s",
			busy.Op.ID, busy.Op.State, busy.Op.Target.Key(), holder.ID, holder.Target.Key())
	}
}

// race runs fn(i) for i in [0, n) in n goroutines released at once.
func race(n int, fn func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

func testCreateAndGet(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	op := terminate("trigger-1", "prod")
	op.ID = 999 // ignored
	saved, created, err := s.CreateOp(t.Context(), op, at(0))
	if err != nil || !created {
		t.Fatalf("CreateOp = created %v, %v; want a new op", created, err)
	}
	if saved.ID <= 0 {
		t.Errorf("ID = %d, want > 0", saved.ID)
	}
	want := op
	want.ID, want.CreatedAt, want.UpdatedAt = saved.ID, at(0), at(0)
	checkOp(t, "CreateOp", want, saved)
	for name, tm := range map[string]time.Time{
		"CreatedAt": saved.CreatedAt, "UpdatedAt": saved.UpdatedAt, "ExpiresAt": saved.ExpiresAt,
	} {
		if tm.Location() != time.UTC {
			t.Errorf("%s is in %v, want UTC", name, tm.Location())
		}
	}
	if !saved.LeaseUntil.IsZero() {
		t.Errorf("LeaseUntil = %v, want zero (none was set)", saved.LeaseUntil)
	}
	checkOp(t, "GetOp", saved, get(t, s, saved.ID))
	checkEvents(t, s, saved.ID, requested(saved))

	other := create(t, s, pause("trigger-2", "staging"))
	if other.ID == saved.ID {
		t.Errorf("two ops share ID %d", other.ID)
	}
	checkOp(t, "GetOp(second)", other, get(t, s, other.ID))
}

func testGetUnknown(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	if _, err := s.GetOp(t.Context(), 4242); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetOp(unknown) on an empty store: err = %v, want ErrNotFound", err)
	}
	op := create(t, s, terminate("k", "prod"))
	if _, err := s.GetOp(t.Context(), op.ID+1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetOp(unknown): err = %v, want ErrNotFound", err)
	}
}

func testDedupeByKey(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	first := create(t, s, terminate("trigger-1", "prod"))

	replay := terminate("trigger-1", "staging")
	replay.Reason = "something else"
	got, created, err := s.CreateOp(t.Context(), replay, at(time.Minute))
	if err != nil || created {
		t.Fatalf("CreateOp(same key) = created %v, %v; want the existing op", created, err)
	}
	checkOp(t, "CreateOp(same key)", first, got)
	ops := list(t, s, store.Filter{})
	if len(ops) != 1 {
		t.Errorf("ListOps after a replay: %d ops, want 1", len(ops))
	}
	checkEvents(t, s, first.ID, requested(first))
}

// A replayed pause finds its own op executing: the replay is a no-op, not a
// refusal.
func testDedupeBeatsBusy(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	first := create(t, s, pause("trigger-1", "prod"))
	got, created, err := s.CreateOp(t.Context(), pause("trigger-1", "prod"), at(time.Second))
	if err != nil || created {
		t.Fatalf("CreateOp(replayed pause) = created %v, %v; want the existing op", created, err)
	}
	checkOp(t, "CreateOp(replayed pause)", first, got)
}

func testDedupeConcurrent(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	var (
		ids     [racers]int64
		created [racers]bool
		errs    [racers]error
	)
	race(racers, func(i int) {
		op := terminate("trigger-1", "prod")
		op.Requester = fmt.Sprintf("U%d", i)
		saved, c, err := s.CreateOp(t.Context(), op, at(0))
		ids[i], created[i], errs[i] = saved.ID, c, err
	})
	n := 0
	for i := range racers {
		if errs[i] != nil {
			t.Errorf("CreateOp #%d: %v", i, errs[i])
		}
		if created[i] {
			n++
		}
		if ids[i] != ids[0] {
			t.Errorf("CreateOp #%d returned T-%d, #0 returned T-%d", i, ids[i], ids[0])
		}
	}
	if n != 1 {
		t.Errorf("%d of %d concurrent CreateOp with one key created an op, want 1", n, racers)
	}
	ops := list(t, s, store.Filter{})
	if len(ops) != 1 {
		t.Errorf("ListOps: %d ops, want 1", len(ops))
	}
	evs := events(t, s, ids[0])
	if len(evs) != 1 {
		t.Errorf("%d events, want 1 requested event", len(evs))
	}
}

func testApproveExecuteSucceed(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	op := create(t, s, terminate("trigger-1", "prod"))

	approve := store.Change{To: store.Approved, Actor: "U2", At: at(time.Minute),
		DecidedBy: "U2", Note: "looks right"}
	approved := transition(t, s, op.ID, store.Pending, approve)
	want := op
	want.State, want.DecidedBy, want.UpdatedAt = store.Approved, "U2", at(time.Minute)
	checkOp(t, "approved", want, approved)

	execute := store.Change{To: store.Executing, Actor: bot, At: at(2 * time.Minute),
		SyncBefore: "enabled", Holder: "replica-1", LeaseUntil: at(3 * time.Minute)}
	executing := transition(t, s, op.ID, store.Approved, execute)
	want.State, want.UpdatedAt = store.Executing, at(2*time.Minute)
	want.Holder, want.LeaseUntil = "replica-1", at(3*time.Minute)
	checkOp(t, "executing", want, executing)

	succeed := store.Change{To: store.Succeeded, Actor: bot, At: at(2*time.Minute + 500*time.Millisecond),
		Outcome: "sync terminated", Fence: "replica-1"}
	done := transition(t, s, op.ID, store.Executing, succeed)
	want.State, want.UpdatedAt, want.Outcome = store.Succeeded, succeed.At, "sync terminated"
	checkOp(t, "succeeded (zero fields of the Change leave columns alone)", want, done)
	checkOp(t, "GetOp", done, get(t, s, op.ID))

	checkEvents(t, s, op.ID,
		requested(op),
		moved(op, store.Pending, approve),
		moved(op, store.Approved, execute),
		moved(op, store.Executing, succeed))
}

func testExecutingFails(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	op := create(t, s, pause("trigger-1", "prod"))
	checkEvents(t, s, op.ID, requested(op))
	fail := store.Change{To: store.Failed, Actor: bot, At: at(time.Second),
		Outcome: "409 Conflict: draft open", Note: "admin api", Fence: "replica-1"}
	got := transition(t, s, op.ID, store.Executing, fail)
	want := op
	want.State, want.Outcome, want.UpdatedAt = store.Failed, fail.Outcome, fail.At
	checkOp(t, "failed", want, got)
	checkEvents(t, s, op.ID, requested(op), moved(op, store.Executing, fail))
}

func testPendingEndings(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	for _, ch := range []store.Change{
		{To: store.Denied, Actor: "U2", DecidedBy: "U2", Note: "not during business hours"},
		{To: store.Cancelled, Actor: "U1", DecidedBy: "U1"},
		{To: store.Expired, Actor: bot, Outcome: "no approval within 15m"},
	} {
		ch.At = at(time.Minute)
		op := create(t, s, terminate("trigger-"+string(ch.To), "app-"+string(ch.To)))
		got := transition(t, s, op.ID, store.Pending, ch)
		want := op
		want.State, want.DecidedBy, want.Outcome, want.UpdatedAt = ch.To, ch.DecidedBy, ch.Outcome, ch.At
		checkOp(t, string(ch.To), want, got)
		checkEvents(t, s, op.ID, requested(op), moved(op, store.Pending, ch))
	}
}

func testWrongState(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	op := create(t, s, terminate("trigger-1", "prod"))

	got, err := s.Transition(t.Context(), op.ID, store.Approved,
		store.Change{To: store.Executing, Actor: bot, At: at(time.Minute), Holder: "replica-1", LeaseUntil: at(2 * time.Minute)})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Transition(pending op, from approved): err = %v, want ErrConflict", err)
	}
	checkOp(t, "the op returned with ErrConflict", op, got)

	approve := store.Change{To: store.Approved, Actor: "U2", DecidedBy: "U2", At: at(time.Minute)}
	approved := transition(t, s, op.ID, store.Pending, approve)
	got, err = s.Transition(t.Context(), op.ID, store.Pending,
		store.Change{To: store.Cancelled, Actor: "U1", DecidedBy: "U1", At: at(2 * time.Minute)})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Transition(approved op, from pending): err = %v, want ErrConflict", err)
	}
	checkOp(t, "the op returned with ErrConflict", approved, got)
	checkOp(t, "GetOp", approved, get(t, s, op.ID))
	checkEvents(t, s, op.ID, requested(op), moved(op, store.Pending, approve))
}

func testTransitionUnknown(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	_, err := s.Transition(t.Context(), 4242, store.Pending,
		store.Change{To: store.Approved, Actor: "U2", At: at(0)})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Transition(unknown): err = %v, want ErrNotFound", err)
	}
}

// Nothing leaves a final state (store.State.Final), even when the caller
// names it as from: that is a bug in the caller, refused, not a race.
func testFinalStateIsNeverLeft(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	op := create(t, s, pause("trigger-1", "prod"))
	fail := store.Change{To: store.Failed, Actor: bot, At: at(time.Second), Fence: "replica-1"}
	failed := transition(t, s, op.ID, store.Executing, fail)
	for _, to := range []store.State{store.Executing, store.Succeeded, store.Pending} {
		_, err := s.Transition(t.Context(), op.ID, store.Failed,
			store.Change{To: to, Actor: bot, At: at(time.Minute), Holder: "replica-1", LeaseUntil: at(2 * time.Minute)})
		if !errors.Is(err, store.ErrForbiddenMove) {
			t.Errorf("Transition(failed → %s): err = %v, want ErrForbiddenMove", to, err)
		}
	}
	checkOp(t, "GetOp", failed, get(t, s, op.ID))
	checkEvents(t, s, op.ID, requested(op), moved(op, store.Executing, fail))
}

func testDoubleApproval(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	op := create(t, s, terminate("trigger-1", "prod"))
	var (
		ops  [racers]store.Op
		errs [racers]error
	)
	race(racers, func(i int) {
		approver := fmt.Sprintf("U%d", 100+i)
		ops[i], errs[i] = s.Transition(t.Context(), op.ID, store.Pending,
			store.Change{To: store.Approved, Actor: approver, DecidedBy: approver, At: at(time.Minute)})
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("approvals #%d and #%d both won", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("approval #%d: err = %v, want nil or ErrConflict", i, err)
		case ops[i].State != store.Approved:
			t.Errorf("approval #%d lost but was shown the op in %s, want approved", i, ops[i].State)
		}
	}
	if winner < 0 {
		t.Fatalf("none of %d concurrent approvals won", racers)
	}
	want := fmt.Sprintf("U%d", 100+winner)
	if got := get(t, s, op.ID); got.DecidedBy != want {
		t.Errorf("DecidedBy = %q, want the winner %q", got.DecidedBy, want)
	}
	evs := events(t, s, op.ID)
	n := 0
	for _, e := range evs {
		if e.Action == string(store.Approved) {
			n++
			if e.Actor != want {
				t.Errorf("approved event by %q, want the winner %q", e.Actor, want)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d approved events, want 1", n)
	}
}

func testOneExecutingPerTarget(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	holder := create(t, s, pause("trigger-1", "prod"))

	_, created, err := s.CreateOp(t.Context(), pause("trigger-2", "prod"), at(time.Second))
	checkBusy(t, err, holder)
	if created {
		t.Errorf("CreateOp on a busy target reported created")
	}
	ops := list(t, s, store.Filter{App: "prod"})
	if len(ops) != 1 {
		t.Errorf("a refused CreateOp wrote: %d ops on prod, want 1", len(ops))
	}

	// Other targets do not wait, and a pending request does not hold its
	// target.
	create(t, s, pause("trigger-3", "staging"))
	create(t, s, terminate("trigger-4", "prod"))

	// Once the holder is done, the refused key is free to use.
	transition(t, s, holder.ID, store.Executing,
		store.Change{Fence: "replica-1", To: store.Succeeded, Actor: bot, At: at(time.Minute)})
	create(t, s, pause("trigger-2", "prod"))
}

func testConcurrentExecutingCreates(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	var (
		ops     [racers]store.Op
		created [racers]bool
		errs    [racers]error
	)
	race(racers, func(i int) {
		ops[i], created[i], errs[i] = s.CreateOp(t.Context(), pause(fmt.Sprintf("trigger-%d", i), "prod"), at(0))
	})
	winner := -1
	for i := range racers {
		if errs[i] == nil && created[i] {
			if winner >= 0 {
				t.Fatalf("CreateOp #%d and #%d both created an executing op on one app", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("none of %d concurrent CreateOp created an op; errors: %v", racers, errs)
	}
	for i := range racers {
		if i != winner {
			checkBusy(t, errs[i], ops[winner])
		}
	}
	all := list(t, s, store.Filter{})
	if len(all) != 1 {
		t.Errorf("ListOps: %d ops, want 1", len(all))
	}
}

func testTransitionToExecutingWhenBusy(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	req := create(t, s, terminate("trigger-1", "prod"))
	approve := store.Change{To: store.Approved, Actor: "U2", DecidedBy: "U2", At: at(time.Minute)}
	approved := transition(t, s, req.ID, store.Pending, approve)
	holder := create(t, s, pause("trigger-2", "prod"))

	execute := store.Change{To: store.Executing, Actor: bot, At: at(2 * time.Minute), Holder: "replica-2", LeaseUntil: at(3 * time.Minute)}
	got, err := s.Transition(t.Context(), req.ID, store.Approved, execute)
	checkBusy(t, err, holder)
	if errors.Is(err, store.ErrConflict) {
		t.Errorf("a busy target is reported as ErrConflict too: %v", err)
	}
	if got.ID != 0 {
		checkOp(t, "the op returned with BusyError", approved, got)
	}
	checkOp(t, "GetOp", approved, get(t, s, req.ID))
	checkEvents(t, s, req.ID, requested(req), moved(req, store.Pending, approve))

	transition(t, s, holder.ID, store.Executing,
		store.Change{Fence: "replica-1", To: store.Succeeded, Actor: bot, At: at(time.Minute)})
	transition(t, s, req.ID, store.Approved, execute)
}

func testConcurrentTransitionsToExecuting(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	var reqs [racers]store.Op
	for i := range reqs {
		reqs[i] = create(t, s, terminate(fmt.Sprintf("trigger-%d", i), "prod"))
		transition(t, s, reqs[i].ID, store.Pending,
			store.Change{To: store.Approved, Actor: "U2", DecidedBy: "U2", At: at(time.Minute)})
	}
	var errs [racers]error
	race(racers, func(i int) {
		_, errs[i] = s.Transition(t.Context(), reqs[i].ID, store.Approved,
			store.Change{To: store.Executing, Actor: bot, At: at(2 * time.Minute), Holder: fmt.Sprintf("replica-%d", i), LeaseUntil: at(3 * time.Minute)})
	})
	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Fatalf("T-%d and T-%d both went executing on one app", reqs[winner].ID, reqs[i].ID)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("none of %d concurrent transitions to executing won; errors: %v", racers, errs)
	}
	for i, err := range errs {
		if i != winner {
			checkBusy(t, err, reqs[winner])
		}
	}
}

func testExpiryListing(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	soon := terminate("trigger-1", "prod")
	soon.ExpiresAt = at(time.Minute)
	soon = create(t, s, soon)
	later := terminate("trigger-2", "staging")
	later.ExpiresAt = at(10 * time.Minute)
	later = create(t, s, later)
	decided := terminate("trigger-3", "dev")
	decided.ExpiresAt = at(time.Minute)
	decided = create(t, s, decided)
	transition(t, s, decided.ID, store.Pending,
		store.Change{To: store.Denied, Actor: "U2", DecidedBy: "U2", At: at(time.Second)})
	create(t, s, pause("trigger-4", "qa")) // no ExpiresAt

	due := list(t, s, store.Filter{
		States: []store.State{store.Pending}, ExpiresBefore: at(5 * time.Minute)})
	if got := ids(due); !cmp.Equal(got, []int64{soon.ID}) {
		t.Errorf("pending ops expiring before +5m: %v, want [%d]", got, soon.ID)
	}
	due = list(t, s, store.Filter{ExpiresBefore: at(time.Hour)})
	if got, want := ids(due), []int64{decided.ID, later.ID, soon.ID}; !cmp.Equal(got, want) {
		t.Errorf("ops expiring before +1h: %v, want %v (the op with no ExpiresAt left out)", got, want)
	}
	expire := store.Change{To: store.Expired, Actor: bot, At: at(2 * time.Minute)}
	transition(t, s, soon.ID, store.Pending, expire)
	checkEvents(t, s, soon.ID, requested(soon), moved(soon, store.Pending, expire))
}

// The sweeper and an approver reach a request at the same moment: exactly
// one of them moves it.
func testExpiryRacesApproval(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	const n = 10
	var reqs [n]store.Op
	for i := range reqs {
		reqs[i] = create(t, s, terminate(fmt.Sprintf("trigger-%d", i), fmt.Sprintf("app-%d", i)))
	}
	var expireErrs, approveErrs [n]error
	race(2*n, func(i int) {
		id := reqs[i/2].ID
		if i%2 == 0 {
			_, expireErrs[i/2] = s.Transition(t.Context(), id, store.Pending,
				store.Change{To: store.Expired, Actor: bot, At: at(15 * time.Minute)})
		} else {
			_, approveErrs[i/2] = s.Transition(t.Context(), id, store.Pending,
				store.Change{To: store.Approved, Actor: "U2", DecidedBy: "U2", At: at(15 * time.Minute)})
		}
	})
	for i, req := range reqs {
		ee, ae := expireErrs[i], approveErrs[i]
		var want store.State
		switch {
		case ee == nil && errors.Is(ae, store.ErrConflict):
			want = store.Expired
		case ae == nil && errors.Is(ee, store.ErrConflict):
			want = store.Approved
		default:
			t.Errorf("T-%d: expire err = %v, approve err = %v; want exactly one nil and one ErrConflict", req.ID, ee, ae)
			continue
		}
		if got := get(t, s, req.ID); got.State != want {
			t.Errorf("T-%d is %s, want %s (the winner)", req.ID, got.State, want)
		}
		evs := events(t, s, req.ID)
		if len(evs) != 2 || evs[1].To != want {
			t.Errorf("T-%d events %+v, want requested then %s", req.ID, evs, want)
		}
	}
}

func testReclaim(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	op := create(t, s, pause("trigger-1", "prod")) // replica-1, lease until +1m

	got, err := s.Reclaim(t.Context(), op.ID, "replica-2", at(30*time.Second), at(2*time.Minute))
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Reclaim(live lease): err = %v, want ErrConflict", err)
	}
	if got.ID != 0 {
		checkOp(t, "the op returned with ErrConflict", op, got)
	}
	checkOp(t, "GetOp after a refused Reclaim", op, get(t, s, op.ID))

	got, err = s.Reclaim(t.Context(), op.ID, "replica-2", at(90*time.Second), at(3*time.Minute))
	if err != nil {
		t.Fatalf("Reclaim(ended lease): %v", err)
	}
	want := op
	want.Holder, want.LeaseUntil, want.UpdatedAt = "replica-2", at(3*time.Minute), at(90*time.Second)
	checkOp(t, "Reclaim", want, got)
	checkOp(t, "GetOp", want, get(t, s, op.ID))
	evs := events(t, s, op.ID)
	if len(evs) != 2 {
		t.Fatalf("events %+v, want requested then reclaimed", evs)
	}
	if e := evs[1]; e.Action != "reclaimed" || e.From != store.Executing || e.To != store.Executing ||
		!e.At.Equal(at(90*time.Second)) {
		t.Errorf("reclaim event %+v, want action reclaimed, executing → executing, at +90s", e)
	}

	// The new holder's lease is live in turn.
	if _, err := s.Reclaim(t.Context(), op.ID, "replica-3", at(2*time.Minute), at(4*time.Minute)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Reclaim(the new live lease): err = %v, want ErrConflict", err)
	}

	transition(t, s, op.ID, store.Executing,
		store.Change{Fence: "replica-2", To: store.Succeeded, Actor: bot, At: at(4 * time.Minute)})
	if _, err := s.Reclaim(t.Context(), op.ID, "replica-3", at(time.Hour), at(2*time.Hour)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Reclaim(succeeded op): err = %v, want ErrConflict", err)
	}
	if _, err := s.Reclaim(t.Context(), op.ID+1, "replica-3", at(time.Hour), at(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Reclaim(unknown op): err = %v, want ErrNotFound", err)
	}
}

func testSetMessage(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	op := create(t, s, terminate("trigger-1", "prod"))
	if err := s.SetMessage(t.Context(), op.ID, "C9", "1712345678.000100"); err != nil {
		t.Fatalf("SetMessage: %v", err)
	}
	got := get(t, s, op.ID)
	if got.Channel != "C9" || got.MessageTS != "1712345678.000100" {
		t.Errorf("after SetMessage: channel %q, ts %q; want C9, 1712345678.000100", got.Channel, got.MessageTS)
	}
	if got.State != store.Pending {
		t.Errorf("SetMessage moved the op to %s", got.State)
	}
	if err := s.SetMessage(t.Context(), op.ID+1, "C9", "1.2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetMessage(unknown): err = %v, want ErrNotFound", err)
	}
}

func testListOpsFilters(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	prodDone := create(t, s, pause("trigger-1", "prod"))
	prodDone = transition(t, s, prodDone.ID, store.Executing,
		store.Change{Fence: "replica-1", To: store.Succeeded, Actor: bot, At: at(time.Second)})
	stagingRun := create(t, s, pause("trigger-2", "staging")) // lease until +1m
	prodReq := create(t, s, terminate("trigger-3", "prod"))
	prodRun := pause("trigger-4", "prod")
	prodRun.LeaseUntil = at(10 * time.Minute)
	prodRun = create(t, s, prodRun)

	for _, tt := range []struct {
		name string
		f    store.Filter
		want []store.Op
	}{
		{"all, newest first", store.Filter{}, []store.Op{prodRun, prodReq, stagingRun, prodDone}},
		{"app", store.Filter{App: "prod"}, []store.Op{prodRun, prodReq, prodDone}},
		{"unknown app", store.Filter{App: "nope"}, nil},
		{"target", store.Filter{TargetKey: target("prod").Key()}, []store.Op{prodRun, prodReq, prodDone}},
		{"target and state", store.Filter{TargetKey: target("prod").Key(), States: []store.State{store.Executing}}, []store.Op{prodRun}},
		{"unknown target", store.Filter{TargetKey: target("nope").Key()}, nil},
		{"one state", store.Filter{States: []store.State{store.Executing}}, []store.Op{prodRun, stagingRun}},
		{"states", store.Filter{States: []store.State{store.Pending, store.Succeeded}}, []store.Op{prodReq, prodDone}},
		{"app and state", store.Filter{App: "prod", States: []store.State{store.Executing}}, []store.Op{prodRun}},
		{"limit", store.Filter{Limit: 2}, []store.Op{prodRun, prodReq}},
		{"app and limit", store.Filter{App: "prod", Limit: 1}, []store.Op{prodRun}},
		{"lease before", store.Filter{States: []store.State{store.Executing}, LeaseBefore: at(5 * time.Minute)}, []store.Op{stagingRun}},
		{"key", store.Filter{Key: "trigger-3"}, []store.Op{prodReq}},
		{"unknown key", store.Filter{Key: "trigger-9"}, nil},
		{"latest per app", store.Filter{LatestPerApp: true}, []store.Op{prodRun, stagingRun}},
		{"latest per app in a state", store.Filter{States: []store.State{store.Succeeded, store.Pending}, LatestPerApp: true}, []store.Op{prodReq}},
		{"latest per app, one app", store.Filter{App: "staging", LatestPerApp: true}, []store.Op{stagingRun}},
		{"latest per app, limit", store.Filter{States: []store.State{store.Executing}, LatestPerApp: true, Limit: 1}, []store.Op{prodRun}},
	} {
		got, err := s.ListOps(t.Context(), tt.f)
		if err != nil {
			t.Errorf("ListOps(%s): %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("ListOps(%s) mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

func testSnapshots(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	prod := target("prod")
	if _, err := s.Snapshot(t.Context(), prod); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Snapshot(never saved): err = %v, want ErrNotFound", err)
	}
	op := create(t, s, terminate("trigger-1", "prod"))
	first := store.Snapshot{Target: prod, App: "prod", SyncKind: "flexible_sync", OpID: op.ID, SavedAt: at(0),
		Sync: json.RawMessage(`{"state":"enabled","database_name":"app","queryable_fields_names":["owner_id"],"extra":{"é":1.50}}`)}
	if err := s.SaveSnapshot(t.Context(), first); err != nil {
		t.Fatalf("SaveSnapshot: %v", err)
	}
	check := func(what string, want store.Snapshot) {
		t.Helper()
		got, err := s.Snapshot(t.Context(), want.Target)
		if err != nil {
			t.Fatalf("Snapshot(%s): %v", want.Target.Key(), err)
		}
		checkSnapshot(t, what, want, got)
	}
	check("Snapshot", first)

	// A second save replaces the first, service id and alias label too.
	second := store.Snapshot{Target: prod, App: "production", SyncKind: "sync", OpID: op.ID, SavedAt: at(time.Minute),
		Sync: json.RawMessage(`{"state":"disabled","partition":{"key":"owner_id"}}`)}
	second.Target.ServiceID = "svc-new"
	if err := s.SaveSnapshot(t.Context(), second); err != nil {
		t.Fatalf("SaveSnapshot(again): %v", err)
	}
	check("Snapshot after a second save", second)
	// The service id is not part of the identity: asking without it finds
	// the same snapshot.
	if got, err := s.Snapshot(t.Context(), prod); err != nil {
		t.Errorf("Snapshot(%s, the old service id): %v", prod.Key(), err)
	} else {
		checkSnapshot(t, "Snapshot by the target with the old service id", second, got)
	}

	other := store.Snapshot{Target: target("staging"), App: "staging", SyncKind: "flexible_sync", SavedAt: at(time.Minute),
		Sync: json.RawMessage(`{}`)}
	if err := s.SaveSnapshot(t.Context(), other); err != nil {
		t.Fatalf("SaveSnapshot(staging): %v", err)
	}
	check("Snapshot(staging), with no op", other)
	check("Snapshot(prod) after saving staging", second)

	unbound := store.Snapshot{App: "prod", SyncKind: "sync", SavedAt: at(time.Hour), Sync: json.RawMessage(`{}`)}
	if err := s.SaveSnapshot(t.Context(), unbound); err == nil {
		t.Error("SaveSnapshot with no target succeeded")
	}
	check("Snapshot(prod) after a refused save", second)
	if _, err := s.LegacySnapshot(t.Context(), "prod"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LegacySnapshot(prod) with only bound snapshots: err = %v, want ErrNotFound", err)
	}
}

// checkSnapshot compares snapshots, the JSON byte for byte: fields syncbot
// does not own survive.
func checkSnapshot(t *testing.T, what string, want, got store.Snapshot) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b json.RawMessage) bool {
		return string(a) == string(b)
	})); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
	if got.SavedAt.Location() != time.UTC {
		t.Errorf("%s: SavedAt is in %v, want UTC", what, got.SavedAt.Location())
	}
}

// testSnapshotsByTarget: an alias re-pointed at another app does not find
// the first app's snapshot (resume would restore it on the wrong app).
func testSnapshotsByTarget(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	a, b := target("prod"), target("prod")
	b.AppID, b.ServiceID = "app-prod-2", "svc-prod-2"
	saved := store.Snapshot{Target: a, App: "prod", SyncKind: "flexible_sync", SavedAt: at(0),
		Sync: json.RawMessage(`{"state":"enabled"}`)}
	if err := s.SaveSnapshot(t.Context(), saved); err != nil {
		t.Fatalf("SaveSnapshot(A): %v", err)
	}
	if got, err := s.Snapshot(t.Context(), b); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Snapshot(B, saved for A under the same alias) = %+v, %v; want ErrNotFound", got, err)
	}
	other := store.Snapshot{Target: b, App: "prod", SyncKind: "sync", SavedAt: at(time.Minute),
		Sync: json.RawMessage(`{"state":"disabled"}`)}
	if err := s.SaveSnapshot(t.Context(), other); err != nil {
		t.Fatalf("SaveSnapshot(B): %v", err)
	}
	for _, want := range []store.Snapshot{saved, other} {
		got, err := s.Snapshot(t.Context(), want.Target)
		if err != nil {
			t.Fatalf("Snapshot(%s): %v", want.Target.Key(), err)
		}
		checkSnapshot(t, "Snapshot("+want.Target.Key()+")", want, got)
	}
}

func testPing(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func testRestart(t *testing.T, open Opener) {
	ctx := t.Context()
	s, err := open()
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	req := create(t, s, terminate("trigger-1", "prod"))
	if err := s.SetMessage(ctx, req.ID, "C1", "1.000200"); err != nil {
		t.Fatal(err)
	}
	running := create(t, s, pause("trigger-2", "staging"))
	done := create(t, s, pause("trigger-3", "dev"))
	transition(t, s, done.ID, store.Executing,
		store.Change{Fence: "replica-1", To: store.Failed, Actor: bot, At: at(time.Second), Outcome: "interrupted"})
	snap := store.Snapshot{Target: req.Target, App: "prod", SyncKind: "flexible_sync", OpID: req.ID, SavedAt: at(0),
		Sync: json.RawMessage(`{"state":"enabled"}`)}
	if err := s.SaveSnapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	before := list(t, s, store.Filter{})
	logs := map[int64][]store.Event{}
	for _, op := range before {
		logs[op.ID] = events(t, s, op.ID)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	s = mustOpen(t, open)
	after := list(t, s, store.Filter{})
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("ops after a restart (-before +after):\n%s", diff)
	}
	for id, want := range logs {
		got := events(t, s, id)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("events of T-%d after a restart (-before +after):\n%s", id, diff)
		}
	}
	pending := list(t, s, store.Filter{States: []store.State{store.Pending}})
	if got := ids(pending); !cmp.Equal(got, []int64{req.ID}) {
		t.Errorf("pending requests after a restart: %v, want [%d]", got, req.ID)
	}
	got, err := s.Snapshot(ctx, req.Target)
	if err != nil || string(got.Sync) != string(snap.Sync) || !got.SavedAt.Equal(snap.SavedAt) {
		t.Errorf("Snapshot after a restart = %+v, %v; want %+v", got, err, snap)
	}
	// The constraints survive as well as the rows.
	_, _, err = s.CreateOp(ctx, pause("trigger-5", "staging"), at(time.Minute))
	checkBusy(t, err, running)
	replay, created, err := s.CreateOp(ctx, terminate("trigger-1", "prod"), at(time.Minute))
	if err != nil || created || replay.ID != req.ID {
		t.Errorf("replayed CreateOp after a restart = T-%d, created %v, %v; want T-%d, not created",
			replay.ID, created, err, req.ID)
	}
	// New IDs do not reuse old ones.
	if next := create(t, s, terminate("trigger-6", "qa")); next.ID <= before[0].ID {
		t.Errorf("new op after a restart got ID %d, not above %d", next.ID, before[0].ID)
	}
}

func ids(ops []store.Op) []int64 {
	var out []int64
	for _, op := range ops {
		out = append(out, op.ID)
	}
	return out
}

// testReminderClaimedOnce: racing claimers of one reminder, one winner; a
// claim survives a restart; other keys are independent.
func testReminderClaimedOnce(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	start := make(chan struct{})
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := s.ClaimReminder(t.Context(), "expiry/42", at(0))
			if err != nil {
				t.Errorf("ClaimReminder: %v", err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Fatalf("%d claims won, want 1", n)
	}
	if ok, err := s.ClaimReminder(t.Context(), "expiry/43", at(0)); err != nil || !ok {
		t.Errorf("another key: %v, %v", ok, err)
	}
	if _, err := s.ClaimReminder(t.Context(), "", at(0)); err == nil {
		t.Error("an empty key was accepted")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, open)
	if ok, err := s.ClaimReminder(t.Context(), "expiry/42", at(time.Hour)); err != nil || ok {
		t.Errorf("claim after restart: %v, %v (want already claimed)", ok, err)
	}
}

// testShown: a finished op is listed as unshown until MarkShown, which one
// caller of many wins, and only for the op's current state; one whose post
// failed (no message) is listed too, so that it is posted again; ops
// finished quietly (answered to the asker alone), and running ones, are
// never listed.
func testShown(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	withMessage := func(op store.Op) store.Op {
		t.Helper()
		op = create(t, s, op)
		if err := s.SetMessage(t.Context(), op.ID, "C1", fmt.Sprintf("1700000000.%06d", op.ID)); err != nil {
			t.Fatalf("SetMessage: %v", err)
		}
		return op
	}
	done := withMessage(pause("trigger-1", "prod"))
	done = transition(t, s, done.ID, store.Executing, store.Change{Fence: "replica-1", To: store.Succeeded, Actor: bot, At: at(time.Minute)})
	silent := create(t, s, pause("trigger-2", "staging")) // a no-op: answered to the asker alone
	silent = transition(t, s, silent.ID, store.Executing, store.Change{Fence: "replica-1", To: store.Succeeded, Actor: bot, At: at(time.Minute), Quiet: true})
	if silent.Shown != store.Succeeded {
		t.Errorf("Shown after a quiet transition = %q, want succeeded", silent.Shown)
	}
	withMessage(pause("trigger-3", "legacy")) // still running
	denied := withMessage(terminate("trigger-4", "prod"))
	denied = transition(t, s, denied.ID, store.Pending, store.Change{To: store.Denied, Actor: "U2", At: at(2 * time.Minute), DecidedBy: "U2"})
	unposted := create(t, s, pause("trigger-5", "qa")) // every post of it failed
	unposted = transition(t, s, unposted.ID, store.Executing, store.Change{Fence: "replica-1", To: store.Failed, Actor: bot, At: at(3 * time.Minute), Outcome: "x"})

	ids := func(f store.Filter) []int64 {
		t.Helper()
		var out []int64
		for _, op := range list(t, s, f) {
			out = append(out, op.ID)
		}
		return out
	}
	if got, want := ids(store.Filter{Unshown: true}), []int64{unposted.ID, denied.ID, done.ID}; !slices.Equal(got, want) {
		t.Errorf("unshown = %v, want %v", got, want)
	}
	if got, want := ids(store.Filter{Unshown: true, UpdatedBefore: at(2 * time.Minute)}), []int64{done.ID}; !slices.Equal(got, want) {
		t.Errorf("unshown, updated before +2m = %v, want %v", got, want)
	}
	if ok, err := s.MarkShown(t.Context(), done.ID, store.Failed); err != nil || ok {
		t.Errorf("MarkShown(a state the op is not in) = %v, %v; want false", ok, err)
	}

	start := make(chan struct{})
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := s.MarkShown(t.Context(), done.ID, store.Succeeded)
			if err != nil {
				t.Errorf("MarkShown: %v", err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Errorf("%d of %d MarkShown won, want 1", n, racers)
	}
	if got := get(t, s, done.ID).Shown; got != store.Succeeded {
		t.Errorf("Shown = %q, want succeeded", got)
	}
	if got, want := ids(store.Filter{Unshown: true}), []int64{unposted.ID, denied.ID}; !slices.Equal(got, want) {
		t.Errorf("unshown after MarkShown = %v, want %v", got, want)
	}
	if ok, err := s.MarkShown(t.Context(), unposted.ID, store.Failed); err != nil || !ok {
		t.Errorf("MarkShown(an op without a message) = %v, %v; want true", ok, err)
	}
	if got, want := ids(store.Filter{Unshown: true}), []int64{denied.ID}; !slices.Equal(got, want) {
		t.Errorf("unshown after marking the unposted op = %v, want %v", got, want)
	}
}

// testQuietNeedsAFinalState: Quiet is refused (as a caller's bug, not a
// race) on a move to a state that is not final, and nothing changes.
func testQuietNeedsAFinalState(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	req := create(t, s, terminate("trigger-1", "prod"))
	_, err := s.Transition(t.Context(), req.ID, store.Pending, store.Change{To: store.Approved, Actor: "U2", At: at(time.Minute), DecidedBy: "U2", Quiet: true})
	if err == nil || errors.Is(err, store.ErrConflict) {
		t.Errorf("quiet move to approved = %v, want a refusal that is not a conflict", err)
	}
	checkOp(t, "after the refused move", req, get(t, s, req.ID))
}

// breakGlass is a break-glass terminate as the bot journals it: created
// executing, with no approver.
func breakGlass(key, app string) store.Op {
	op := terminate(key, app)
	op.State, op.ExpiresAt, op.BreakGlass = store.Executing, time.Time{}, true
	op.Holder, op.LeaseUntil = "replica-1", at(time.Minute)
	op.Reason = "prod is corrupting client data; no approver answers"
	return op
}

// testBreakGlass: a break-glass op is marked as such in the journal and the
// audit log, is listed as unreviewed until an approver acknowledges it
// (which changes neither its state nor UpdatedAt), and all of it survives
// a restart.
func testBreakGlass(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	ctx := t.Context()
	bg := create(t, s, breakGlass("trigger-1", "prod"))
	if !bg.BreakGlass || bg.ReviewedBy != "" || !bg.ReviewedAt.IsZero() {
		t.Errorf("created break-glass op = %+v", bg)
	}
	normal := create(t, s, terminate("trigger-2", "staging"))
	if normal.BreakGlass {
		t.Error("a normal request is marked break-glass")
	}
	checkEvents(t, s, bg.ID, store.Event{OpID: bg.ID, At: at(0), Actor: bg.Requester, Action: "break-glass", To: store.Executing, Detail: bg.Reason})
	if got := ids(list(t, s, store.Filter{Unreviewed: true})); !slices.Equal(got, []int64{bg.ID}) {
		t.Errorf("unreviewed = %v, want [%d]", got, bg.ID)
	}

	done := store.Change{To: store.Succeeded, Actor: bot, At: at(time.Minute), Outcome: "running → terminated", Fence: "replica-1"}
	bg = transition(t, s, bg.ID, store.Executing, done)
	acked, err := s.Acknowledge(ctx, bg.ID, "U2", at(time.Hour))
	if err != nil {
		t.Fatalf("Acknowledge: %v", err)
	}
	want := bg
	want.ReviewedBy, want.ReviewedAt = "U2", at(time.Hour)
	checkOp(t, "Acknowledge", want, acked)
	if acked.ReviewedAt.Location() != time.UTC {
		t.Errorf("ReviewedAt is in %v, want UTC", acked.ReviewedAt.Location())
	}
	checkEvents(t, s, bg.ID,
		store.Event{OpID: bg.ID, At: at(0), Actor: bg.Requester, Action: "break-glass", To: store.Executing, Detail: bg.Reason},
		moved(bg, store.Executing, done),
		store.Event{OpID: bg.ID, At: at(time.Hour), Actor: "U2", Action: "acknowledged", From: store.Succeeded, To: store.Succeeded, Detail: "break-glass reviewed"})
	if got := list(t, s, store.Filter{Unreviewed: true}); len(got) != 0 {
		t.Errorf("unreviewed after the acknowledgement = %v", ids(got))
	}

	again, err := s.Acknowledge(ctx, bg.ID, "U3", at(2*time.Hour))
	if !errors.Is(err, store.ErrConflict) || again.ReviewedBy != "U2" {
		t.Errorf("second Acknowledge = %+v, %v; want ErrConflict and the op reviewed by U2", again, err)
	}
	if cur, err := s.Acknowledge(ctx, normal.ID, "U2", at(time.Hour)); !errors.Is(err, store.ErrConflict) || cur.ID != normal.ID || cur.ReviewedBy != "" {
		t.Errorf("Acknowledge(a normal request) = %+v, %v; want ErrConflict and the op untouched", cur, err)
	}
	if _, err := s.Acknowledge(ctx, 9999, "U2", at(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Acknowledge(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.Acknowledge(ctx, bg.ID, "", at(time.Hour)); err == nil || errors.Is(err, store.ErrConflict) {
		t.Errorf("Acknowledge without a reviewer = %v, want a refusal", err)
	}
	checkEvents(t, s, normal.ID, requested(normal))

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, open)
	checkOp(t, "GetOp after a restart", want, get(t, s, bg.ID))
}

// testAcknowledgeRace: of many approvers acknowledging at once, one wins and
// one event is written.
func testAcknowledgeRace(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	bg := create(t, s, breakGlass("trigger-1", "prod"))
	var wins atomic.Int32
	race(racers, func(i int) {
		op, err := s.Acknowledge(t.Context(), bg.ID, fmt.Sprintf("U%d", 100+i), at(time.Minute))
		switch {
		case err == nil:
			wins.Add(1)
		case errors.Is(err, store.ErrConflict):
			if op.ReviewedBy == "" {
				t.Errorf("a lost Acknowledge returned an op not reviewed: %+v", op)
			}
		default:
			t.Errorf("Acknowledge: %v", err)
		}
	})
	if n := wins.Load(); n != 1 {
		t.Fatalf("%d of %d Acknowledge won, want 1", n, racers)
	}
	n := 0
	for _, e := range events(t, s, bg.ID) {
		if e.Action == "acknowledged" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d acknowledged events, want 1", n)
	}
}

// testBreakGlassOnlyForTerminate: a pause or resume cannot be break-glass.
func testBreakGlassOnlyForTerminate(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	op := pause("trigger-1", "prod")
	op.BreakGlass = true
	if _, _, err := s.CreateOp(t.Context(), op, at(0)); err == nil {
		t.Error("a break-glass pause was accepted")
	}
	if got := list(t, s, store.Filter{}); len(got) != 0 {
		t.Errorf("ops after the refusal: %v", ids(got))
	}
}
