package adminapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/fakeadmin"
)

// TestRetryPolicy checks what is retried, end to end against the fake: a
// fault that hits once, then the call is made again (or not).
func TestRetryPolicy(t *testing.T) {
	tests := []struct {
		name      string
		method    string // GET = OpenDraft; PATCH = SetState
		status    int    // 0 = connection dropped
		wantCalls int    // calls to the faulted route
		wantErr   bool
	}{
		{"GET 429", http.MethodGet, 429, 2, false},
		{"GET 500", http.MethodGet, 500, 2, false},
		{"GET 502", http.MethodGet, 502, 2, false},
		{"GET 503", http.MethodGet, 503, 2, false},
		{"GET network error", http.MethodGet, 0, 2, false},
		{"GET 400", http.MethodGet, 400, 1, true},
		{"GET 401", http.MethodGet, 401, 1, true},
		{"GET 403", http.MethodGet, 403, 1, true},
		{"GET 404", http.MethodGet, 404, 1, true},
		{"GET 409", http.MethodGet, 409, 1, true},
		{"GET 501", http.MethodGet, 501, 1, true},
		{"PATCH 400", http.MethodPatch, 400, 1, true},
		{"PATCH 401", http.MethodPatch, 401, 1, true},
		{"PATCH 403", http.MethodPatch, 403, 1, true},
		{"PATCH 404", http.MethodPatch, 404, 1, true},
		{"PATCH 409", http.MethodPatch, 409, 1, true},
		{"PATCH 501", http.MethodPatch, 501, 1, true},
		// Unknown outcome: read back, then sent again (not applied).
		{"PATCH 500", http.MethodPatch, 500, 2, false},
		{"PATCH 503", http.MethodPatch, 503, 2, false},
		{"PATCH 429", http.MethodPatch, 429, 2, false},
		{"PATCH network error", http.MethodPatch, 0, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			cfg, err := e.client.Sync(t.Context(), e.app)
			if err != nil {
				t.Fatal(err)
			}
			path := "/drafts"
			if tt.method == http.MethodPatch {
				path = "/config"
			}
			e.fake.Inject(fakeadmin.Fault{Method: tt.method, PathContains: path, Status: tt.status, Times: 1,
				Body: `{"error":"injected"}`})
			err = drive(t, e.clk, 5*time.Second, func() error {
				if tt.method == http.MethodPatch {
					return e.client.SetState(t.Context(), e.app, cfg.Kind, cfg.Object, adminapi.StateDisabled)
				}
				_, err := e.client.OpenDraft(t.Context(), e.app)
				return err
			})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got := count(e.fake.Calls(), tt.method, path); got != tt.wantCalls {
				t.Errorf("%s %s calls = %d, want %d", tt.method, path, got, tt.wantCalls)
			}
		})
	}
}

