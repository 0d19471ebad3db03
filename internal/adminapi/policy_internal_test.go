package adminapi

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/retry"
)

func TestClassify(t *testing.T) {
	api := func(status int) error { return &APIError{Op: "x", Status: status} }
	network := &netError{op: "x", err: io.ErrUnexpectedEOF}
	timeout := &netError{op: "x", err: fmt.Errorf("no answer within 15s: %w", context.DeadlineExceeded)}
	badCert := &netError{op: "x", err: x509.UnknownAuthorityError{}}
	tests := []struct {
		name       string
		idempotent bool
		err        error
		want       verdict
	}{
		{"GET network error", true, network, again},
		{"GET attempt timeout", true, timeout, again},
		{"GET 429", true, api(429), again},
		{"GET 500", true, api(500), again},
		{"GET 502", true, api(502), again},
		{"GET 503", true, api(503), again},
		{"GET 504", true, api(504), again},
		{"GET 501", true, api(501), stop},
		{"GET 400", true, api(400), stop},
		{"GET 401", true, api(401), stop},
		{"GET 403", true, api(403), stop},
		{"GET 404", true, api(404), stop},
		{"GET 409", true, api(409), stop},
		{"GET redirect", true, api(302), stop},
		{"GET untrusted certificate", true, badCert, stop},
		{"GET after a login that spent its retries", true, final{api(503)}, stop},
		{"GET other error", true, errors.New("decode"), stop},
		{"PATCH network error", false, network, readBack},
		{"PATCH attempt timeout", false, timeout, readBack},
		{"PATCH 429", false, api(429), readBack},
		{"PATCH 500", false, api(500), readBack},
		{"PATCH 503", false, api(503), readBack},
		{"PATCH 501", false, api(501), stop},
		{"PATCH 400", false, api(400), stop},
		{"PATCH 401", false, api(401), stop},
		{"PATCH 403", false, api(403), stop},
		{"PATCH 404", false, api(404), stop},
		{"PATCH 409", false, api(409), stop},
		{"wrapped", true, fmt.Errorf("ctx: %w", api(503)), again},
	}
	for _, tt := range tests {
		if got := classify(tt.idempotent, tt.err); got != tt.want {
			t.Errorf("%s: classify = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestRetryPolicyDefaults pins the Admin API's own numbers; how they are
// used (backoff, budget, Retry-After) is tested in package retry.
func TestRetryPolicyDefaults(t *testing.T) {
	defaults := retry.Policy{Attempts: 4, BaseDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second, Total: 30 * time.Second}
	tests := []struct {
		name string
		in   RetryPolicy
		want retry.Policy
	}{
		{"zero", RetryPolicy{}, defaults},
		{"negative", RetryPolicy{Attempts: -1, BaseDelay: -1, MaxDelay: -1, Total: -1}, defaults},
		{"set", RetryPolicy{Attempts: 1, BaseDelay: time.Second, MaxDelay: 3 * time.Second, Total: 10 * time.Second},
			retry.Policy{Attempts: 1, BaseDelay: time.Second, MaxDelay: 3 * time.Second, Total: 10 * time.Second}},
	}
	for _, tt := range tests {
		if got := tt.in.policy(); got != tt.want {
			t.Errorf("%s: policy() = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestTokenLifetime(t *testing.T) {
	jwt := func(payload string) string {
		return "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
	}
	tests := []struct {
		name, tok string
		want      time.Duration
	}{
		{"exp - iat", jwt(`{"iat":1700000000,"exp":1700000600}`), 10 * time.Minute},
		{"server clock far off does not matter", jwt(`{"iat":100,"exp":1900}`), 30 * time.Minute},
		{"padded payload", "h." + base64.URLEncoding.EncodeToString([]byte(`{"iat":1,"exp":61}`)) + ".s", time.Minute},
		{"not a JWT", "opaque-token", defaultTokenLifetime},
		{"bad base64", "h.!!!.s", defaultTokenLifetime},
		{"no exp", jwt(`{"iat":1}`), defaultTokenLifetime},
		{"exp before iat", jwt(`{"iat":10,"exp":5}`), defaultTokenLifetime},
	}
	for _, tt := range tests {
		if got := tokenLifetime(tt.tok); got != tt.want {
			t.Errorf("%s: lifetime = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestWithState(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"state":"enabled","a":1}`, `{"state":"disabled","a":1}`},
		{`{"a":"<&>","b":{"x" : [1 ,2]}}`, `{"a":"<&>","b":{"x" : [1 ,2]},"state":"disabled"}`},
		{`{}`, `{"state":"disabled"}`},
		{` { "state" : null , "state":"x" } `, `{"state":"disabled"}`},
	}
	for _, tt := range tests {
		got, err := withState([]byte(tt.in), StateDisabled)
		if err != nil || string(got) != tt.want {
			t.Errorf("withState(%s) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{``, `null`, `[]`, `"s"`, `{"a":}`, `{"a":1`, `{} x`} {
		if _, err := withState([]byte(bad), StateDisabled); err == nil {
			t.Errorf("withState(%s): no error", bad)
		}
	}
}

func TestFlightCancelledWhenTheLastWaiterLeaves(t *testing.T) {
	var g flights[int]
	started := make(chan struct{})
	workCtx := make(chan context.Context, 1)
	fn := func(ctx context.Context) (int, error) {
		workCtx <- ctx
		close(started)
		<-ctx.Done()
		return 0, ctx.Err()
	}
	ctx1, cancel1 := context.WithCancel(t.Context())
	ctx2, cancel2 := context.WithCancel(t.Context())
	errs := make(chan error, 2)
	go func() { _, err := g.do(ctx1, "k", "op", fn); errs <- err }()
	<-started
	go func() { _, err := g.do(ctx2, "k", "op", fn); errs <- err }()
	for g.waiting("k") != 2 {
		runtime.Gosched() // until the second goroutine has joined
	}
	wctx := <-workCtx
	cancel1()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("first waiter: %v", err)
	}
	if wctx.Err() != nil {
		t.Fatal("work cancelled while a waiter remained")
	}
	cancel2()
	<-errs
	<-wctx.Done() // the last waiter left: the work is cancelled
	if g.waiting("k") != 0 {
		t.Error("the cancelled run is still joinable")
	}
}
