package retry_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/syncbot/syncbot/internal/retry"
)

func TestOr(t *testing.T) {
	d := retry.Policy{Attempts: 4, BaseDelay: 1, MaxDelay: 2, MaxRetryAfter: 3, AfterJitter: 4, Total: 5}
	tests := []struct {
		name string
		in   retry.Policy
		want retry.Policy
	}{
		{"zero takes every default", retry.Policy{}, d},
		{"negative takes the default", retry.Policy{Attempts: -1, BaseDelay: -1, MaxDelay: -1, MaxRetryAfter: -1, AfterJitter: -1, Total: -1}, d},
		{"set fields stay", retry.Policy{Attempts: 1, Total: 9}, retry.Policy{Attempts: 1, BaseDelay: 1, MaxDelay: 2, MaxRetryAfter: 3, AfterJitter: 4, Total: 9}},
	}
	for _, tt := range tests {
		if got := tt.in.Or(d); got != tt.want {
			t.Errorf("%s: Or = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	p := retry.Policy{BaseDelay: 200 * time.Millisecond, MaxDelay: time.Second}
	tests := []struct {
		n    int
		want time.Duration // before jitter; the wait is in [want/2, want]
	}{
		{1, 200 * time.Millisecond},
		{2, 400 * time.Millisecond},
		{3, 800 * time.Millisecond},
		{4, time.Second}, // capped
		{40, time.Second},
	}
	for _, tt := range tests {
		lo, hi := tt.want, time.Duration(0)
		for range 200 {
			d := p.Backoff(tt.n)
			lo, hi = min(lo, d), max(hi, d)
		}
		if lo < tt.want/2 || hi > tt.want {
			t.Errorf("Backoff(%d) ranged over [%v, %v], want within [%v, %v]", tt.n, lo, hi, tt.want/2, tt.want)
		}
		// 200 draws from a range this wide cannot all land in one half
		// unless the jitter is gone.
		if hi-lo < tt.want/4 {
			t.Errorf("Backoff(%d) ranged over [%v, %v]: no jitter", tt.n, lo, hi)
		}
	}
}

func TestNext(t *testing.T) {
	p := retry.Policy{Attempts: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxRetryAfter: 30 * time.Second}
	jittered := p
	jittered.AfterJitter = 250 * time.Millisecond
	tests := []struct {
		name       string
		p          retry.Policy
		failed     int
		retryAfter time.Duration
		min, max   time.Duration
		err        error
	}{
		{"first failure backs off", p, 1, 0, 50 * time.Millisecond, 100 * time.Millisecond, nil},
		{"third failure backs off more", p, 3, 0, 200 * time.Millisecond, 400 * time.Millisecond, nil},
		{"attempts spent", p, 4, 0, 0, 0, retry.ErrAttempts},
		{"attempts spent beats a Retry-After", p, 4, time.Second, 0, 0, retry.ErrAttempts},
		{"Retry-After replaces the backoff", p, 1, 7 * time.Second, 7 * time.Second, 7 * time.Second, nil},
		{"Retry-After is not capped by MaxDelay", p, 1, 30 * time.Second, 30 * time.Second, 30 * time.Second, nil},
		{"Retry-After beyond MaxRetryAfter gives up", p, 1, 31 * time.Second, 0, 0, retry.ErrRetryAfter},
		{"no MaxRetryAfter waits any", retry.Policy{Attempts: 2}, 1, time.Hour, time.Hour, time.Hour, nil},
		{"Retry-After jitter", jittered, 1, time.Second, time.Second, 1250 * time.Millisecond, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wait, err := tt.p.Next(tt.failed, tt.retryAfter)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("Next = %v, %v; want error %v", wait, err, tt.err)
			}
			if wait < tt.min || wait > tt.max {
				t.Errorf("Next = %v, want in [%v, %v]", wait, tt.min, tt.max)
			}
		})
	}
}

// TestBudgetTiming runs a call loop on the real clock inside a synctest
// bubble: every attempt fails, and the loop waits what the budget says.
func TestBudgetTiming(t *testing.T) {
	p := retry.Policy{Attempts: 4, BaseDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second, Total: 30 * time.Second}
	tests := []struct {
		name       string
		p          retry.Policy
		retryAfter time.Duration
		want       []time.Duration // when each attempt is made
		wantErr    error
	}{
		// The fourth attempt ends exactly on the 30s bound.
		{"Retry-After 10", p, 10 * time.Second, []time.Duration{0, 10 * time.Second, 20 * time.Second, 30 * time.Second}, retry.ErrAttempts},
		// A wait that would end past the bound is not started.
		{"Retry-After 11", p, 11 * time.Second, []time.Duration{0, 11 * time.Second, 22 * time.Second}, retry.ErrTotal},
		{"Retry-After past the bound at once", p, 45 * time.Second, []time.Duration{0}, retry.ErrTotal},
		{"no Total", retry.Policy{Attempts: 3}, time.Hour, []time.Duration{0, time.Hour, 2 * time.Hour}, retry.ErrAttempts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				b := tt.p.Begin(start)
				var got []time.Duration
				var err error
				for {
					got = append(got, time.Since(start)) // an attempt, failed
					var wait time.Duration
					if wait, err = b.Next(time.Now(), tt.retryAfter); err != nil {
						break
					}
					time.Sleep(wait)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("attempt times (-want +got):\n%s", diff)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("gave up with %v, want %v", err, tt.wantErr)
				}
				if b.Attempts() != len(tt.want) {
					t.Errorf("Attempts = %d, want %d", b.Attempts(), len(tt.want))
				}
			})
		})
	}
	t.Run("backoff doubles with jitter", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := p.Begin(time.Now())
			var waits []time.Duration
			for {
				w, err := b.Next(time.Now(), 0)
				if err != nil {
					break
				}
				waits = append(waits, w)
				time.Sleep(w)
			}
			if len(waits) != 3 || b.Attempts() != 4 {
				t.Fatalf("waits = %v after %d attempts, want 3 waits and 4 attempts", waits, b.Attempts())
			}
			for i, base := range []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond} {
				if waits[i] < base/2 || waits[i] > base {
					t.Errorf("wait %d = %v, want in [%v, %v]", i+1, waits[i], base/2, base)
				}
			}
		})
	})
}

func TestParseRetryAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"": 0, "7": 7 * time.Second, " 3 ": 3 * time.Second, "0": 0, "-1": 0, "soon": 0, "1.5": 0,
		"Wed, 21 Oct 2015 07:28:00 GMT": 0, "999999999": 24 * time.Hour, "99999999999999999999": 0,
	} {
		if got := retry.ParseRetryAfter(in); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}
