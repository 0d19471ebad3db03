package fakeadmin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Patch is one PATCH of a service config that passed authentication.
type Patch struct {
	GroupID, AppID, ServiceID string
	Body                      json.RawMessage // exactly as sent
	Status                    int             // what the fake answered (204, 400, 404)
	At                        time.Time       // on the fake's clock
}

// Patches returns every PATCH body received so far, in order.
func (s *Server) Patches() []Patch {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Patch, len(s.patches))
	for i, p := range s.patches {
		p.Body = bytes.Clone(p.Body)
		out[i] = p
	}
	return out
}

// SyncState is the app's sync state; false if it has no sync object.
func (s *Server) SyncState(groupID, appID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.mustAppLocked(groupID, appID)
	if a.sync == nil || a.sync.Kind == "" {
		return "", false
	}
	var o struct {
		State string `json:"state"`
	}
	_ = json.Unmarshal(a.sync.Object, &o)
	return o.State, true
}

// SyncObject is a copy of the app's sync object (nil if none).
func (s *Server) SyncObject(groupID, appID string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.mustAppLocked(groupID, appID)
	if a.sync == nil || a.sync.Kind == "" {
		return nil
	}
	return bytes.Clone(a.sync.Object)
}

// SetSync replaces the app's sync object behind the client's back: kind ""
// removes it (a terminated-and-gone or end-of-life config), an object with
// state "disabled" simulates Atlas's own pause after 30 idle days. A nil
// obj with a kind is the default object for that kind.
func (s *Server) SetSync(groupID, appID, kind string, obj json.RawMessage) {
	obj = defaultObject(kind, obj)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.mustAppLocked(groupID, appID)
	if a.sync == nil {
		panic(fmt.Sprintf("fakeadmin: app %s/%s has no cluster", groupID, appID))
	}
	a.sync.Kind, a.sync.Object = kind, obj
}

// handleGetConfig: GET …/services/{s}/config, the object of adminapi.md
// 6.1/6.2: top-level cluster fields plus the sync object, if any.
func (s *Server) handleGetConfig(w http.ResponseWriter, r *http.Request) {
	s.answer(w, func() reply {
		sv, fail := s.serviceLocked(r)
		if sv == nil {
			return fail
		}
		var b bytes.Buffer
		top, _ := json.Marshal(map[string]any{
			"clusterId": sv.ID, "clusterName": sv.Cluster, "clusterType": "atlas",
			"groupName": "Project 0", "orgName": "MyOrg", "readPreference": "primary", "wireProtocolEnabled": false,
		})
		if sv.Type != "mongodb-atlas" {
			top = []byte(`{"name":` + string(mustJSON(sv.Name)) + `}`)
		}
		b.Write(top)
		if sv.Kind != "" {
			// Splice the stored object in byte for byte, as a server would
			// serve what it stored.
			b.Truncate(b.Len() - 1)
			b.WriteString(`,` + string(mustJSON(sv.Kind)) + `:`)
			b.Write(sv.Object)
			b.WriteByte('}')
		}
		return reply{status: http.StatusOK, body: b.Bytes()}
	})
}

// serviceLocked finds the route's service, or returns the 404 to send.
func (s *Server) serviceLocked(r *http.Request) (*service, reply) {
	a, fail := s.lookupLocked(r)
	if a == nil {
		return nil, fail
	}
	id := r.PathValue("service")
	for _, sv := range a.services {
		if sv.ID == id {
			return sv, reply{}
		}
	}
	// The error_code is an assumption (adminapi.md 3).
	return nil, errReply(http.StatusNotFound, fmt.Sprintf("service not found: '%s'", id), "ServiceNotFound")
}

// handlePatchConfig: PATCH …/services/{s}/config with {"flexible_sync"|"sync":
// {...}}. The sent members are merged into the stored sync object (whether
// Atlas keeps omitted members is unconfirmed; merging keeps the fake from
// hiding a client that sends too little). A state must be "enabled",
// "disabled" or "". Pausing stamps last_disabled. With a draft open the
// change goes into the draft: 204, nothing applied. Top-level cluster
// fields are accepted and ignored.
func (s *Server) handlePatchConfig(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "could not read the request body", "BadRequest")
		return
	}
	s.answer(w, func() reply {
		sv, fail := s.serviceLocked(r)
		if sv == nil {
			return fail
		}
		a := s.appLocked(r.PathValue("group"), r.PathValue("app"))
		status, msg, code := s.applyPatchLocked(a, sv, body)
		s.patches = append(s.patches, Patch{
			GroupID: a.GroupID, AppID: a.ID, ServiceID: sv.ID, Body: body, Status: status, At: s.clock.Now(),
		})
		if status != http.StatusNoContent {
			return errReply(status, msg, code)
		}
		return reply{status: http.StatusNoContent}
	})
}

