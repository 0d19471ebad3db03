package fakeadmin_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/demo"
	"github.com/syncbot/syncbot/internal/fakeadmin"
)

const (
	group = demo.GroupID
	appID = demo.ProdID
)

type fixture struct {
	t   *testing.T
	s   *fakeadmin.Server
	clk *clock.Fake
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	s := fakeadmin.New(fakeadmin.Options{PublicKey: "pub", PrivateKey: "priv", Clock: clk})
	t.Cleanup(s.Close)
	s.AddApp(fakeadmin.App{GroupID: group, ID: appID, Name: "todo", SyncKind: "flexible_sync"})
	return &fixture{t: t, s: s, clk: clk}
}

// do sends one request and returns the status and body.
func (f *fixture) do(method, path, token, body string) (int, string) {
	f.t.Helper()
	var rb io.Reader
	if body != "" {
		rb = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.s.URL()+path, rb)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (f *fixture) login() (access, refresh string) {
	f.t.Helper()
	status, body := f.do(http.MethodPost, "/auth/providers/mongodb-cloud/login", "", `{"username":"pub","apiKey":"priv"}`)
	if status != 200 {
		f.t.Fatalf("login: %d %s", status, body)
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		f.t.Fatal(err)
	}
	for _, k := range []string{"access_token", "refresh_token", "user_id", "device_id"} {
		if out[k] == "" {
			f.t.Errorf("login answer lacks %s: %s", k, body)
		}
	}
	return out["access_token"], out["refresh_token"]
}

const (
	expiredBody = `{"error":"invalid session: access token expired","error_code":"InvalidSession"}`
	badKeyBody  = `{"error":"failed to authenticate with MongoDB Cloud API: You are not authorized for this resource."}`
)

func TestAuthRules(t *testing.T) {
	f := newFixture(t)
	apps := "/groups/" + group + "/apps"

	if st, body := f.do(http.MethodPost, "/auth/providers/mongodb-cloud/login", "", `{"username":"pub","apiKey":"nope"}`); st != 401 || body != badKeyBody {
		t.Errorf("wrong key: %d %s", st, body)
	}
	if st, body := f.do(http.MethodGet, apps, "", ""); st != 401 || body != expiredBody {
		t.Errorf("no token: %d %s", st, body)
	}
	access, refresh := f.login()
	if st, _ := f.do(http.MethodGet, apps, access, ""); st != 200 {
		t.Errorf("fresh token: %d", st)
	}
	if st, body := f.do(http.MethodGet, apps, refresh, ""); st != 401 || body != `{"error":"invalid session: valid Issuer required"}` {
		t.Errorf("refresh token as access: %d %s", st, body)
	}
	if st, body := f.do(http.MethodPost, "/auth/session", access, ""); st != 401 || body != `{"error":"invalid refresh token: incorrect token type"}` {
		t.Errorf("access token on refresh: %d %s", st, body)
	}

	f.clk.Advance(30 * time.Minute)
	if st, body := f.do(http.MethodGet, apps, access, ""); st != 401 || body != expiredBody {
		t.Errorf("expired token: %d %s", st, body)
	}
	st, body := f.do(http.MethodPost, "/auth/session", refresh, "")
	if st != 201 {
		t.Fatalf("refresh: %d %s", st, body)
	}
	var out map[string]string
	_ = json.Unmarshal([]byte(body), &out)
	if st, _ := f.do(http.MethodGet, apps, out["access_token"], ""); st != 200 || len(out) != 1 {
		t.Errorf("refreshed token: %d (answer %s)", st, body)
	}

	f.s.RevokeSessions()
	if st, body := f.do(http.MethodGet, apps, out["access_token"], ""); st != 401 || body != expiredBody {
		t.Errorf("revoked token: %d %s", st, body)
	}
	f.s.ExpireRefreshTokens()
	if st, body := f.do(http.MethodPost, "/auth/session", refresh, ""); st != 401 ||
		body != `{"error":"invalid session: failed to find refresh token","error_code":"InvalidSession"}` {
		t.Errorf("expired refresh token: %d %s", st, body)
	}
	if f.s.Logins() != 1 || f.s.Refreshes() != 1 {
		t.Errorf("logins, refreshes = %d, %d; want 1, 1", f.s.Logins(), f.s.Refreshes())
	}
}

func TestTokensAreJWTsWithIatAndExp(t *testing.T) {
	f := newFixture(t)
	access, _ := f.login()
	parts := strings.Split(access, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	raw, err := base64RawURL(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Iat, Exp int64 }
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	if now := f.clk.Now().Unix(); c.Iat != now || c.Exp != now+1800 {
		t.Errorf("iat, exp = %d, %d; want %d, %d", c.Iat, c.Exp, now, now+1800)
	}
}

func TestListAppsHonoursProduct(t *testing.T) {
	f := newFixture(t)
	f.s.AddApp(fakeadmin.App{GroupID: group, Name: "ds", Product: "device-sync"})
	f.s.AddApp(fakeadmin.App{GroupID: group, Name: "at", Product: "atlas"})
	access, _ := f.login()
	names := func(query string) []string {
		t.Helper()
		st, body := f.do(http.MethodGet, "/groups/"+group+"/apps"+query, access, "")
		if st != 200 {
			t.Fatalf("%s: %d %s", query, st, body)
		}
		var apps []struct{ Name, Product string }
		_ = json.Unmarshal([]byte(body), &apps)
		var out []string
		for _, a := range apps {
			out = append(out, a.Name)
		}
		return out
	}
	for query, want := range map[string][]string{
		"":                                    {"todo"},
		"?product=standard":                   {"todo"},
		"?product=device-sync":                {"ds"},
		"?product=atlas,device-sync":          {"ds", "at"},
		"?product=standard,atlas,device-sync": {"todo", "ds", "at"},
	} {
		if diff := cmp.Diff(want, names(query)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", query, diff)
		}
	}
	if st, _ := f.do(http.MethodGet, "/groups/"+group+"/apps?product=bogus", access, ""); st != 400 {
		t.Errorf("unknown product: %d, want 400", st)
	}
	if st, body := f.do(http.MethodGet, "/groups/000000000000000000000000/apps", access, ""); st != 404 || !strings.Contains(body, "GroupNotFound") {
		t.Errorf("unknown group: %d %s", st, body)
	}
}

func TestServicesAndConfig(t *testing.T) {
	f := newFixture(t)
	access, _ := f.login()
	base := "/groups/" + group + "/apps/" + appID
	st, body := f.do(http.MethodGet, base+"/services", access, "")
	var svcs []struct {
		ID   string `json:"_id"`
		Name string `json:"name"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal([]byte(body), &svcs); st != 200 || err != nil {
		t.Fatalf("services: %d %s", st, body)
	}
	types := []string{}
	for _, s := range svcs {
		types = append(types, s.Type)
	}
	if diff := cmp.Diff([]string{"datalake", "mongodb-atlas"}, types); diff != "" {
		t.Errorf("service types (-want +got):\n%s", diff)
	}
	sid := f.s.ServiceID(group, appID)
	st, body = f.do(http.MethodGet, base+"/services/"+sid+"/config", access, "")
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &cfg); st != 200 || err != nil {
		t.Fatalf("config: %d %s", st, body)
	}
	for _, k := range []string{"clusterId", "clusterName", "clusterType", "readPreference", "wireProtocolEnabled", "flexible_sync"} {
		if cfg[k] == nil {
			t.Errorf("config lacks %s: %s", k, body)
		}
	}
	if st, body := f.do(http.MethodGet, base+"/services/000000000000000000000000/config", access, ""); st != 404 || !strings.Contains(body, `"ServiceNotFound"`) {
		t.Errorf("unknown service: %d %s", st, body)
	}
	if st, body := f.do(http.MethodGet, "/groups/"+group+"/apps/000000000000000000000000/services", access, ""); st != 404 || !strings.Contains(body, `"AppNotFound"`) {
		t.Errorf("unknown app: %d %s", st, body)
	}
}

func TestPatchConfig(t *testing.T) {
	f := newFixture(t)
	access, _ := f.login()
	path := "/groups/" + group + "/apps/" + appID + "/services/" + f.s.ServiceID(group, appID) + "/config"

	f.clk.Advance(time.Minute)
	for _, tt := range []struct {
		body       string
		wantStatus int
		wantState  string
	}{
		{`{"flexible_sync":{"state":"paused"}}`, 400, "enabled"},
		{`{"flexible_sync":{"state":1}}`, 400, "enabled"},
		{`[1]`, 400, "enabled"},
		{`{"flexible_sync":{"state":"disabled"}}`, 204, "disabled"},
		{`{"flexible_sync":{"state":""}}`, 204, ""},
		{`{"sync":{"state":"enabled"}}`, 204, "enabled"}, // mode switch after a terminate
		{`{"flexible_sync":{"state":"enabled"}}`, 400, "enabled"},
	} {
		st, body := f.do(http.MethodPatch, path, access, tt.body)
		if st != tt.wantStatus {
			t.Errorf("PATCH %s: %d %s, want %d", tt.body, st, body, tt.wantStatus)
		}
		if st == 204 && body != "" {
			t.Errorf("PATCH %s: 204 with body %q", tt.body, body)
		}
		if got, _ := f.s.SyncState(group, appID); got != tt.wantState {
			t.Errorf("after %s: state %q, want %q", tt.body, got, tt.wantState)
		}
	}
	patches := f.s.Patches()
	if len(patches) != 7 || string(patches[0].Body) != `{"flexible_sync":{"state":"paused"}}` {
		t.Errorf("patches = %d, first %s", len(patches), patches[0].Body)
	}
	// Pausing stamped last_disabled; the merge kept the fields not sent.
	f2 := newFixture(t)
	access2, _ := f2.login()
	f2.clk.Advance(10 * time.Minute)
	path2 := "/groups/" + group + "/apps/" + appID + "/services/" + f2.s.ServiceID(group, appID) + "/config"
	if st, _ := f2.do(http.MethodPatch, path2, access2, `{"flexible_sync":{"state":"disabled"}}`); st != 204 {
		t.Fatal(st)
	}
	var obj map[string]any
	_ = json.Unmarshal(f2.s.SyncObject(group, appID), &obj)
	if obj["last_disabled"] != float64(f2.clk.Now().Unix()) || obj["database_name"] != "todo" {
		t.Errorf("object after pause = %v", obj)
	}
}

func TestFaults(t *testing.T) {
	f := newFixture(t)
	access, _ := f.login()
	apps := "/groups/" + group + "/apps"
	f.s.Inject(fakeadmin.Fault{Method: http.MethodGet, PathContains: "/apps", Status: 503, Body: "<html>down</html>", RetryAfter: "3", Times: 2})
	for range 2 {
		if st, body := f.do(http.MethodGet, apps, access, ""); st != 503 || body != "<html>down</html>" {
			t.Errorf("faulted: %d %s", st, body)
		}
	}
	if st, _ := f.do(http.MethodGet, apps, access, ""); st != 200 {
		t.Errorf("after Times: %d", st)
	}
	f.s.Inject(fakeadmin.Fault{PathContains: "/apps", Status: 0, Times: 1})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, f.s.URL()+apps, nil)
	req.Header.Set("Authorization", "Bearer "+access)
	req.Header.Set("Connection", "close")
	if resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("dropped connection answered %d", resp.StatusCode)
	}
	f.s.Inject(fakeadmin.Fault{Status: 500})
	f.s.ClearFaults()
	if st, _ := f.do(http.MethodGet, apps, access, ""); st != 200 {
		t.Errorf("after ClearFaults: %d", st)
	}
	calls := f.s.Calls()
	last := calls[len(calls)-1]
	if last.Path != apps || last.Method != http.MethodGet || last.Status != 200 || !last.At.Equal(f.clk.Now()) {
		t.Errorf("last call = %+v", last)
	}
}

func TestHoldAndSubscribe(t *testing.T) {
	f := newFixture(t)
	access, _ := f.login()
	var mu sync.Mutex
	var seen []int
	cancel := f.s.Subscribe(func(c fakeadmin.Call) {
		f.s.SyncState(group, appID) // a UI reads the fake's state as calls come in
		mu.Lock()
		seen = append(seen, c.Status)
		mu.Unlock()
	})
	release := f.s.Hold()
	done := make(chan int)
	go func() {
		st, _ := f.do(http.MethodGet, "/groups/"+group+"/apps", access, "")
		done <- st
	}()
	ctx, stop := context.WithTimeout(t.Context(), 10*time.Second)
	defer stop()
	if err := f.s.WaitHeld(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// Auth routes are not held.
	f.login()
	release()
	if st, _ := f.do(http.MethodGet, "/groups/"+group+"/apps/"+appID+"/services", access, ""); st != 200 {
		t.Errorf("services: %d", st)
	}
	release() // idempotent
	if st := <-done; st != 200 {
		t.Errorf("held call: %d", st)
	}
	cancel()
	f.do(http.MethodGet, "/groups/"+group+"/apps", access, "")
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]int{200, 200, 200}, seen); diff != "" {
		t.Errorf("feed (-want +got):\n%s", diff)
	}
}

func TestDraftShapes(t *testing.T) {
	f := newFixture(t)
	access, _ := f.login()
	path := "/groups/" + group + "/apps/" + appID + "/drafts"
	check := func(wantStatus int, wantPrefix string) {
		t.Helper()
		st, body := f.do(http.MethodGet, path, access, "")
		if st != wantStatus || !strings.HasPrefix(body, wantPrefix) {
			t.Errorf("drafts: %d %s, want %d %s…", st, body, wantStatus, wantPrefix)
		}
	}
	check(404, `{"error":"draft not found","error_code":"DraftNotFound"}`)
	f.s.SetDraft(group, appID, true)
	check(200, `{"_id":`)
	f.s.SetDraftShape(true)
	check(200, `[{"_id":`)
	f.s.SetDraft(group, appID, false)
	check(200, `[]`)
}

func TestSyncObjectsAreRealistic(t *testing.T) {
	for name, obj := range map[string][]byte{"flexible": fakeadmin.FlexibleSync("disabled"), "partition": fakeadmin.PartitionSync("")} {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(obj, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, k := range []string{"state", "database_name", "client_max_offline_days", "is_recovery_mode_disabled", "last_disabled"} {
			if m[k] == nil {
				t.Errorf("%s lacks %s", name, k)
			}
		}
		if !bytes.Contains(obj, []byte(`"state":`)) {
			t.Errorf("%s: no state", name)
		}
	}
}

func base64RawURL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// TestStallAfterApplying: a PATCH applied, then never answered: the client
// times out, the change is in, and the call is recorded unanswered.
func TestStallAfterApplying(t *testing.T) {
	f := newFixture(t)
	access, _ := f.login()
	path := "/groups/" + group + "/apps/" + appID + "/services/" + f.s.ServiceID(group, appID) + "/config"
	f.s.Inject(fakeadmin.Fault{Method: http.MethodPatch, PathContains: "/config", ApplyFirst: true, Stall: true, Times: 1})
	patches := make(chan fakeadmin.Call, 4)
	defer f.s.Subscribe(func(c fakeadmin.Call) {
		if c.Method == http.MethodPatch {
			patches <- c
		}
	})()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, f.s.URL()+path, strings.NewReader(`{"flexible_sync":{"state":"disabled"}}`))
	req.Header.Set("Authorization", "Bearer "+access)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a stalled PATCH answered %d", resp.StatusCode)
	}
	if st, _ := f.s.SyncState(group, appID); st != "disabled" {
		t.Errorf("state = %q: the PATCH was not applied first", st)
	}
	var last fakeadmin.Call
	select { // recorded once the server sees the client leave
	case last = <-patches:
	case <-time.After(10 * time.Second):
		t.Fatal("the stalled call was never recorded")
	}
	if last.Status != 0 {
		t.Errorf("stalled call recorded with status %d, want 0 (unanswered)", last.Status)
	}
	// Times: 1 is spent; the next PATCH is answered.
	if st, _ := f.do(http.MethodPatch, path, access, `{"flexible_sync":{"state":"enabled"}}`); st != 204 {
		t.Errorf("next PATCH: %d", st)
	}
}
