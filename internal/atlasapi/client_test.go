package atlasapi_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mongodb-forks/digest"

	"github.com/syncbot/syncbot/internal/atlasapi"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/fakeatlas"
)

const (
	group = "5b2ec991973129243223a114"
	pub   = "PUBKEY-SECRET-9d2c"
	priv  = "PRIVKEY-SECRET-41b0-8c7e"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

type env struct {
	fake   *fakeatlas.Server
	clock  *clock.Fake
	client *atlasapi.Client
	logs   *bytes.Buffer
}

// setup is a fake with an M10 "Cluster0", an M0 "Free0" and a Flex
// "Flex0", and a client whose retry waits pass at once on the fake clock.
func setup(t *testing.T, key string) env {
	t.Helper()
	clk := clock.NewFake(t0)
	fake := fakeatlas.New(fakeatlas.Options{PublicKey: pub, PrivateKey: priv, Clock: clk, Transition: 2 * time.Minute})
	t.Cleanup(fake.Close)
	fake.AddCluster(fakeatlas.Cluster{GroupID: group, Name: "Cluster0", InstanceSize: "M10", OplogMinRetentionHours: 48})
	fake.AddCluster(fakeatlas.Cluster{GroupID: group, Name: "Free0", InstanceSize: "M0", Provider: "TENANT"})
	fake.AddCluster(fakeatlas.Cluster{GroupID: group, Name: "Flex0", InstanceSize: "FLEX", Provider: "FLEX"})
	logs := &bytes.Buffer{}
	c, err := atlasapi.New(atlasapi.Options{BaseURL: fake.URL(), PublicKey: pub, PrivateKey: key, Clock: clk,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	// Retry waits are on the fake clock: move it whenever one parks.
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		for {
			select {
			case <-done:
				return
			case <-clk.Added():
				clk.Advance(10 * time.Second)
			}
		}
	}()
	return env{fake: fake, clock: clk, client: c, logs: logs}
}

func TestGetAndPauseResume(t *testing.T) {
	e := setup(t, priv)
	ctx := t.Context()
	cl, err := e.client.GetCluster(ctx, group, "Cluster0")
	if err != nil {
		t.Fatal(err)
	}
	if cl.Paused || cl.StateName != "IDLE" || cl.InstanceSize != "M10" || !cl.Pausable() || !cl.Running() {
		t.Fatalf("cluster = %+v", cl)
	}
	if err := e.client.SetPaused(ctx, group, "Cluster0", true); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Patches(); len(got) != 1 || got[0] != `{"paused":true}` {
		t.Fatalf("PATCH bodies = %q", got)
	}
	cl, _ = e.client.GetCluster(ctx, group, "Cluster0")
	if !cl.Paused {
		t.Fatalf("after pause: %+v", cl)
	}
	if err := e.client.SetPaused(ctx, group, "Cluster0", false); !errors.Is(err, atlasapi.ErrConflict) {
		t.Fatalf("resume while pausing: %v", err)
	}
	e.clock.Advance(3 * time.Minute)
	if err := e.client.SetPaused(ctx, group, "Cluster0", false); err != nil {
		t.Fatal(err)
	}
	cl, _ = e.client.GetCluster(ctx, group, "Cluster0")
	if cl.Paused || cl.StateName != "UPDATING" || cl.Running() {
		t.Fatalf("right after resume: %+v", cl)
	}
	e.clock.Advance(3 * time.Minute)
	cl, _ = e.client.GetCluster(ctx, group, "Cluster0")
	if !cl.Running() {
		t.Fatalf("after the transition: %+v", cl)
	}
	h, ok, err := e.client.OplogMinRetentionHours(ctx, group, "Cluster0")
	if err != nil || !ok || h != 48 {
		t.Fatalf("oplog = %v %v %v", h, ok, err)
	}
}

func TestTierRules(t *testing.T) {
	e := setup(t, priv)
	if _, err := e.client.GetCluster(t.Context(), group, "Flex0"); !atlasapi.IsCode(err, "CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API") {
		t.Errorf("Flex through the cluster API: %v", err)
	}
	for _, name := range []string{"Free0"} {
		cl, err := e.client.GetCluster(t.Context(), group, name)
		if err != nil {
			t.Fatal(err)
		}
		if cl.Pausable() {
			t.Errorf("%s (%s/%s) reads as pausable", name, cl.InstanceSize, cl.Provider)
		}
		err = e.client.SetPaused(t.Context(), group, name, true)
		if !atlasapi.IsCode(err, "CANNOT_PAUSE_NON_DEDICATED_CLUSTER") {
			t.Errorf("pausing %s: %v", name, err)
		}
	}
	if _, err := e.client.GetCluster(t.Context(), group, "Nope"); !errors.Is(err, atlasapi.ErrNotFound) {
		t.Errorf("unknown cluster: %v", err)
	}
}

func TestWrongKeyIsUnauthorizedAndNeverPrinted(t *testing.T) {
	e := setup(t, "WRONG-SECRET-KEY")
	_, err := e.client.GetCluster(t.Context(), group, "Cluster0")
	if !errors.Is(err, atlasapi.ErrUnauthorized) {
		t.Fatalf("err = %v", err)
	}
	for _, s := range []string{err.Error(), e.logs.String()} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("a key leaked: %s", s)
		}
	}
}