func (s *Server) applyPatchLocked(a *app, sv *service, body []byte) (status int, msg, code string) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return http.StatusBadRequest, "invalid JSON body: expected an object", "BadRequest"
	}
	kind := ""
	var sent map[string]json.RawMessage
	for _, k := range []string{"flexible_sync", "sync"} {
		raw, ok := top[k]
		if !ok {
			continue
		}
		if kind != "" {
			return http.StatusBadRequest, "only one of flexible_sync and sync may be set", "InvalidParameter"
		}
		if err := json.Unmarshal(raw, &sent); err != nil || sent == nil {
			return http.StatusBadRequest, fmt.Sprintf("%s must be an object", k), "InvalidParameter"
		}
		kind = k
	}
	if kind == "" {
		return http.StatusNoContent, "", "" // nothing about sync: accepted, ignored
	}
	newState, hasState := "", false
	if raw, ok := sent["state"]; ok {
		if err := json.Unmarshal(raw, &newState); err != nil {
			return http.StatusBadRequest, "sync state must be a string", "InvalidParameter"
		}
		switch newState {
		case "enabled", "disabled", "":
		default:
			return http.StatusBadRequest, fmt.Sprintf("invalid sync state: %q", newState), "InvalidParameter"
		}
		hasState = true
	}
	if sv.Type != "mongodb-atlas" {
		return http.StatusBadRequest, "sync can only be configured on a mongodb-atlas service", "InvalidParameter"
	}
	stored := map[string]json.RawMessage{}
	oldState := ""
	if sv.Kind != "" {
		_ = json.Unmarshal(sv.Object, &stored)
		_ = json.Unmarshal(stored["state"], &oldState)
	}
	if sv.Kind != "" && sv.Kind != kind {
		if oldState != "" {
			return http.StatusBadRequest, "cannot change the sync mode while sync is enabled or paused; terminate sync first", "SyncLifecycleError"
		}
		stored = map[string]json.RawMessage{}
	}
	if a.draft != "" {
		return http.StatusNoContent, "", "" // lands in the draft, not deployed
	}
	for k, v := range sent {
		stored[k] = v
	}
	if hasState && newState == "disabled" && oldState != "disabled" {
		stored["last_disabled"] = mustJSON(s.clock.Now().Unix())
	}
	obj, err := json.Marshal(stored)
	if err != nil {
		return http.StatusBadRequest, "invalid sync object", "InvalidParameter"
	}
	sv.Kind, sv.Object = kind, obj
	return http.StatusNoContent, "", ""
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(http.MaxBytesReader(w, r.Body, 1<<20))
	return b.Bytes(), err
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// FlexibleSync is a realistic flexible_sync object (adminapi.md 6.1) in the
// given state, with the fields the bot does not own.
func FlexibleSync(state string) json.RawMessage {
	return json.RawMessage(`{"state":` + string(mustJSON(state)) + `,"database_name":"todo",` +
		`"queryable_fields_names":["owner_id"],"indexed_queryable_fields_names":["owner_id"],` +
		`"collection_queryable_fields_names":{"Item":["status"]},"asymmetric_tables":[],` +
		`"permissions":{"rules":{},"defaultRoles":[]},` +
		`"client_max_offline_days":30,"is_recovery_mode_disabled":false,"last_disabled":1700000000}`)
}

// PartitionSync is a realistic partition-based sync object (adminapi.md
// 6.2) in the given state.
func PartitionSync(state string) json.RawMessage {
	return json.RawMessage(`{"type":"partition","state":` + string(mustJSON(state)) + `,` +
		`"development_mode_enabled":false,"database_name":"mydb",` +
		`"partition":{"key":"owner_id","type":"string","required":false,` +
		`"permissions":{"read":{"%%user.id":"%%partition"},"write":{"%%user.id":"%%partition"}}},` +
		`"client_max_offline_days":30,"is_recovery_mode_disabled":false,"last_disabled":"1700000000"}`)
}
