package service_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/target"
)

// Each promise below once broke (issue 15); each test fails on the code
// before the fix, on both stores.

// An approval acts on the app the request was made for. When the alias has
// been re-pointed meanwhile (SYNC_APPS changed, the bot restarted), the
// approval is refused and nothing is sent to either app.
func TestApprovalOfARepointedAliasSendsNothing(t *testing.T) {
	for name, opener := range stores {
		t.Run(name, func(t *testing.T) {
			open := opener(t)
			clk := clock.NewFake(t0)
			admin := newAdmin(t, clk)
			st := open()
			before := newWorld(t, st, worldOptions{admin: admin, clock: clk, apps: map[string]string{"prod": appA}})
			before.command(alice, "terminate prod clients stuck")
			st.Close()

			st = open()
			defer st.Close()
			after := newWorld(t, st, worldOptions{admin: admin, clock: clk, apps: map[string]string{"prod": appB}})
			after.click(bob, messages.ActionApprove, 1)

			op := after.op(1)
			if op.State != store.Failed || !strings.Contains(op.Outcome, "`prod` now names another app") {
				t.Errorf("T-1 is %s: %q; want failed, prod names another app", op.State, op.Outcome)
			}
			if a, b := after.patches(appA), after.patches(appB); a+b != 0 {
				t.Errorf("PATCHes sent: %d to A, %d to B; want none", a, b)
			}
			if a, b := after.state(appA), after.state(appB); a != adminapi.StateEnabled || b != adminapi.StateEnabled {
				t.Errorf("sync of A %q, of B %q; want both running", a, b)
			}
			if shown := after.slack.shown(op); !strings.Contains(shown, "terminate of prod failed") {
				t.Errorf("the card shows %q", shown)
			}
		})
	}
}

// A saved configuration is restored only to the app it was saved from:
// after prod is re-pointed at app B, resuming prod does not re-send app A's
// database, permissions and fields to B.
func TestResumeRestoresOnlyTheSameAppsConfiguration(t *testing.T) {
	for name, opener := range stores {
		t.Run(name, func(t *testing.T) {
			open := opener(t)
			clk := clock.NewFake(t0)
			admin := newAdmin(t, clk)
			admin.SetSync(groupID, appA, adminapi.KindFlexible, []byte(`{"state":"enabled","database_name":"alpha_db","queryable_fields_names":["owner"]}`))
			st := open()
			w := newWorld(t, st, worldOptions{admin: admin, clock: clk, apps: map[string]string{"prod": appA}})
			w.command(alice, "terminate prod move to the new app")
			w.click(bob, messages.ActionApprove, 1)
			if w.state(appA) != adminapi.StateTerminated {
				t.Fatalf("A not terminated: %q", w.state(appA))
			}
			st.Close()

			// B was terminated outside syncbot: nothing of its own is left.
			admin.SetSync(groupID, appB, adminapi.KindFlexible, []byte(`{"state":""}`))
			st = open()
			defer st.Close()
			w = newWorld(t, st, worldOptions{admin: admin, clock: clk, apps: map[string]string{"prod": appB, "alpha": appA}})
			w.command(alice, "resume prod")
			if n := w.patches(appB); n != 0 {
				t.Errorf("%d PATCHes to B: %s", n, admin.SyncObject(groupID, appB))
			}
			if got := w.slack.lastWhisper(); !strings.Contains(got, "no saved configuration") {
				t.Errorf("resume of B answered %q", got)
			}
			w.command(alice, "resume alpha")
			if got := string(admin.SyncObject(groupID, appA)); w.state(appA) != adminapi.StateEnabled || !strings.Contains(got, "alpha_db") {
				t.Errorf("A resumed to %s", got)
			}
		})
	}
}

// A worker slower than its lease (Slack rate-limits its post) keeps the
// operation: it renews the lease while it waits, so the sweeper never takes
// it over, and Atlas, the journal and the card agree, with one PATCH.
func TestSlowWorkerKeepsItsOperation(t *testing.T) {
	for name, opener := range stores {
		t.Run(name, func(t *testing.T) {
			st := opener(t)()
			defer st.Close()
			w := newWorld(t, st, worldOptions{})
			slow := w.slack.slowFirstPost()
			done := w.commandInBackground(alice, "pause prod")
			<-slow.entered
			w.advanceRenewing(8, lease/4) // twice the lease, the sweeper sweeping after each step
			close(slow.release)
			<-done

			op := w.op(1)
			if op.State != store.Succeeded || w.patches(appA) != 1 || w.state(appA) != adminapi.StateDisabled {
				t.Errorf("journal %s, %d PATCHes, Atlas %q; want succeeded, 1, disabled", op.State, w.patches(appA), w.state(appA))
			}
			if shown := w.slack.shown(op); !strings.Contains(shown, "Paused sync for prod") {
				t.Errorf("the channel shows %q", shown)
			}
			if evs := actions(t, w, op); strings.Contains(evs, "reclaimed") {
				t.Errorf("the sweeper took over a live worker: %s", evs)
			}
		})
	}
}

