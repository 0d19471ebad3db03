package fakeadmin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"time"

	"github.com/syncbot/syncbot/internal/demo"
)

// Triggers (the SPEC's tag triggers, and event_subscriptions/{id}/execution).
// A trigger is stored as the raw object the API serves; the fake is as
// strict as the SPEC on the PUT (it replaces the whole trigger): a body
// that drops, adds or changes any member other than "disabled" is refused,
// so a client that re-encodes or models the object is caught.

// Trigger is a trigger to serve.
type Trigger struct {
	ID     string          // generated if empty
	Object json.RawMessage // the object without _id, e.g. DatabaseTrigger(...)
	// Suspended makes a DATABASE trigger suspended, with this reason.
	Suspended string
	// TokenGone: its resume token has left the oplog, so a resume with
	// the token fails (docs: ChangeStreamHistoryLost).
	TokenGone bool
	// LastProcessed is its event subscription's completed_at (zero: it
	// never executed, 404).
	LastProcessed time.Time
}

type trigger struct {
	id            string
	object        map[string]json.RawMessage // _id and the suspension member included
	order         []string                   // member order, as served
	typ           string
	suspended     string
	tokenGone     bool
	lastProcessed time.Time
}

// TriggerPut is one PUT of a trigger, or of its resume, that passed
// authentication.
type TriggerPut struct {
	GroupID, AppID, TriggerID string
	Resume                    bool            // PUT …/resume
	Body                      json.RawMessage // exactly as sent
	Status                    int
	At                        time.Time
}

// TriggerPuts returns every trigger PUT so far, in order.
func (s *Server) TriggerPuts() []TriggerPut {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]TriggerPut, len(s.triggerPuts))
	for i, p := range s.triggerPuts {
		p.Body = bytes.Clone(p.Body)
		out[i] = p
	}
	return out
}

// AddTrigger adds a trigger to an app and returns its id.
func (s *Server) AddTrigger(groupID, appID string, t Trigger) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(t.Object, &m); err != nil || m == nil {
		panic(fmt.Sprintf("fakeadmin: trigger object is not a JSON object: %v", err))
	}
	var typ string
	_ = json.Unmarshal(m["type"], &typ)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.mustAppLocked(groupID, appID)
	if t.ID == "" {
		t.ID = s.newIDLocked()
	}
	tr := &trigger{id: t.ID, object: map[string]json.RawMessage{"_id": mustJSON(t.ID)}, order: []string{"_id"},
		typ: typ, tokenGone: t.TokenGone, lastProcessed: t.LastProcessed}
	for _, k := range memberOrder(t.Object) {
		if k == "_id" {
			continue
		}
		tr.object[k] = m[k]
		tr.order = append(tr.order, k)
	}
	a.triggers = append(a.triggers, tr)
	if t.Suspended != "" {
		s.suspendLocked(tr, t.Suspended)
	}
	return t.ID
}

// SuspendTrigger suspends a DATABASE trigger behind the client's back, as
// an invalidate event or a lost resume token would; tokenGone says whether
// its resume token is gone too.
func (s *Server) SuspendTrigger(groupID, appID, id, reason string, tokenGone bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tr := s.mustTriggerLocked(groupID, appID, id)
	if tr.typ != "DATABASE" {
		panic("fakeadmin: only database triggers suspend")
	}
	tr.tokenGone = tokenGone
	s.suspendLocked(tr, reason)
}

func (s *Server) suspendLocked(tr *trigger, reason string) {
	tr.suspended = reason
	if s.opts.HideSuspension {
		return
	}
	if _, ok := tr.object[suspensionField]; !ok {
		tr.order = append(tr.order, suspensionField)
	}
	tr.object[suspensionField] = mustJSON(reason)
}

// suspensionField: where the fake shows a suspension (docs/triggers.md:
// an assumption; Options.HideSuspension serves the SPEC's schema alone).
const suspensionField = "error"

// TriggerState is the trigger's state: "enabled", "disabled" or
// "suspended".
func (s *Server) TriggerState(groupID, appID, id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tr := s.mustTriggerLocked(groupID, appID, id)
	return tr.stateLocked()
}

// TriggerObject is a copy of the trigger as served.
func (s *Server) TriggerObject(groupID, appID, id string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mustTriggerLocked(groupID, appID, id).encode()
}

func (tr *trigger) stateLocked() string {
	var disabled bool
	_ = json.Unmarshal(tr.object["disabled"], &disabled)
	switch {
	case disabled:
		return "disabled"
	case tr.suspended != "":
		return "suspended"
	}
	return "enabled"
}

