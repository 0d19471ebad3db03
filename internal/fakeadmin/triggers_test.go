package fakeadmin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/syncbot/syncbot/internal/fakeadmin"
)

// The fake is as strict as the SPEC on a trigger's PUT: the whole object,
// with only "disabled" changed.
func TestTriggerPutStrictness(t *testing.T) {
	f := newFixture(t)
	id := f.s.AddTrigger(group, appID, fakeadmin.Trigger{Object: fakeadmin.DatabaseTrigger("orders", false)})
	access, _ := f.login()
	path := "/groups/" + group + "/apps/" + appID + "/triggers/" + id
	st, obj := f.do(http.MethodGet, path, access, "")
	if st != 200 || !strings.HasPrefix(obj, `{"_id":"`+id+`","name":"orders"`) {
		t.Fatalf("GET %d %s", st, obj)
	}
	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"changed config", strings.Replace(obj, `"database":"shop"`, `"database":"other"`, 1), 400},
		{"dropped member", strings.Replace(obj, `"function_name":"onOrder",`, ``, 1), 400},
		{"unknown member", strings.Replace(obj, `{"_id"`, `{"extra":1,"_id"`, 1), 400},
		{"not an object", `[]`, 400},
		{"reordered and re-spaced, only disabled changed", strings.Replace(strings.Replace(obj, `"disabled":false,`, ``, 1), `{"_id"`, `{ "disabled" : true, "_id"`, 1), 204},
	} {
		if st, body := f.do(http.MethodPut, path, access, tc.body); st != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, st, body, tc.status)
		}
	}
	if s := f.s.TriggerState(group, appID, id); s != "disabled" {
		t.Errorf("state %s", s)
	}
	if st, _ := f.do(http.MethodPut, "/groups/"+group+"/apps/"+appID+"/triggers/65f0a0b0ffffffffffffffff", access, obj); st != 404 {
		t.Errorf("unknown trigger: %d", st)
	}
}

func TestTriggerResumeRules(t *testing.T) {
	f := newFixture(t)
	sched := f.s.AddTrigger(group, appID, fakeadmin.Trigger{Object: fakeadmin.ScheduledTrigger("daily", false)})
	db := f.s.AddTrigger(group, appID, fakeadmin.Trigger{Object: fakeadmin.DatabaseTrigger("orders", false)})
	access, _ := f.login()
	resume := func(id, body string) int {
		st, _ := f.do(http.MethodPut, "/groups/"+group+"/apps/"+appID+"/triggers/"+id+"/resume", access, body)
		return st
	}
	if st := resume(sched, `{"disable_token":true}`); st != 400 {
		t.Errorf("scheduled: %d", st)
	}
	if st := resume(db, ""); st != 400 {
		t.Errorf("not suspended: %d", st)
	}
	f.s.SuspendTrigger(group, appID, db, "(ChangeStreamHistoryLost) gone", true)
	if _, obj := f.do(http.MethodGet, "/groups/"+group+"/apps/"+appID+"/triggers/"+db, access, ""); !strings.Contains(obj, `"error":"(ChangeStreamHistoryLost) gone"`) {
		t.Errorf("a suspended trigger shows %s", obj)
	}
	if st := resume(db, ""); st != 400 {
		t.Errorf("token gone, no body (disable_token false): %d", st)
	}
	if st := resume(db, `{"disable_token":"yes"}`); st != 400 {
		t.Errorf("bad body: %d", st)
	}
	if st := resume(db, `{"disable_token":true}`); st != 204 || f.s.TriggerState(group, appID, db) != "enabled" {
		t.Errorf("skip: %d, %s", st, f.s.TriggerState(group, appID, db))
	}
	if _, obj := f.do(http.MethodGet, "/groups/"+group+"/apps/"+appID+"/triggers/"+db, access, ""); strings.Contains(obj, `"error"`) {
		t.Errorf("a resumed trigger still shows its error: %s", obj)
	}
}
