package adminapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/fakeadmin"
)

func TestTriggersListsStatesAndTypes(t *testing.T) {
	e := setup(t)
	e.fake.AddTrigger(groupID, appID, fakeadmin.Trigger{Object: fakeadmin.DatabaseTrigger("orders", false)})
	e.fake.AddTrigger(groupID, appID, fakeadmin.Trigger{Object: fakeadmin.ScheduledTrigger("daily", true)})
	sus := e.fake.AddTrigger(groupID, appID, fakeadmin.Trigger{Object: fakeadmin.DatabaseTrigger("audit", false), Suspended: "(ChangeStreamHistoryLost) resume token not found"})
	list, err := e.client.Triggers(t.Context(), e.app)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tr := range list {
		got[tr.Name] = tr.Type + " " + tr.State
	}
	want := map[string]string{"orders": "DATABASE enabled", "daily": "SCHEDULED disabled", "audit": "DATABASE suspended"}
	if len(got) != 3 || got["orders"] != want["orders"] || got["daily"] != want["daily"] || got["audit"] != want["audit"] {
		t.Fatalf("triggers = %v, want %v", got, want)
	}
	one, err := e.client.Trigger(t.Context(), e.app, sus)
	if err != nil || one.State != adminapi.TriggerSuspended || one.Error == "" {
		t.Fatalf("Trigger(suspended) = %+v, %v", one, err)
	}
	if _, err := e.client.Trigger(t.Context(), e.app, "65f0a0b0ffffffffffffffff"); !errors.Is(err, adminapi.ErrTriggerNotFound) {
		t.Fatalf("unknown trigger: err = %v, want ErrTriggerNotFound", err)
	}
}

// The SPEC's schema alone (no suspension member): a suspended trigger reads
// as enabled. This is the assumption docs/triggers.md names.
func TestSuspensionHiddenReadsAsEnabled(t *testing.T) {
	e := setupWith(t, fakeadmin.Options{HideSuspension: true})
	id := e.fake.AddTrigger(groupID, appID, fakeadmin.Trigger{Object: fakeadmin.DatabaseTrigger("orders", false), Suspended: "invalidate"})
	tr, err := e.client.Trigger(t.Context(), e.app, id)
	if err != nil || tr.State != adminapi.TriggerEnabled {
		t.Fatalf("Trigger = %+v, %v; want enabled (nothing shows the suspension)", tr, err)
	}
}

func TestSetTriggerDisabledRoundTripsEveryOtherMemberByteForByte(t *testing.T) {
	e := setup(t)
	id := e.fake.AddTrigger(groupID, appID, fakeadmin.Trigger{Object: fakeadmin.DatabaseTrigger("orders", false)})
	tr, err := e.client.Trigger(t.Context(), e.app, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.client.SetTriggerDisabled(t.Context(), e.app, id, tr.Object, true); err != nil {
		t.Fatal(err)
	}
	puts := e.fake.TriggerPuts()
	if len(puts) != 1 || puts[0].Status != http.StatusNoContent {
		t.Fatalf("puts = %+v", puts)
	}
	want := bytes.Replace(tr.Object, []byte(`"disabled":false`), []byte(`"disabled":true`), 1)
	if !bytes.Equal(puts[0].Body, want) {
		t.Fatalf("PUT body\n got %s\nwant %s", puts[0].Body, want)
	}
	if s := e.fake.TriggerState(groupID, appID, id); s != "disabled" {
		t.Fatalf("state = %s", s)
	}
}

func TestFakeRefusesAPutThatChangesAnotherMember(t *testing.T) {
	e := setup(t)
	id := e.fake.AddTrigger(groupID, appID, fakeadmin.Trigger{Object: fakeadmin.DatabaseTrigger("orders", false)})
	tr, _ := e.client.Trigger(t.Context(), e.app, id)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(tr.Object, &m)
	delete(m, "event_processors")
	dropped, _ := json.Marshal(m)
	err := e.client.SetTriggerDisabled(t.Context(), e.app, id, dropped, true)
	var apiErr *adminapi.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
		t.Fatalf("PUT without event_processors: err = %v, want a 400", err)
	}
	if s := e.fake.TriggerState(groupID, appID, id); s != "enabled" {
		t.Fatalf("state = %s, want unchanged", s)
	}
}