// A worker that cannot renew its lease (its journal connection is down)
// and is slower than the lease loses the operation to the sweeper: it then
// sends nothing, and Atlas, the journal and the card agree.
func TestWorkerThatLostItsLeaseSendsNothing(t *testing.T) {
	for name, opener := range stores {
		t.Run(name, func(t *testing.T) {
			st := opener(t)()
			defer st.Close()
			w := newWorld(t, st, worldOptions{store: failingRenew})
			slow := w.slack.slowFirstPost()
			done := w.commandInBackground(alice, "pause prod")
			<-slow.entered
			w.advanceRenewing(5, lease/4) // past the lease
			close(slow.release)
			<-done

			op := w.op(1)
			if op.State != store.Failed || w.patches(appA) != 0 || w.state(appA) != adminapi.StateEnabled {
				t.Errorf("journal %s, %d PATCHes, Atlas %q; want failed, 0, enabled", op.State, w.patches(appA), w.state(appA))
			}
			if shown := w.slack.shown(op); !strings.Contains(shown, "Pause of prod failed") {
				t.Errorf("the channel shows %q", shown)
			}
			for ts, m := range w.slack.allShown() {
				if strings.HasSuffix(m, "…") {
					t.Errorf("message %s still says %q", ts, m)
				}
			}
		})
	}
}

// A change that lands after the sweeper settled its operation (the worker
// could not renew, and its PATCH was slow) is not left as a lie: the
// sweeper says unknown, not failed, and the worker re-reads Atlas and the
// journal and the card are corrected to what is true.
func TestLateChangeCorrectsTheJournal(t *testing.T) {
	for name, opener := range stores {
		t.Run(name, func(t *testing.T) {
			st := opener(t)()
			defer st.Close()
			gate := &slowApply{entered: make(chan struct{}), release: make(chan struct{})}
			w := newWorld(t, st, worldOptions{store: failingRenew, kind: gate.wrap})
			done := w.commandInBackground(alice, "pause prod")
			<-gate.entered
			w.advanceRenewing(5, lease/4)
			// The sweeper sees the change was fenced (it may have been
			// sent): it settles the op unknown, never "failed, nothing sent".
			if op := w.op(1); op.State != store.Unknown {
				t.Fatalf("the sweeper settled the abandoned op as %s, want unknown", op.State)
			}
			close(gate.release)
			<-done

			op := w.op(1)
			if op.State != store.Succeeded || !strings.Contains(op.Outcome, "corrected") || w.patches(appA) != 1 || w.state(appA) != adminapi.StateDisabled {
				t.Errorf("journal %s %q, %d PATCHes, Atlas %q; want succeeded (corrected), 1, disabled", op.State, op.Outcome, w.patches(appA), w.state(appA))
			}
			if shown := w.slack.shown(op); !strings.Contains(shown, "Paused sync for prod") {
				t.Errorf("the channel shows %q", shown)
			}
			if evs := actions(t, w, op); !strings.Contains(evs, "amended") {
				t.Errorf("audit log %s has no correction", evs)
			}
		})
	}
}

func actions(t *testing.T, w *world, op store.Op) string {
	evs, err := w.st.Events(t.Context(), op.ID)
	if err != nil {
		t.Fatal(err)
	}
	var a []string
	for _, e := range evs {
		a = append(a, e.Action)
	}
	return strings.Join(a, ", ")
}

// commandInBackground runs a command in its own goroutine; the channel
// closes when it has returned.
func (w *world) commandInBackground(user, text string) <-chan struct{} {
	done := make(chan struct{})
	go func() { defer close(done); w.command(user, text) }()
	return done
}