func TestReadsRetriedOn429And5xx(t *testing.T) {
	e := setup(t, priv)
	e.fake.Inject(fakeatlas.Fault{Method: http.MethodGet, Status: 429, Code: "RATE_LIMITED", Times: 1})
	e.fake.Inject(fakeatlas.Fault{Method: http.MethodGet, Status: 503, Times: 1})
	if _, err := e.client.GetCluster(t.Context(), group, "Cluster0"); err != nil {
		t.Fatal(err)
	}
	if n := len(e.fake.Calls()); n != 3 {
		t.Errorf("%d calls, want 3 (two failures, one success)", n)
	}
}

// A PATCH whose answer is lost (it took effect) is not sent again: the
// read shows it did; one that did not take effect is sent again.
func TestPatchResentOnlyAfterReadShowsNoEffect(t *testing.T) {
	e := setup(t, priv)
	e.fake.Inject(fakeatlas.Fault{Method: http.MethodPatch, Status: 502, Times: 1, After: true})
	if err := e.client.SetPaused(t.Context(), group, "Cluster0", true); err != nil {
		t.Fatal(err)
	}
	if n := countPatches(e.fake); n != 1 {
		t.Fatalf("%d PATCHes for a change that took effect, want 1", n)
	}
	e.clock.Advance(3 * time.Minute)
	e.fake.Inject(fakeatlas.Fault{Method: http.MethodPatch, Status: 503, Times: 1})
	if err := e.client.SetPaused(t.Context(), group, "Cluster0", false); err != nil {
		t.Fatal(err)
	}
	if n := countPatches(e.fake); n != 3 {
		t.Fatalf("%d PATCHes, want 3 (one more refused, then resent once)", n)
	}
	if e.fake.Cluster(group, "Cluster0").Paused {
		t.Fatal("still paused")
	}
}

func countPatches(f *fakeatlas.Server) int {
	n := 0
	for _, c := range f.Calls() {
		if c.Method == http.MethodPatch {
			n++
		}
	}
	return n
}

func TestPausedClusterRefusesOtherChanges(t *testing.T) {
	e := setup(t, priv)
	if err := e.client.SetPaused(t.Context(), group, "Cluster0", true); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(3 * time.Minute)
	status, _ := raw(t, e, http.MethodPatch, "/groups/"+group+"/clusters/Cluster0", atlasapi.MediaCluster, `{"backupEnabled":true}`)
	if status != http.StatusConflict {
		t.Errorf("change of a paused cluster: %d, want 409", status)
	}
	if err := e.client.SetPaused(t.Context(), group, "Cluster0", true); !errors.Is(err, atlasapi.ErrConflict) {
		t.Errorf("pausing a paused cluster: %v", err)
	}
}

// The fake holds requests to the spec: the version, the body's fields and
// their types.
func TestFakeIsAsStrictAsTheSpec(t *testing.T) {
	e := setup(t, priv)
	p := "/groups/" + group + "/clusters/Cluster0"
	for _, c := range []struct {
		name, method, path, media, body string
		want                            int
	}{
		{"GET with plain JSON", http.MethodGet, p, "application/json", "", http.StatusNotAcceptable},
		{"GET with an old version", http.MethodGet, p, "application/vnd.atlas.2023-02-01+json", "", http.StatusNotAcceptable},
		{"processArgs with the cluster version", http.MethodGet, p + "/processArgs", atlasapi.MediaCluster, "", http.StatusNotAcceptable},
		{"PATCH unknown field", http.MethodPatch, p, atlasapi.MediaCluster, `{"paused":true,"pause":true}`, http.StatusBadRequest},
		{"PATCH read-only field", http.MethodPatch, p, atlasapi.MediaCluster, `{"stateName":"IDLE"}`, http.StatusBadRequest},
		{"PATCH paused as a string", http.MethodPatch, p, atlasapi.MediaCluster, `{"paused":"true"}`, http.StatusBadRequest},
		{"PATCH not JSON", http.MethodPatch, p, atlasapi.MediaCluster, `paused`, http.StatusBadRequest},
		{"POST", http.MethodPost, p, atlasapi.MediaCluster, `{}`, http.StatusMethodNotAllowed},
		{"v1 path", http.MethodGet, "/../v1.0/groups/" + group + "/clusters/Cluster0", atlasapi.MediaCluster, "", http.StatusNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			if status, body := raw(t, e, c.method, c.path, c.media, c.body); status != c.want {
				t.Errorf("%d %s, want %d", status, body, c.want)
			}
		})
	}
	if len(e.fake.Patches()) != 0 || e.fake.Cluster(group, "Cluster0").Paused {
		t.Error("a refused request changed the cluster")
	}
}

// raw sends one digest-authenticated request below /api/atlas/v2.
func raw(t *testing.T, e env, method, path, media, body string) (int, string) {
	t.Helper()
	hc := &http.Client{Transport: digest.NewTransport(pub, priv)}
	req, err := http.NewRequestWithContext(context.Background(), method, e.fake.URL()+atlasapi.Prefix+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", media)
	if body != "" {
		req.Header.Set("Content-Type", media)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}