// A PUT applied but unanswered is read back, not resent.
func TestSetTriggerDisabledUnclearAnswerReadsBack(t *testing.T) {
	e := setup(t)
	id := e.fake.AddTrigger(groupID, appID, fakeadmin.Trigger{Object: fakeadmin.DatabaseTrigger("orders", false)})
	tr, _ := e.client.Trigger(t.Context(), e.app, id)
	e.fake.Inject(fakeadmin.Fault{Method: http.MethodPut, PathContains: "/triggers/", Status: 502, ApplyFirst: true, Times: 1})
	err := drive(t, e.clk, time.Second, func() error { return e.client.SetTriggerDisabled(t.Context(), e.app, id, tr.Object, true) })
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.fake.TriggerPuts()); n != 1 {
		t.Fatalf("%d PUTs, want 1 (read back, not resent)", n)
	}
}

func TestResumeTrigger(t *testing.T) {
	for _, tc := range []struct {
		name         string
		obj          json.RawMessage
		suspended    string
		tokenGone    bool
		disableToken bool
		wantStatus   int
		wantState    string
	}{
		{"with the token", fakeadmin.DatabaseTrigger("orders", false), "invalidate", false, false, 204, "enabled"},
		{"token gone", fakeadmin.DatabaseTrigger("orders", false), "history lost", true, false, 400, "suspended"},
		{"token gone, skipping", fakeadmin.DatabaseTrigger("orders", false), "history lost", true, true, 204, "enabled"},
		{"not suspended", fakeadmin.DatabaseTrigger("orders", false), "", false, false, 400, "enabled"},
		{"scheduled", fakeadmin.ScheduledTrigger("daily", false), "", false, false, 400, "enabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			id := e.fake.AddTrigger(groupID, appID, fakeadmin.Trigger{Object: tc.obj, Suspended: tc.suspended, TokenGone: tc.tokenGone})
			err := e.client.ResumeTrigger(t.Context(), e.app, id, tc.disableToken)
			puts := e.fake.TriggerPuts()
			if len(puts) != 1 || puts[0].Status != tc.wantStatus || !puts[0].Resume {
				t.Fatalf("puts = %+v, err %v", puts, err)
			}
			want := `{"disable_token":false}`
			if tc.disableToken {
				want = `{"disable_token":true}`
			}
			if string(puts[0].Body) != want {
				t.Fatalf("body %s, want %s", puts[0].Body, want)
			}
			if (err == nil) != (tc.wantStatus == 204) {
				t.Fatalf("err = %v", err)
			}
			if gone := errors.Is(err, adminapi.ErrResumeTokenGone); gone != (tc.tokenGone && !tc.disableToken) {
				t.Fatalf("err = %v: ErrResumeTokenGone %t", err, gone)
			}
			if s := e.fake.TriggerState(groupID, appID, id); s != tc.wantState {
				t.Fatalf("state = %s, want %s", s, tc.wantState)
			}
		})
	}
}

func TestLastProcessed(t *testing.T) {
	e := setup(t)
	at := time.Date(2026, 2, 28, 23, 59, 0, 0, time.UTC)
	ran := e.fake.AddTrigger(groupID, appID, fakeadmin.Trigger{Object: fakeadmin.DatabaseTrigger("orders", false), LastProcessed: at})
	never := e.fake.AddTrigger(groupID, appID, fakeadmin.Trigger{Object: fakeadmin.DatabaseTrigger("fresh", false)})
	if got, err := e.client.LastProcessed(t.Context(), e.app, ran); err != nil || !got.Equal(at) {
		t.Fatalf("LastProcessed = %v, %v; want %v", got, err, at)
	}
	if got, err := e.client.LastProcessed(t.Context(), e.app, never); err != nil || !got.IsZero() {
		t.Fatalf("LastProcessed(never ran) = %v, %v; want zero", got, err)
	}
}