func (tr *trigger) encode() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range tr.order {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(mustJSON(k))
		b.WriteByte(':')
		b.Write(tr.object[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}

func (s *Server) mustTriggerLocked(groupID, appID, id string) *trigger {
	for _, tr := range s.mustAppLocked(groupID, appID).triggers {
		if tr.id == id {
			return tr
		}
	}
	panic(fmt.Sprintf("fakeadmin: no trigger %s in %s/%s", id, groupID, appID))
}

// triggerLocked finds the route's trigger, or returns the 404 to send.
func (s *Server) triggerLocked(r *http.Request) (*app, *trigger, reply) {
	a, fail := s.lookupLocked(r)
	if a == nil {
		return nil, nil, fail
	}
	id := r.PathValue("trigger")
	for _, tr := range a.triggers {
		if tr.id == id {
			return a, tr, reply{}
		}
	}
	// The SPEC documents a 404 with an error; the code is an assumption.
	return nil, nil, errReply(http.StatusNotFound, fmt.Sprintf("trigger not found: '%s'", id), "TriggerNotFound")
}

func (s *Server) handleListTriggers(w http.ResponseWriter, r *http.Request) {
	s.answer(w, func() reply {
		a, fail := s.lookupLocked(r)
		if a == nil {
			return fail
		}
		var b bytes.Buffer
		b.WriteByte('[')
		for i, tr := range a.triggers {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(tr.encode())
		}
		b.WriteByte(']')
		return reply{status: http.StatusOK, body: b.Bytes()}
	})
}

func (s *Server) handleGetTrigger(w http.ResponseWriter, r *http.Request) {
	s.answer(w, func() reply {
		_, tr, fail := s.triggerLocked(r)
		if tr == nil {
			return fail
		}
		return reply{status: http.StatusOK, body: tr.encode()}
	})
}

// handlePutTrigger: PUT …/triggers/{id}, the whole trigger. Only
// "disabled" may differ from what is stored.
func (s *Server) handlePutTrigger(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "could not read the request body", "BadRequest")
		return
	}
	s.answer(w, func() reply {
		a, tr, fail := s.triggerLocked(r)
		if tr == nil {
			return fail
		}
		rp := s.putTriggerLocked(tr, body)
		s.triggerPuts = append(s.triggerPuts, TriggerPut{GroupID: a.GroupID, AppID: a.ID, TriggerID: tr.id, Body: body, Status: rp.status, At: s.clock.Now()})
		return rp
	})
}

func (s *Server) putTriggerLocked(tr *trigger, body []byte) reply {
	var sent map[string]json.RawMessage
	if err := json.Unmarshal(body, &sent); err != nil || sent == nil {
		return errReply(http.StatusBadRequest, "invalid JSON body: expected a trigger object", "BadRequest")
	}
	for k, stored := range tr.object {
		if k == "disabled" {
			continue
		}
		v, ok := sent[k]
		if !ok {
			return errReply(http.StatusBadRequest, fmt.Sprintf("the trigger's %q is missing: a PUT replaces the whole trigger", k), "InvalidParameter")
		}
		if !sameJSON(v, stored) {
			return errReply(http.StatusBadRequest, fmt.Sprintf("the trigger's %q differs from the stored one", k), "InvalidParameter")
		}
	}
	for k := range sent {
		if _, ok := tr.object[k]; !ok && k != "disabled" {
			return errReply(http.StatusBadRequest, fmt.Sprintf("unknown trigger field %q", k), "InvalidParameter")
		}
	}
	var disabled bool
	if v, ok := sent["disabled"]; ok {
		if err := json.Unmarshal(v, &disabled); err != nil {
			return errReply(http.StatusBadRequest, "disabled must be a boolean", "InvalidParameter")
		}
		if _, had := tr.object["disabled"]; !had {
			tr.order = append(tr.order, "disabled")
		}
		tr.object["disabled"] = mustJSON(disabled)
	}
	return reply{status: http.StatusNoContent}
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// handleResumeTrigger: PUT …/triggers/{id}/resume with an optional
// {"disable_token": bool}: only a suspended DATABASE trigger resumes; with
// its token gone, only with disable_token true.
func (s *Server) handleResumeTrigger(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "could not read the request body", "BadRequest")
		return
	}
	s.answer(w, func() reply {
		a, tr, fail := s.triggerLocked(r)
		if tr == nil {
			return fail
		}
		rp := s.resumeTriggerLocked(tr, body)
		s.triggerPuts = append(s.triggerPuts, TriggerPut{GroupID: a.GroupID, AppID: a.ID, TriggerID: tr.id, Resume: true, Body: body, Status: rp.status, At: s.clock.Now()})
		return rp
	})
}

func (s *Server) resumeTriggerLocked(tr *trigger, body []byte) reply {
	var opts struct {
		DisableToken *bool `json:"disable_token"`
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &opts); err != nil {
			return errReply(http.StatusBadRequest, "invalid JSON body: disable_token must be a boolean", "BadRequest")
		}
	}
	skip := opts.DisableToken != nil && *opts.DisableToken
	// The statuses and codes below are assumptions (docs/triggers.md):
	// the SPEC documents only 204 and 404.
	switch {
	case tr.typ != "DATABASE":
		return errReply(http.StatusBadRequest, fmt.Sprintf("only database triggers can be resumed; this one is %s", tr.typ), "InvalidParameter")
	case tr.suspended == "":
		return errReply(http.StatusBadRequest, "trigger is not suspended", "InvalidParameter")
	case tr.tokenGone && !skip:
		return errReply(http.StatusBadRequest, "(ChangeStreamHistoryLost) the resume token is no longer in the oplog: resume without it", "ChangeStreamHistoryLost")
	}
	tr.suspended, tr.tokenGone = "", false
	if _, ok := tr.object[suspensionField]; ok {
		delete(tr.object, suspensionField)
		for i, k := range tr.order {
			if k == suspensionField {
				tr.order = append(tr.order[:i:i], tr.order[i+1:]...)
				break
			}
		}
	}
	return reply{status: http.StatusNoContent}
}