// advanceRenewing moves the clock n times by d, each time waiting for the
// running operation's lease renewal to come round (it parks on the clock
// again once it has written), then running the reconcile of another
// replica (holder p2) on the same journal.
func (w *world) advanceRenewing(n int, d time.Duration) {
	other := newWorld(w.t, w.st, worldOptions{admin: w.admin, clock: w.clock, holder: "p2", slack: w.slack})
	w.t.Helper()
	for range n {
		for w.clock.Waiters() < 1 {
			select {
			case <-w.clock.Added():
			case <-time.After(10 * time.Second):
				w.t.Fatal("nothing renews the running operation's lease")
			}
		}
		select {
		case <-w.clock.Added():
		default:
		}
		w.clock.Advance(d)
		select {
		case <-w.clock.Added():
		case <-time.After(10 * time.Second):
			w.t.Fatal("the lease renewal did not come round")
		}
		other.sw.Reconcile(w.t.Context(), false)
	}
}

// gate holds the first channel post until released.
type gate struct{ entered, release chan struct{} }

func (r *recorder) slowFirstPost() gate {
	g := gate{entered: make(chan struct{}), release: make(chan struct{})}
	var first atomic.Bool
	r.mu.Lock()
	r.onPost = func() {
		// Not a sync.Once: other posts must not wait for the first.
		if first.CompareAndSwap(false, true) {
			close(g.entered)
			<-g.release
		}
	}
	r.mu.Unlock()
	return g
}

func (r *recorder) allShown() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]string{}
	for ts, m := range r.updates {
		out[ts] = m.Text
	}
	return out
}

// failingRenew is a journal whose lease renewals never arrive.
func failingRenew(st store.Store) store.Store { return noRenew{st} }

type noRenew struct{ store.Store }

func (noRenew) Renew(context.Context, int64, string, time.Time) error {
	return errors.New("journal unreachable")
}

// slowApply holds the effect of a kind until released, as a slow PATCH.
type slowApply struct {
	target.Kind
	entered, release chan struct{}
}

func (s *slowApply) wrap(k target.Kind) target.Kind { s.Kind = k; return s }

func (s *slowApply) Apply(ctx context.Context, t store.Target, r target.Reading, to string) error {
	close(s.entered)
	<-s.release
	return s.Kind.Apply(ctx, t, r, to)
}

// The sweeper of the worker's own process takes over too when the worker
// stops renewing (its journal connection was down): the fence must shut
// the worker out as surely as for another replica, so nothing is sent.
func TestOwnSweeperTakeoverFencesTheWorkerOut(t *testing.T) {
	st := stores["sqlite"](t)()
	defer st.Close()
	gate := &slowRead{entered: make(chan struct{}), release: make(chan struct{})}
	w := newWorld(t, st, worldOptions{store: failingRenew, kind: gate.wrap})
	done := w.commandInBackground(alice, "pause prod")
	<-gate.entered
	for range 5 {
		for w.clock.Waiters() < 1 {
			<-w.clock.Added()
		}
		select {
		case <-w.clock.Added():
		default:
		}
		w.clock.Advance(lease / 4)
		<-w.clock.Added()
	}
	// This process's own sweeper, not another replica's, takes the op
	// over; it cannot read Atlas just now, so the op stays executing,
	// under the sweeper's fresh lease.
	gate.failRead.Store(true)
	w.sw.Reconcile(t.Context(), false)
	gate.failRead.Store(false)
	if evs := actions(t, w, w.op(1)); !strings.Contains(evs, "reclaimed") {
		t.Fatalf("the sweeper did not take the op over: %s", evs)
	}
	close(gate.release)
	<-done
	if n := w.patches(appA); n != 0 {
		t.Errorf("the worker sent %d PATCHes after its own sweeper took its op over", n)
	}
	if op := w.op(1); op.State == store.Succeeded {
		t.Errorf("journal %s after the worker was fenced out", op.State)
	}
}

// slowRead holds the first read for a change until released, as a slow
// Admin API, and fails plain reads on demand.
type slowRead struct {
	target.Kind
	once             atomic.Bool
	failRead         atomic.Bool // Read fails while set
	entered, release chan struct{}
}

func (s *slowRead) Read(ctx context.Context, t store.Target) (target.Reading, error) {
	if s.failRead.Load() {
		return target.Reading{}, errors.New("atlas unreachable")
	}
	return s.Kind.Read(ctx, t)
}

func (s *slowRead) wrap(k target.Kind) target.Kind { s.Kind = k; return s }

func (s *slowRead) ReadForChange(ctx context.Context, t store.Target) (target.Reading, error) {
	if s.once.CompareAndSwap(false, true) {
		close(s.entered)
		<-s.release
	}
	return s.Kind.ReadForChange(ctx, t)
}
