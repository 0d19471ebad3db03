package adminapi_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/demo"
	"github.com/syncbot/syncbot/internal/fakeadmin"
)

const (
	groupID = demo.GroupID
	appID   = demo.ProdID
	pubKey  = demo.PublicKey
	privKey = demo.PrivateKey
)

// env is one test's fake Admin API and a client pointed at it.
type env struct {
	fake   *fakeadmin.Server
	clk    *clock.Fake
	client *adminapi.Client
	app    adminapi.App
}

func epoch() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }

// setup starts a fake with one Flexible Sync app and a client for it; opts
// adjust the client's options (and may replace the fake's via fakeOpts).
func setup(t *testing.T, opts ...func(*adminapi.Options)) *env {
	t.Helper()
	return setupWith(t, fakeadmin.Options{}, opts...)
}

func setupWith(t *testing.T, fo fakeadmin.Options, opts ...func(*adminapi.Options)) *env {
	t.Helper()
	clk := clock.NewFake(epoch())
	if fo.PublicKey == "" {
		fo.PublicKey, fo.PrivateKey = pubKey, privKey
	}
	fo.Clock = clk
	fake := fakeadmin.New(fo)
	t.Cleanup(fake.Close)
	fake.AddApp(fakeadmin.App{GroupID: groupID, ID: appID, Name: "todo", SyncKind: "flexible_sync"})
	o := adminapi.Options{BaseURL: fake.URL(), PublicKey: pubKey, PrivateKey: privKey, Clock: clk}
	for _, f := range opts {
		f(&o)
	}
	c, err := adminapi.New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{fake: fake, clk: clk, client: c, app: adminapi.App{GroupID: groupID, AppID: appID}}
}

// drive runs fn in a goroutine and, until it returns, moves the fake clock
// forward by step whenever something starts waiting on it, so retries and
// backoffs complete without any real sleeping.
func drive[T any](t *testing.T, clk *clock.Fake, step time.Duration, fn func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- fn() }()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		select {
		case v := <-done:
			return v
		case <-clk.Added():
			clk.Advance(step)
		case <-ctx.Done():
			t.Fatal("call did not finish")
		}
	}
}

// eventually spins (yielding, never sleeping) until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for !cond() {
		if ctx.Err() != nil {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
	}
}

// count is how many recorded calls match method and contain path.
func count(calls []fakeadmin.Call, method, path string) int {
	n := 0
	for _, c := range calls {
		if c.Method == method && strings.Contains(c.Path, path) {
			n++
		}
	}
	return n
}

func statuses(calls []fakeadmin.Call, method, path string) []int {
	var out []int
	for _, c := range calls {
		if c.Method == method && strings.Contains(c.Path, path) {
			out = append(out, c.Status)
		}
	}
	return out
}