// handleExecution: GET …/event_subscriptions/{id}/execution.
func (s *Server) handleExecution(w http.ResponseWriter, r *http.Request) {
	s.answer(w, func() reply {
		a, fail := s.lookupLocked(r)
		if a == nil {
			return fail
		}
		for _, tr := range a.triggers {
			if tr.id == r.PathValue("trigger") && !tr.lastProcessed.IsZero() {
				return jsonReply(http.StatusOK, map[string]any{
					"resource_id": tr.id, "completed_at": tr.lastProcessed.UTC().Format(time.RFC3339),
					"cluster_time": tr.lastProcessed.UTC().Format(time.RFC3339),
				})
			}
		}
		return errReply(http.StatusNotFound, "execution not found", "")
	})
}

// memberOrder lists obj's top-level members in the order written.
func memberOrder(obj json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil {
		return nil
	}
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return out
		}
		out = append(out, tok.(string))
	}
	return out
}

// DatabaseTrigger is a realistic DATABASE trigger object (the SPEC's
// example, with the members the bot does not own), without _id.
func DatabaseTrigger(name string, disabled bool) json.RawMessage {
	return json.RawMessage(`{"name":` + string(mustJSON(name)) + `,"type":"DATABASE","disabled":` + fmt.Sprint(disabled) + `,` +
		`"function_id":"5eea9ca4ca0e356e2c2a148a","function_name":"onOrder",` +
		`"config":{"operation_types":["INSERT","UPDATE"],"database":"shop","collection":"orders",` +
		`"service_id":"5adeb649b8b998486770ae7c","match":{"fullDocument.total":{"$gt":100}},"project":{},` +
		`"full_document":true,"full_document_before_change":false,"skip_catchup_events":false,` +
		`"tolerate_resume_errors":false,"unordered":false,"maximum_throughput":false},` +
		`"event_processors":{"FUNCTION":{"config":{"function_id":"5eea9ca4ca0e356e2c2a148a","function_name":"onOrder"}}},` +
		`"last_modified":1700000000}`)
}

// ScheduledTrigger is a realistic SCHEDULED trigger object, without _id.
func ScheduledTrigger(name string, disabled bool) json.RawMessage {
	return json.RawMessage(`{"name":` + string(mustJSON(name)) + `,"type":"SCHEDULED","disabled":` + fmt.Sprint(disabled) + `,` +
		`"function_id":"5eea9ca4ca0e356e2c2a148b","function_name":"dailyReport",` +
		`"config":{"schedule":"0 8 * * *","skip_catchup_events":true},` +
		`"event_processors":{"FUNCTION":{"config":{"function_id":"5eea9ca4ca0e356e2c2a148b","function_name":"dailyReport"}}},` +
		`"last_modified":1700000000}`)
}

// AuthenticationTrigger is a realistic AUTHENTICATION trigger, without _id.
func AuthenticationTrigger(name string) json.RawMessage {
	return json.RawMessage(`{"name":` + string(mustJSON(name)) + `,"type":"AUTHENTICATION","disabled":false,` +
		`"function_id":"5eea9ca4ca0e356e2c2a148c","function_name":"onNewUser",` +
		`"config":{"operation_type":"CREATE","providers":["local-userpass"]},` +
		`"event_processors":{"FUNCTION":{"config":{"function_id":"5eea9ca4ca0e356e2c2a148c","function_name":"onNewUser"}}},` +
		`"last_modified":1700000000}`)
}

// AddDemoTriggers adds the demo world's triggers (package demo) to their
// apps, which must have been added: a running one last processed events a
// minute before now, a suspended one when it was suspended, 3 hours
// before.
func (s *Server) AddDemoTriggers(now time.Time) {
	ids := map[string]string{}
	for _, a := range demo.Apps() {
		ids[a.Alias] = a.ID
	}
	for _, t := range demo.Triggers() {
		obj := DatabaseTrigger(t.Name, false)
		switch t.Type {
		case "SCHEDULED":
			obj = ScheduledTrigger(t.Name, false)
		case "AUTHENTICATION":
			obj = AuthenticationTrigger(t.Name)
		}
		last := now.Add(-time.Minute)
		if t.Suspended != "" {
			last = now.Add(-3 * time.Hour)
		}
		s.AddTrigger(demo.GroupID, ids[t.App], Trigger{ID: t.ID, Object: obj, Suspended: t.Suspended, LastProcessed: last})
	}
}
