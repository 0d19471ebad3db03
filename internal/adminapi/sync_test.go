package adminapi_test

import (
	"encoding/json"
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

func TestSyncReadsTheConfig(t *testing.T) {
	tests := []struct {
		kind string
		obj  json.RawMessage
	}{
		{adminapi.KindFlexible, fakeadmin.FlexibleSync("enabled")},
		{adminapi.KindPartition, fakeadmin.PartitionSync("disabled")},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			e := setup(t)
			e.fake.SetSync(groupID, appID, tt.kind, tt.obj)
			cfg, err := e.client.Sync(t.Context(), e.app)
			if err != nil {
				t.Fatal(err)
			}
			var o struct{ State string }
			_ = json.Unmarshal(tt.obj, &o)
			want := adminapi.SyncConfig{
				ServiceID: e.fake.ServiceID(groupID, appID), Kind: tt.kind, State: o.State,
				Object: tt.obj, LastDisabled: time.Unix(1700000000, 0).UTC(),
			}
			if diff := cmp.Diff(want, cfg); diff != "" {
				t.Errorf("SyncConfig (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLastDisabledForms(t *testing.T) {
	tests := []struct {
		name, raw string
		want      time.Time
	}{
		{"number", `1700000000`, time.Unix(1700000000, 0).UTC()},
		{"string", `"1700000000"`, time.Unix(1700000000, 0).UTC()},
		{"fraction", `1700000000.5`, time.Unix(1700000000, 5e8).UTC()},
		{"milliseconds", `1700000000123`, time.Unix(1700000000, 123e6).UTC()},
		{"RFC 3339", `"2023-11-14T22:13:20Z"`, time.Unix(1700000000, 0).UTC()},
		{"null", `null`, time.Time{}},
		{"zero", `0`, time.Time{}},
		{"garbage", `"soon"`, time.Time{}},
		{"absent", ``, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			obj := `{"state":"disabled","database_name":"todo"`
			if tt.raw != "" {
				obj += `,"last_disabled":` + tt.raw
			}
			e.fake.SetSync(groupID, appID, adminapi.KindFlexible, json.RawMessage(obj+`}`))
			cfg, err := e.client.Sync(t.Context(), e.app)
			if err != nil {
				t.Fatal(err)
			}
			if !cfg.LastDisabled.Equal(tt.want) {
				t.Errorf("LastDisabled = %v, want %v", cfg.LastDisabled, tt.want)
			}
		})
	}
}

// decodeMap decodes a JSON object one level deep.
func decodeMap(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return m
}

func TestPatchBodyIsTheObjectWithOnlyStateChanged(t *testing.T) {
	tests := []struct {
		kind string
		obj  json.RawMessage
	}{
		{adminapi.KindFlexible, fakeadmin.FlexibleSync("enabled")},
		{adminapi.KindPartition, fakeadmin.PartitionSync("enabled")},
	}
	for _, tt := range tests {
		for _, state := range []string{adminapi.StateDisabled, adminapi.StateTerminated} {
			t.Run(tt.kind+" to "+state, func(t *testing.T) {
				e := setup(t)
				e.fake.SetSync(groupID, appID, tt.kind, tt.obj)
				cfg, err := e.client.Sync(t.Context(), e.app)
				if err != nil {
					t.Fatal(err)
				}
				if err := e.client.SetState(t.Context(), e.app, cfg.Kind, cfg.Object, state); err != nil {
					t.Fatal(err)
				}
				patches := e.fake.Patches()
				if len(patches) != 1 {
					t.Fatalf("patches = %d, want 1", len(patches))
				}
				p := patches[0]
				if p.ServiceID != cfg.ServiceID || p.GroupID != groupID || p.AppID != appID {
					t.Errorf("patched %s/%s/%s, want %s/%s/%s", p.GroupID, p.AppID, p.ServiceID, groupID, appID, cfg.ServiceID)
				}
				var top map[string]json.RawMessage
				if err := json.Unmarshal(p.Body, &top); err != nil {
					t.Fatal(err)
				}
				if len(top) != 1 || top[tt.kind] == nil {
					t.Fatalf("top-level keys of %s: want only %q (no cluster fields)", p.Body, tt.kind)
				}
				want := decodeMap(t, tt.obj)
				want["state"] = state
				if diff := cmp.Diff(want, decodeMap(t, top[tt.kind])); diff != "" {
					t.Errorf("PATCHed object (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestPatchKeepsEveryOtherValueByteForByte(t *testing.T) {
	e := setup(t)
	obj := `{ "z_first": "a<b & c>d",  "state" : "enabled", "n": 1.50, "u": "\u00e9", ` +
		`"nested": {"b": [1, 2], "a": null}, "state": "dup" }`
	e.fake.SetSync(groupID, appID, adminapi.KindFlexible, json.RawMessage(obj))
	cfg, err := e.client.Sync(t.Context(), e.app)
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.Object) != obj {
		t.Fatalf("Object = %s, want it exactly as served", cfg.Object)
	}
	if err := e.client.SetState(t.Context(), e.app, cfg.Kind, cfg.Object, adminapi.StateDisabled); err != nil {
		t.Fatal(err)
	}
	want := `{"flexible_sync":{"z_first":"a<b & c>d","state":"disabled","n":1.50,"u":"\u00e9",` +
		`"nested":{"b": [1, 2], "a": null}}}`
	if got := string(e.fake.Patches()[0].Body); got != want {
		t.Errorf("body = %s\nwant   %s", got, want)
	}
}

func TestResumeWithASnapshotAfterTerminate(t *testing.T) {
	e := setup(t)
	snap, err := e.client.Sync(t.Context(), e.app)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.client.SetState(t.Context(), e.app, snap.Kind, snap.Object, adminapi.StateTerminated); err != nil {
		t.Fatal(err)
	}
	// After a terminate the API may keep only a bare object.
	e.fake.SetSync(groupID, appID, adminapi.KindFlexible, json.RawMessage(`{"state":""}`))
	if err := e.client.SetState(t.Context(), e.app, snap.Kind, snap.Object, adminapi.StateEnabled); err != nil {
		t.Fatal(err)
	}
	want := decodeMap(t, snap.Object)
	if diff := cmp.Diff(want, decodeMap(t, e.fake.SyncObject(groupID, appID))); diff != "" {
		t.Errorf("restored object (-want +got):\n%s", diff)
	}
}

func TestSetStateRejectsBadInputBeforeAnyCall(t *testing.T) {
	obj := fakeadmin.FlexibleSync("enabled")
	tests := []struct {
		name, kind, state string
		obj               json.RawMessage
		app               adminapi.App
	}{
		{"unknown state", adminapi.KindFlexible, "paused", obj, adminapi.App{GroupID: groupID, AppID: appID}},
		{"unknown kind", "realm_sync", adminapi.StateDisabled, obj, adminapi.App{GroupID: groupID, AppID: appID}},
		{"array object", adminapi.KindFlexible, adminapi.StateDisabled, json.RawMessage(`[]`), adminapi.App{GroupID: groupID, AppID: appID}},
		{"null object", adminapi.KindFlexible, adminapi.StateDisabled, json.RawMessage(`null`), adminapi.App{GroupID: groupID, AppID: appID}},
		{"broken object", adminapi.KindFlexible, adminapi.StateDisabled, json.RawMessage(`{"state":`), adminapi.App{GroupID: groupID, AppID: appID}},
		{"trailing data", adminapi.KindFlexible, adminapi.StateDisabled, json.RawMessage(`{} {}`), adminapi.App{GroupID: groupID, AppID: appID}},
		{"no app", adminapi.KindFlexible, adminapi.StateDisabled, obj, adminapi.App{GroupID: groupID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			if err := e.client.SetState(t.Context(), tt.app, tt.kind, tt.obj, tt.state); err == nil {
				t.Fatal("no error")
			}
			if calls := e.fake.Calls(); len(calls) != 0 {
				t.Errorf("calls = %v, want none", calls)
			}
		})
	}
}

func TestSyncNotConfigured(t *testing.T) {
	tests := []struct {
		name     string
		prepare  func(e *env)
		app      adminapi.App
		notFound bool
	}{
		{name: "sync object removed", prepare: func(e *env) { e.fake.SetSync(groupID, appID, "", nil) }},
		{name: "empty sync object", prepare: func(e *env) {
			e.fake.Inject(fakeadmin.Fault{Method: http.MethodGet, PathContains: "/config", Status: 200,
				Body: `{"clusterName":"Cluster0","flexible_sync":{},"sync":null}`})
		}},
		{name: "no linked cluster", prepare: func(e *env) {
			e.fake.AddApp(fakeadmin.App{GroupID: groupID, ID: "64b7f0c2a1b2c3d4e5f60799", NoCluster: true})
		}, app: adminapi.App{GroupID: groupID, AppID: "64b7f0c2a1b2c3d4e5f60799"}},
		{name: "app gone", app: adminapi.App{GroupID: groupID, AppID: "64b7f0c2a1b2c3d4e5f60700"}, notFound: true},
		{name: "service gone", prepare: func(e *env) {
			e.fake.Inject(fakeadmin.Fault{Method: http.MethodGet, PathContains: "/config", Status: 404,
				Body: `{"error":"service not found: 'x'","error_code":"ServiceNotFound"}`})
		}, notFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			if tt.prepare != nil {
				tt.prepare(e)
			}
			app := tt.app
			if app == (adminapi.App{}) {
				app = e.app
			}
			_, err := e.client.Sync(t.Context(), app)
			if !errors.Is(err, adminapi.ErrSyncNotConfigured) {
				t.Fatalf("err = %v, want ErrSyncNotConfigured", err)
			}
			if got := errors.Is(err, adminapi.ErrNotFound); got != tt.notFound {
				t.Errorf("errors.Is(err, ErrNotFound) = %v, want %v (err %v)", got, tt.notFound, err)
			}
		})
	}
}

func TestServiceFindsTheSyncClusterAndCachesIt(t *testing.T) {
	e := setup(t)
	e.fake.AddApp(fakeadmin.App{GroupID: groupID, ID: appID, SyncKind: "sync", ExtraServices: true})
	for range 3 {
		sid, err := e.client.Service(t.Context(), e.app)
		if err != nil {
			t.Fatal(err)
		}
		if want := e.fake.ServiceID(groupID, appID); sid != want {
			t.Fatalf("service = %s, want %s (the one with sync)", sid, want)
		}
	}
	lookups := 0
	for _, c := range e.fake.Calls() {
		if strings.HasSuffix(c.Path, "/services") {
			lookups++
		}
	}
	if got := lookups; got != 1 {
		t.Errorf("services lookups = %d, want 1 (then cached)", got)
	}
}

func TestSyncFindsARelinkedCluster(t *testing.T) {
	e := setup(t)
	if _, err := e.client.Sync(t.Context(), e.app); err != nil {
		t.Fatal(err)
	}
	old := e.fake.ServiceID(groupID, appID)
	// The cluster is unlinked and linked again: a new service id.
	e.fake.AddApp(fakeadmin.App{GroupID: groupID, ID: appID, SyncKind: "flexible_sync"})
	cfg, err := e.client.Sync(t.Context(), e.app)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ServiceID == old || cfg.ServiceID != e.fake.ServiceID(groupID, appID) {
		t.Errorf("service = %s, want the new %s", cfg.ServiceID, e.fake.ServiceID(groupID, appID))
	}
}

func TestConcurrentSyncReadsShareOneGET(t *testing.T) {
	e := setup(t)
	if _, err := e.client.Service(t.Context(), e.app); err != nil {
		t.Fatal(err)
	}
	release := e.fake.Hold()
	defer release()
	var wg sync.WaitGroup
	results := make(chan adminapi.SyncConfig, 20)
	for range 20 {
		wg.Go(func() {
			cfg, err := e.client.Sync(t.Context(), e.app)
			if err != nil {
				t.Error(err)
			}
			results <- cfg
		})
	}
	if err := e.fake.WaitHeld(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "20 callers on one read", func() bool { return adminapi.SyncWaiters(e.client, e.app) == 20 })
	release()
	wg.Wait()
	close(results)
	if got := count(e.fake.Calls(), http.MethodGet, "/config"); got != 1 {
		t.Errorf("config GETs = %d, want 1", got)
	}
	// Each caller owns its copy of the object.
	var objs []json.RawMessage
	for cfg := range results {
		objs = append(objs, cfg.Object)
	}
	objs[0][0] = 'X'
	if objs[1][0] != '{' {
		t.Error("callers share one Object slice")
	}
}

func TestSetStateForgetsAnOlderRead(t *testing.T) {
	e := setup(t)
	cfg, err := e.client.Sync(t.Context(), e.app)
	if err != nil {
		t.Fatal(err)
	}
	// A read begins and is held…
	release := e.fake.Hold()
	older := make(chan adminapi.SyncConfig, 1)
	go func() {
		c, _ := e.client.Sync(t.Context(), e.app)
		older <- c
	}()
	if err := e.fake.WaitHeld(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	// …a PATCH goes through (held too, then both released)…
	done := make(chan error, 1)
	go func() { done <- e.client.SetState(t.Context(), e.app, cfg.Kind, cfg.Object, adminapi.StateDisabled) }()
	if err := e.fake.WaitHeld(t.Context(), 2); err != nil {
		t.Fatal(err)
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-older
	// …and a read asked for after the PATCH sees it.
	after, err := e.client.Sync(t.Context(), e.app)
	if err != nil {
		t.Fatal(err)
	}
	if after.State != adminapi.StateDisabled {
		t.Errorf("state after PATCH = %q, want disabled", after.State)
	}
}

func TestClientAppIDIsResolvedOnceOnFirstUse(t *testing.T) {
	e := setup(t)
	e.fake.AddApp(fakeadmin.App{GroupID: groupID, ID: "64b7f0c2a1b2c3d4e5f607aa", ClientAppID: "ds-app-xyz", Product: "device-sync", SyncKind: "flexible_sync"})
	app := adminapi.App{GroupID: groupID, ClientAppID: "ds-app-xyz"}
	for range 3 {
		cfg, err := e.client.Sync(t.Context(), app)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.State != "enabled" {
			t.Fatalf("state = %q", cfg.State)
		}
	}
	lists := 0
	for _, call := range e.fake.Calls() {
		if strings.HasSuffix(call.Path, "/apps") {
			lists++
		}
	}
	// standard, atlas, data-api, then device-sync finds it; never again.
	if lists != 4 {
		t.Errorf("%d app listings, want 4 (one resolution across products)", lists)
	}
	if _, err := e.client.Sync(t.Context(), adminapi.App{GroupID: groupID, ClientAppID: "nope-123"}); !errors.Is(err, adminapi.ErrNotFound) {
		t.Errorf("unknown client_app_id: %v", err)
	}
}
