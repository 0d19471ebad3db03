package bench

import (
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/fakeadmin"
)

// TestSmoke runs every benchmark scenario once, tiny and with a small
// latency, so the benchmark cannot rot unnoticed. It checks what was
// answered and counted; it never checks how long anything took.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bot binary")
	}
	const latency = 20 * time.Millisecond

	t.Run("acks", func(t *testing.T) {
		w := newWorld(t, "app", 2, fakeadmin.Options{})
		w.admin.SetLatency(latency)
		if r := runBareAcks(w, 5); len(r.acks) != 5 {
			t.Errorf("bare handler: %d acks", len(r.acks))
		}
		r := runStatusBurst(w, 5, true)
		if len(r.acks) != 5 || r.idle <= 0 || r.peak < r.idle {
			t.Errorf("bot: %d acks, idle %d, peak %d", len(r.acks), r.idle, r.peak)
		}
	})
	t.Run("idle", func(t *testing.T) {
		w := newWorld(t, "app", 3, fakeadmin.Options{})
		r := runIdle(w, 0)
		if m := r.settled; r.warm <= 0 || r.idle.rss <= 0 || m.anon <= 0 || m.file <= 0 || m.anon+m.file > m.rss {
			t.Errorf("warm-up %v, idle %+v, settled %+v", r.warm, r.idle, m)
		}
	})
	t.Run("status-at-connect", func(t *testing.T) {
		w := newWorld(t, "app", 2, fakeadmin.Options{})
		w.admin.SetLatency(latency)
		runStatusBurst(w, 4, false)
	})
	t.Run("pauses", func(t *testing.T) {
		w := newWorld(t, "p", 4, fakeadmin.Options{})
		r := runPauseBurst(w, latency)
		if r.failed != 0 || r.callsPerChange != 3 || r.authCalls != 0 {
			t.Errorf("failed %d, calls per change %v (want 3), auth calls %d", r.failed, r.callsPerChange, r.authCalls)
		}
		for _, id := range w.ids {
			if s, _ := w.admin.SyncState(group, id); s != "disabled" {
				t.Errorf("app %s is %q after the burst", id, s)
			}
		}
	})
	t.Run("changes", func(t *testing.T) {
		w := newWorld(t, "p", 1, fakeadmin.Options{})
		for i, r := range runChanges(w, latency, 2) {
			if r.callsPerChange != 3 || r.ownTime() <= 0 {
				t.Errorf("change %d: %v calls (want 3), own time %v", i, r.callsPerChange, r.ownTime())
			}
		}
	})
	t.Run("terminates", func(t *testing.T) {
		w := newWorld(t, "t", 3, fakeadmin.Options{})
		r := runTerminates(w, latency)
		if r.failed != 0 || r.callsPerChange != 3 {
			t.Errorf("failed %d, calls per terminate %v (want 3)", r.failed, r.callsPerChange)
		}
		if n := len(w.admin.Patches()); n != 3 {
			t.Errorf("%d PATCHes, want 3", n)
		}
	})
	t.Run("token-hour", func(t *testing.T) {
		r := runHour(t, 60)
		if r.logins != 1 || r.refreshes != 2 {
			t.Errorf("an hour with 30-minute tokens: %d logins, %d refreshes; want 1 and 2", r.logins, r.refreshes)
		}
		for i, n := range r.callsPerChange {
			if n != 3 {
				t.Errorf("change %d made %d Admin API calls, want 3", i, n)
			}
		}
	})
}
