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

func TestNewValidates(t *testing.T) {
	ok := adminapi.Options{BaseURL: "https://services.cloud.mongodb.com/api/admin/v3.0/", PublicKey: "p", PrivateKey: "k"}
	tests := []struct {
		name string
		edit func(*adminapi.Options)
		want string
	}{
		{"no URL", func(o *adminapi.Options) { o.BaseURL = "" }, "base URL is empty"},
		{"relative URL", func(o *adminapi.Options) { o.BaseURL = "/api/admin/v3.0" }, "want http(s)://host/path"},
		{"URL with query", func(o *adminapi.Options) { o.BaseURL = "https://h/api?x=1" }, "no query"},
		{"no public key", func(o *adminapi.Options) { o.PublicKey = " " }, "public API key is empty"},
		{"no private key", func(o *adminapi.Options) { o.PrivateKey = "" }, "private API key is empty"},
		{"negative concurrency", func(o *adminapi.Options) { o.Concurrency = -1 }, "concurrency"},
		{"negative timeout", func(o *adminapi.Options) { o.Timeout = -1 }, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			_, err := adminapi.New(o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := adminapi.New(ok); err != nil {
		t.Fatalf("valid options: %v", err)
	}
}

func TestBaseURLWithOrWithoutSlash(t *testing.T) {
	for _, suffix := range []string{"", "/"} {
		e := setup(t, func(o *adminapi.Options) { o.BaseURL += suffix })
		if _, err := e.client.OpenDraft(t.Context(), e.app); err != nil {
			t.Errorf("base URL ending %q: %v", suffix, err)
		}
	}
}

func TestOpenDraft(t *testing.T) {
	for _, array := range []bool{false, true} {
		name := map[bool]string{false: "object", true: "array"}[array]
		t.Run(name, func(t *testing.T) {
			e := setup(t)
			e.fake.SetDraftShape(array)
			for _, open := range []bool{false, true, false} {
				e.fake.SetDraft(groupID, appID, open)
				got, err := e.client.OpenDraft(t.Context(), e.app)
				if err != nil || got != open {
					t.Errorf("draft open=%v: OpenDraft = %v, %v", open, got, err)
				}
			}
		})
	}
	t.Run("other shapes", func(t *testing.T) {
		tests := []struct {
			body    string
			want    bool
			wantErr bool
		}{
			{"", false, false}, {"null", false, false}, {"{}", false, false}, {"[]", false, false},
			{"[{}]", false, false}, {"[null]", false, false}, {`{"_id":"d1"}`, true, false},
			{`[{"_id":"d1"}]`, true, false}, {`"draft"`, false, true}, {`[1]`, false, true},
		}
		for _, tt := range tests {
			e := setup(t)
			e.fake.Inject(fakeadmin.Fault{Method: http.MethodGet, PathContains: "/drafts", Status: 200, Body: tt.body})
			got, err := e.client.OpenDraft(t.Context(), e.app)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("body %q: OpenDraft = %v, %v; want %v, err %v", tt.body, got, err, tt.want, tt.wantErr)
			}
		}
	})
	t.Run("unknown app", func(t *testing.T) {
		e := setup(t)
		_, err := e.client.OpenDraft(t.Context(), adminapi.App{GroupID: groupID, AppID: "64b7f0c2a1b2c3d4e5f60700"})
		if !errors.Is(err, adminapi.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestDraftKeepsThePatchFromDeploying(t *testing.T) {
	// Why the bot checks drafts: with one open, the PATCH "succeeds" and
	// nothing changes.
	e := setup(t)
	e.fake.SetDraft(groupID, appID, true)
	cfg, err := e.client.Sync(t.Context(), e.app)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.client.SetState(t.Context(), e.app, cfg.Kind, cfg.Object, adminapi.StateDisabled); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.fake.SyncState(groupID, appID); st != "enabled" {
		t.Errorf("state = %q, want enabled (the change sits in the draft)", st)
	}
}

func TestResolveAppIDAcrossProducts(t *testing.T) {
	e := setup(t)
	ids := map[string]string{}
	for i, product := range []string{"atlas", "data-api", "device-sync"} {
		id := "64b7f0c2a1b2c3d4e5f6071" + string(rune('a'+i))
		ids[product] = id
		e.fake.AddApp(fakeadmin.App{GroupID: groupID, ID: id, Name: product, Product: product, SyncKind: "flexible_sync"})
	}
	got, err := e.client.ResolveAppID(t.Context(), groupID, "todo-abcde")
	if err != nil || got != appID {
		t.Fatalf("standard app: %q, %v; want %q", got, err, appID)
	}
	before := len(e.fake.Calls())
	got, err = e.client.ResolveAppID(t.Context(), groupID, "device-sync-abcde")
	if err != nil || got != ids["device-sync"] {
		t.Fatalf("device-sync app: %q, %v; want %q", got, err, ids["device-sync"])
	}
	var queries []string
	for _, c := range e.fake.Calls()[before:] {
		queries = append(queries, c.Query)
	}
	want := []string{"", "product=atlas", "product=data-api", "product=device-sync"}
	if diff := cmp.Diff(want, queries); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}

	_, err = e.client.ResolveAppID(t.Context(), groupID, "nope-abcde")
	if !errors.Is(err, adminapi.ErrNotFound) || !strings.Contains(err.Error(), `"nope-abcde"`) {
		t.Errorf("missing app: err = %v, want ErrNotFound naming it", err)
	}
	_, err = e.client.ResolveAppID(t.Context(), "000000000000000000000000", "todo-abcde")
	if !errors.Is(err, adminapi.ErrNotFound) {
		t.Errorf("unknown group: err = %v, want ErrNotFound", err)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	e := setup(t, func(o *adminapi.Options) { o.Concurrency = 3 })
	if err := e.client.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	release := e.fake.Hold()
	defer release()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := e.client.OpenDraft(t.Context(), e.app); err != nil {
				t.Error(err)
			}
		})
	}
	if err := e.fake.WaitHeld(t.Context(), 3); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Held(); got != 3 {
		t.Errorf("held = %d, want 3", got)
	}
	release()
	wg.Wait()
	if got := e.fake.MaxInFlight(); got != 3 {
		t.Errorf("most in flight = %d, want 3", got)
	}
	if got := count(e.fake.Calls(), http.MethodGet, "/drafts"); got != 10 {
		t.Errorf("calls = %d, want 10", got)
	}
}

func TestWaitingForASlotHonoursContext(t *testing.T) {
	e := setup(t, func(o *adminapi.Options) { o.Concurrency = 1 })
	if err := e.client.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	release := e.fake.Hold()
	defer release()
	go func() { _, _ = e.client.OpenDraft(t.Context(), e.app) }()
	if err := e.fake.WaitHeld(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := e.client.OpenDraft(ctx, e.app)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "free connection slot") {
		t.Fatalf("err = %v, want a cancelled wait for a slot", err)
	}
}

// A change's two reads are one round trip: with one slot, both are in
// flight together, and a third caller waits until both are answered.
func TestReadForChangeIsOneRoundTripOnOneSlot(t *testing.T) {
	e := setup(t, func(o *adminapi.Options) { o.Concurrency = 1 })
	if err := e.client.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Sync(t.Context(), e.app); err != nil { // caches the service id
		t.Fatal(err)
	}
	release := e.fake.Hold()
	defer release()
	done := make(chan error, 1)
	go func() { _, err := e.client.ReadForChange(t.Context(), e.app); done <- err }()
	wctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := e.fake.WaitHeld(wctx, 2); err != nil {
		t.Fatalf("the round trip's two GETs are not in flight together on one slot: %v", err)
	}
	other := make(chan error, 1)
	go func() { _, err := e.client.OpenDraft(t.Context(), e.app); other <- err }()
	// The other call cannot be in flight until the round trip ends; it is
	// queued on the slot (nothing to wait on but the fake's own count).
	eventually(t, "the other call to queue", func() bool { return adminapi.SlotWaiters(e.client) == 1 })
	if got := e.fake.Held(); got != 2 {
		t.Fatalf("held = %d with one slot, want the round trip's 2", got)
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("ReadForChange: %v", err)
	}
	if err := <-other; err != nil {
		t.Fatalf("OpenDraft: %v", err)
	}
	if got := e.fake.MaxInFlight(); got != 2 {
		t.Errorf("most in flight = %d, want 2 (one round trip of two GETs)", got)
	}
}

func TestReadForChangeRefusesAnOpenDraft(t *testing.T) {
	e := setup(t)
	e.fake.SetDraft(groupID, appID, true)
	_, err := e.client.ReadForChange(t.Context(), e.app)
	if !errors.Is(err, adminapi.ErrDraftOpen) {
		t.Fatalf("err = %v, want ErrDraftOpen", err)
	}
	e.fake.SetDraft(groupID, appID, false)
	cfg, err := e.client.ReadForChange(t.Context(), e.app)
	if err != nil || cfg.State != adminapi.StateEnabled {
		t.Fatalf("ReadForChange = %+v, %v; want enabled", cfg, err)
	}
}

// A resume after a terminate finds no sync object; an open draft must still
// refuse the change, or its PATCH lands in the draft and does not deploy.
func TestReadForChangeRefusesAnOpenDraftWithoutASyncObject(t *testing.T) {
	e := setup(t)
	e.fake.SetSync(groupID, appID, "", nil)
	e.fake.SetDraft(groupID, appID, true)
	if _, err := e.client.ReadForChange(t.Context(), e.app); !errors.Is(err, adminapi.ErrDraftOpen) {
		t.Fatalf("err = %v, want ErrDraftOpen", err)
	}
	e.fake.SetDraft(groupID, appID, false)
	if _, err := e.client.ReadForChange(t.Context(), e.app); !errors.Is(err, adminapi.ErrSyncNotConfigured) {
		t.Fatalf("err = %v, want ErrSyncNotConfigured", err)
	}
}
