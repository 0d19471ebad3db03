package adminapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/fakeadmin"
)

func TestLoginWarmsUpTheSession(t *testing.T) {
	e := setup(t)
	if err := e.client.Login(t.Context()); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if _, err := e.client.Sync(t.Context(), e.app); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if got := e.fake.Logins(); got != 1 {
		t.Errorf("logins = %d, want 1", got)
	}
	if got := count(e.fake.Calls(), http.MethodPost, "/login"); got != 1 {
		t.Errorf("login calls = %d, want 1", got)
	}
}

func TestTokenIsReusedWithinItsLifetime(t *testing.T) {
	e := setup(t)
	// 100 calls at once on a cold client: they share one login, and the
	// token serves them all.
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Go(func() {
			_, err := e.client.OpenDraft(t.Context(), e.app)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("OpenDraft: %v", err)
		}
	}
	e.clk.Advance(28 * time.Minute) // still more than a minute left
	if _, err := e.client.OpenDraft(t.Context(), e.app); err != nil {
		t.Fatal(err)
	}
	if l, r := e.fake.Logins(), e.fake.Refreshes(); l != 1 || r != 0 {
		t.Errorf("logins, refreshes = %d, %d; want 1, 0", l, r)
	}
}

func TestProactiveRefreshOneMinuteBeforeExpiry(t *testing.T) {
	e := setup(t)
	if err := e.client.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(29*time.Minute + time.Second) // past exp - 1m
	if _, err := e.client.OpenDraft(t.Context(), e.app); err != nil {
		t.Fatal(err)
	}
	if l, r := e.fake.Logins(), e.fake.Refreshes(); l != 1 || r != 1 {
		t.Errorf("logins, refreshes = %d, %d; want 1, 1", l, r)
	}
	// Refreshed before use, so the API never saw an expired token (404
	// is the fake's "no draft").
	if got := statuses(e.fake.Calls(), http.MethodGet, "/drafts"); !cmp.Equal(got, []int{404}) {
		t.Errorf("drafts statuses = %v, want [404]", got)
	}
}

func TestExpiryComesFromTheJWT(t *testing.T) {
	// A 10-minute token must be refreshed at 9 minutes, not 29.
	e := setupWith(t, fakeadmin.Options{TokenTTL: 10 * time.Minute})
	if err := e.client.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(9*time.Minute - time.Second)
	if _, err := e.client.OpenDraft(t.Context(), e.app); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Refreshes(); got != 0 {
		t.Fatalf("refreshes at 8m59s = %d, want 0", got)
	}
	e.clk.Advance(2 * time.Second)
	if _, err := e.client.OpenDraft(t.Context(), e.app); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Refreshes(); got != 1 {
		t.Fatalf("refreshes at 9m01s = %d, want 1", got)
	}
}

func TestReactiveRefreshOnInvalidSession(t *testing.T) {
	e := setup(t)
	if err := e.client.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.fake.RevokeSessions()
	open, err := e.client.OpenDraft(t.Context(), e.app)
	if err != nil || open {
		t.Fatalf("OpenDraft = %v, %v; want false, nil", open, err)
	}
	if l, r := e.fake.Logins(), e.fake.Refreshes(); l != 1 || r != 1 {
		t.Errorf("logins, refreshes = %d, %d; want 1, 1", l, r)
	}
	if got := statuses(e.fake.Calls(), http.MethodGet, "/drafts"); !cmp.Equal(got, []int{401, 404}) {
		t.Errorf("drafts statuses = %v, want [401 404] (refused, then answered: no draft)", got)
	}
}

func TestRefreshFailureLogsInAgain(t *testing.T) {
	t.Run("proactive", func(t *testing.T) {
		e := setup(t)
		if err := e.client.Login(t.Context()); err != nil {
			t.Fatal(err)
		}
		e.fake.ExpireRefreshTokens()
		e.clk.Advance(29*time.Minute + 30*time.Second)
		if _, err := e.client.OpenDraft(t.Context(), e.app); err != nil {
			t.Fatal(err)
		}
		if l, r := e.fake.Logins(), e.fake.Refreshes(); l != 2 || r != 0 {
			t.Errorf("logins, refreshes = %d, %d; want 2, 0", l, r)
		}
		if got := statuses(e.fake.Calls(), http.MethodPost, "/auth/session"); !cmp.Equal(got, []int{401}) {
			t.Errorf("refresh statuses = %v, want [401]", got)
		}
	})
	t.Run("reactive", func(t *testing.T) {
		e := setup(t)
		if err := e.client.Login(t.Context()); err != nil {
			t.Fatal(err)
		}
		e.fake.RevokeSessions()
		e.fake.ExpireRefreshTokens()
		if _, err := e.client.OpenDraft(t.Context(), e.app); err != nil {
			t.Fatal(err)
		}
		if l, r := e.fake.Logins(), e.fake.Refreshes(); l != 2 || r != 0 {
			t.Errorf("logins, refreshes = %d, %d; want 2, 0", l, r)
		}
	})
}

func TestSessionStillRefusedAfterRefreshAndLogin(t *testing.T) {
	e := setup(t)
	e.fake.Inject(fakeadmin.Fault{
		Method: http.MethodGet, PathContains: "/drafts", Status: http.StatusUnauthorized,
		Body: `{"error":"invalid session: access token expired","error_code":"InvalidSession"}`,
	})
	_, err := e.client.OpenDraft(t.Context(), e.app)
	if !errors.Is(err, adminapi.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if !strings.Contains(err.Error(), "still refused after a token refresh and a fresh login") {
		t.Errorf("err = %q, want it to say what was tried", err)
	}
	if got := count(e.fake.Calls(), http.MethodGet, "/drafts"); got != 3 {
		t.Errorf("drafts calls = %d, want 3 (first, after refresh, after login)", got)
	}
	if l, r := e.fake.Logins(), e.fake.Refreshes(); l != 2 || r != 1 {
		t.Errorf("logins, refreshes = %d, %d; want 2, 1", l, r)
	}
}

func TestConcurrentExpiryRefreshesOnce(t *testing.T) {
	e := setup(t)
	if err := e.client.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(29*time.Minute + 30*time.Second)
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			<-start
			_, err := e.client.OpenDraft(t.Context(), e.app)
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if l, r := e.fake.Logins(), e.fake.Refreshes(); l != 1 || r != 1 {
		t.Errorf("logins, refreshes = %d, %d; want 1, 1", l, r)
	}
	if got := count(e.fake.Calls(), http.MethodPost, "/auth/session"); got != 1 {
		t.Errorf("refresh calls = %d, want 1", got)
	}
}

func TestWaitingForTheSessionHonoursContext(t *testing.T) {
	e := setup(t)
	// Login keeps failing with 503; the client waits to retry on the fake
	// clock, which never moves: only the context can end the wait.
	e.fake.Inject(fakeadmin.Fault{Method: http.MethodPost, PathContains: "/login", Status: http.StatusServiceUnavailable})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := e.client.OpenDraft(ctx, e.app)
		done <- err
	}()
	<-e.clk.Added() // the login is waiting to retry
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := count(e.fake.Calls(), http.MethodGet, "/drafts"); got != 0 {
		t.Errorf("drafts calls = %d, want 0", got)
	}
}