func TestRetriesAreBounded(t *testing.T) {
	e := setup(t)
	e.fake.Inject(fakeadmin.Fault{Method: http.MethodGet, PathContains: "/drafts", Status: 503, Body: `{"error":"down"}`})
	err := drive(t, e.clk, 5*time.Second, func() error {
		_, err := e.client.OpenDraft(t.Context(), e.app)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "gave up after 4 attempts") {
		t.Fatalf("err = %v, want a 503 given up after 4 attempts", err)
	}
	if got := count(e.fake.Calls(), http.MethodGet, "/drafts"); got != 4 {
		t.Errorf("calls = %d, want 4", got)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	e := setup(t)
	if err := e.client.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.fake.Inject(fakeadmin.Fault{Method: http.MethodGet, PathContains: "/drafts", Status: 429, RetryAfter: "7", Times: 1})
	done := make(chan error, 1)
	go func() {
		_, err := e.client.OpenDraft(t.Context(), e.app)
		done <- err
	}()
	<-e.clk.Added()
	e.clk.Advance(6999 * time.Millisecond)
	if got := e.clk.Waiters(); got != 1 {
		t.Fatalf("after 6.999s: %d waiters, want the retry still waiting", got)
	}
	if got := count(e.fake.Calls(), http.MethodGet, "/drafts"); got != 1 {
		t.Fatalf("after 6.999s: %d calls, want 1", got)
	}
	e.clk.Advance(time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := statuses(e.fake.Calls(), http.MethodGet, "/drafts"); !cmp.Equal(got, []int{429, 404}) {
		t.Errorf("statuses = %v, want [429 404]", got)
	}
}

func TestRetryAfterBeyondTheTotalBoundGivesUp(t *testing.T) {
	e := setup(t)
	e.fake.Inject(fakeadmin.Fault{Method: http.MethodGet, PathContains: "/drafts", Status: 429, RetryAfter: "45"})
	_, err := e.client.OpenDraft(t.Context(), e.app)
	var apiErr *adminapi.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 429 || apiErr.RetryAfter != 45*time.Second {
		t.Fatalf("err = %v, want the 429 with its Retry-After", err)
	}
	if !strings.HasSuffix(err.Error(), "(retry after 45s)") {
		t.Errorf("text = %q, want the Retry-After in it", err)
	}
}

func TestPatchWithUnknownOutcome(t *testing.T) {
	t.Run("applied: confirmed by reading back, not sent again", func(t *testing.T) {
		e := setup(t)
		cfg, err := e.client.Sync(t.Context(), e.app)
		if err != nil {
			t.Fatal(err)
		}
		e.fake.Inject(fakeadmin.Fault{Method: http.MethodPatch, PathContains: "/config", Status: 503, Times: 1, ApplyFirst: true})
		err = drive(t, e.clk, 5*time.Second, func() error {
			return e.client.SetState(t.Context(), e.app, cfg.Kind, cfg.Object, adminapi.StateDisabled)
		})
		if err != nil {
			t.Fatalf("SetState: %v", err)
		}
		calls := e.fake.Calls()
		if got := count(calls, http.MethodPatch, "/config"); got != 1 {
			t.Errorf("PATCH calls = %d, want 1", got)
		}
		if got := count(calls, http.MethodGet, "/config"); got != 2 {
			t.Errorf("GET config calls = %d, want 2 (the Sync, then the read-back)", got)
		}
		if st, _ := e.fake.SyncState(groupID, appID); st != "disabled" {
			t.Errorf("state = %q, want disabled", st)
		}
	})
	t.Run("not applied: sent exactly once more", func(t *testing.T) {
		e := setup(t)
		cfg, err := e.client.Sync(t.Context(), e.app)
		if err != nil {
			t.Fatal(err)
		}
		e.fake.Inject(fakeadmin.Fault{Method: http.MethodPatch, PathContains: "/config", Status: 503, Times: 1})
		err = drive(t, e.clk, 5*time.Second, func() error {
			return e.client.SetState(t.Context(), e.app, cfg.Kind, cfg.Object, adminapi.StateDisabled)
		})
		if err != nil {
			t.Fatalf("SetState: %v", err)
		}
		if got := statuses(e.fake.Calls(), http.MethodPatch, "/config"); !cmp.Equal(got, []int{503, 204}) {
			t.Errorf("PATCH statuses = %v, want [503 204]", got)
		}
		if got := len(e.fake.Patches()); got != 1 {
			t.Errorf("PATCHes applied = %d, want 1", got)
		}
	})
	t.Run("never confirmed: ErrOutcomeUnknown", func(t *testing.T) {
		e := setup(t)
		cfg, err := e.client.Sync(t.Context(), e.app)
		if err != nil {
			t.Fatal(err)
		}
		e.fake.Inject(fakeadmin.Fault{Method: http.MethodPatch, PathContains: "/config", Status: 502})
		err = drive(t, e.clk, 5*time.Second, func() error {
			return e.client.SetState(t.Context(), e.app, cfg.Kind, cfg.Object, adminapi.StateDisabled)
		})
		if !errors.Is(err, adminapi.ErrOutcomeUnknown) {
			t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
		}
		var apiErr *adminapi.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != 502 {
			t.Errorf("err = %v, want the 502 inside", err)
		}
		if got := count(e.fake.Calls(), http.MethodPatch, "/config"); got != 4 {
			t.Errorf("PATCH calls = %d, want 4", got)
		}
	})
	t.Run("read-back fails: ErrOutcomeUnknown", func(t *testing.T) {
		e := setup(t)
		cfg, err := e.client.Sync(t.Context(), e.app)
		if err != nil {
			t.Fatal(err)
		}
		e.fake.Inject(fakeadmin.Fault{Method: http.MethodPatch, PathContains: "/config", Status: 0, Times: 1})
		e.fake.Inject(fakeadmin.Fault{Method: http.MethodGet, PathContains: "/config", Status: 403})
		err = drive(t, e.clk, 5*time.Second, func() error {
			return e.client.SetState(t.Context(), e.app, cfg.Kind, cfg.Object, adminapi.StateDisabled)
		})
		if !errors.Is(err, adminapi.ErrOutcomeUnknown) || !errors.Is(err, adminapi.ErrForbidden) {
			t.Fatalf("err = %v, want ErrOutcomeUnknown and the read's 403", err)
		}
	})
}

func TestOnCallSeesEveryAttempt(t *testing.T) {
	type seen struct {
		Op     string
		Status int
	}
	var mu sync.Mutex
	var got []seen
	e := setup(t, func(o *adminapi.Options) {
		o.OnCall = func(op string, status int, _ time.Duration) {
			mu.Lock()
			got = append(got, seen{op, status})
			mu.Unlock()
		}
	})
	e.fake.Inject(fakeadmin.Fault{Method: http.MethodGet, PathContains: "/drafts", Status: 503, Times: 1})
	drive(t, e.clk, 5*time.Second, func() error {
		_, err := e.client.OpenDraft(t.Context(), e.app)
		return err
	})
	want := []seen{{"login", 200}, {"get drafts", 503}, {"get drafts", 404}}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("OnCall (-want +got):\n%s", diff)
	}
}

func TestAttemptTimeout(t *testing.T) {
	e := setup(t, func(o *adminapi.Options) {
		o.Timeout = 20 * time.Millisecond
		o.Retry = adminapi.RetryPolicy{Attempts: 1}
	})
	if err := e.client.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	release := e.fake.Hold()
	defer release()
	_, err := e.client.OpenDraft(t.Context(), e.app)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer within 20ms") {
		t.Fatalf("err = %v, want the attempt's timeout", err)
	}
}

// stubTransport answers without a network, so the client can run inside a
// synctest bubble with the real clock: login succeeds, drafts answer 503
// with retryAfter.
type stubTransport struct {
	retryAfter string
	mu         sync.Mutex
	attempts   []time.Duration // when each drafts call came, since start
	start      time.Time
}

func (s *stubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp := &http.Response{Request: r, Header: http.Header{}, StatusCode: 200, Body: io.NopCloser(strings.NewReader(""))}
	if strings.HasSuffix(r.URL.Path, "/login") {
		resp.Body = io.NopCloser(strings.NewReader(`{"access_token":"a.b.c","refresh_token":"r"}`))
		return resp, nil
	}
	s.mu.Lock()
	s.attempts = append(s.attempts, time.Since(s.start))
	s.mu.Unlock()
	resp.StatusCode = 503
	if s.retryAfter != "" {
		resp.Header.Set("Retry-After", s.retryAfter)
	}
	return resp, nil
}

func TestRetryTimingUnderSynctest(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		want       []time.Duration // when each attempt is made
	}{
		// Retry-After is honoured to the second; the fourth attempt ends
		// exactly on the 30s bound.
		{"Retry-After 10", "10", []time.Duration{0, 10 * time.Second, 20 * time.Second, 30 * time.Second}},
		// A wait that would end past the bound is not started.
		{"Retry-After 11", "11", []time.Duration{0, 11 * time.Second, 22 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				stub := &stubTransport{retryAfter: tt.retryAfter, start: time.Now()}
				c, err := adminapi.New(adminapi.Options{
					BaseURL: "https://admin.invalid/api/admin/v3.0", PublicKey: "p", PrivateKey: "k",
					HTTPClient: &http.Client{Transport: stub}, Clock: clock.Real{},
				})
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.OpenDraft(t.Context(), adminapi.App{GroupID: "g", AppID: "a"})
				if err == nil {
					t.Fatal("no error")
				}
				if diff := cmp.Diff(tt.want, stub.attempts); diff != "" {
					t.Errorf("attempt times (-want +got):\n%s", diff)
				}
			})
		})
	}
	t.Run("backoff doubles with jitter", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			stub := &stubTransport{start: time.Now()}
			c, err := adminapi.New(adminapi.Options{
				BaseURL: "https://admin.invalid/api/admin/v3.0", PublicKey: "p", PrivateKey: "k",
				HTTPClient: &http.Client{Transport: stub}, Clock: clock.Real{},
			})
			if err != nil {
				t.Fatal(err)
			}
			_, _ = c.OpenDraft(t.Context(), adminapi.App{GroupID: "g", AppID: "a"})
			if len(stub.attempts) != 4 {
				t.Fatalf("attempts = %v, want 4", stub.attempts)
			}
			for i, base := range []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond} {
				gap := stub.attempts[i+1] - stub.attempts[i]
				if gap < base/2 || gap > base {
					t.Errorf("wait %d = %v, want within [%v, %v]", i+1, gap, base/2, base)
				}
			}
		})
	})
}

func ExampleClient_SetState() {
	fake := fakeadmin.New(fakeadmin.Options{PublicKey: "pub", PrivateKey: "priv"})
	defer fake.Close()
	fake.AddApp(fakeadmin.App{GroupID: "5b2ec991973129243223a114", ID: "64b7f0c2a1b2c3d4e5f60718", SyncKind: "flexible_sync"})

	c, err := adminapi.New(adminapi.Options{BaseURL: fake.URL(), PublicKey: "pub", PrivateKey: "priv"})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	app := adminapi.App{GroupID: "5b2ec991973129243223a114", AppID: "64b7f0c2a1b2c3d4e5f60718"}

	cfg, err := c.Sync(ctx, app)
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Kind, cfg.State)

	// Pause: the same object, only its state changed.
	if err := c.SetState(ctx, app, cfg.Kind, cfg.Object, adminapi.StateDisabled); err != nil {
		panic(err)
	}
	cfg, _ = c.Sync(ctx, app)
	fmt.Println(cfg.Kind, cfg.State)
	// Output:
	// flexible_sync enabled
	// flexible_sync disabled
}
