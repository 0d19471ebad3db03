package fakeatlas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// record notes a call and applies a fault; it returns true when the fault
// answered.
func (s *Server) record(w http.ResponseWriter, r *http.Request, body string, real func() (int, any)) {
	s.mu.Lock()
	var f *Fault
	for _, cand := range s.faults {
		if (cand.Method == "" || cand.Method == r.Method) && strings.Contains(r.URL.Path, cand.Path) && cand.Times >= 0 {
			f = cand
			if f.Times > 0 {
				f.Times--
				if f.Times == 0 {
					f.Times = -1 // spent
				}
			}
			break
		}
	}
	var status int
	var out any
	if f == nil || f.After {
		status, out = real()
	}
	if f != nil {
		status, out = f.Status, errBody(f.Status, f.Code, "injected fault")
	}
	c := Call{Method: r.Method, Path: r.URL.Path, Status: status, Body: body, At: s.opts.Clock.Now()}
	s.calls = append(s.calls, c)
	s.mu.Unlock()
	s.notify(c)
	w.Header().Set("Content-Type", mediaFor(r.URL.Path))
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(out)
}

type errorBody struct {
	Error      int    `json:"error"`
	ErrorCode  string `json:"errorCode"`
	Detail     string `json:"detail"`
	Reason     string `json:"reason"`
	Parameters []any  `json:"parameters"`
}

func errBody(status int, code, detail string) errorBody {
	return errorBody{Error: status, ErrorCode: code, Detail: detail, Reason: http.StatusText(status), Parameters: []any{}}
}

func mediaFor(path string) string {
	if strings.HasSuffix(path, "/processArgs") {
		return mediaProcessArgs
	}
	return mediaCluster
}

// acceptable checks Accept (and Content-Type with a body) name the
// resource's version; 406 otherwise, as Atlas answers.
func acceptable(r *http.Request, withBody bool) (int, string) {
	want := mediaFor(r.URL.Path)
	if r.Header.Get("Accept") != want {
		return http.StatusNotAcceptable, "Invalid accept header or version date: " + strconv.Quote(r.Header.Get("Accept")) + "."
	}
	if withBody {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != want {
			return http.StatusUnsupportedMediaType, "Invalid content type: " + strconv.Quote(r.Header.Get("Content-Type")) + "."
		}
	}
	return 0, ""
}

// clusterLocked finds the route's cluster, and settles a finished
// transition.
func (s *Server) clusterLocked(r *http.Request) *Cluster {
	c := s.clusters[key(r.PathValue("group"), r.PathValue("name"))]
	if c != nil && !c.Updating.IsZero() && !s.opts.Clock.Now().Before(c.Updating) {
		c.Updating = time.Time{}
	}
	return c
}

func (s *Server) stateLocked(c *Cluster) string {
	if !c.Updating.IsZero() && s.opts.Clock.Now().Before(c.Updating) {
		return "UPDATING"
	}
	return "IDLE"
}

func notFound(r *http.Request) (int, any) {
	return http.StatusNotFound, errBody(http.StatusNotFound, "CLUSTER_NOT_FOUND",
		fmt.Sprintf("No cluster named %s exists in group %s.", r.PathValue("name"), r.PathValue("group")))
}

func (s *Server) view(c *Cluster) map[string]any {
	size := map[string]any{"instanceSize": c.InstanceSize, "nodeCount": 3}
	return map[string]any{
		"groupId": c.GroupID, "name": c.Name, "id": "6" + strings.Repeat("0", 23),
		"paused": c.Paused, "stateName": s.stateLocked(c), "clusterType": "REPLICASET",
		"mongoDBMajorVersion": "8.0", "terminationProtectionEnabled": false,
		"replicationSpecs": []any{map[string]any{
			"zoneName": "Zone 1",
			"regionConfigs": []any{map[string]any{
				"providerName": c.Provider, "regionName": "US_EAST_1", "priority": 7, "electableSpecs": size,
			}},
		}},
	}
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	if st, d := acceptable(r, false); st != 0 {
		s.record(w, r, "", func() (int, any) { return st, errBody(st, "INVALID_VERSION_DATE", d) })
		return
	}
	s.record(w, r, "", func() (int, any) {
		c := s.clusterLocked(r)
		if c == nil {
			return notFound(r)
		}
		if c.Provider == "SERVERLESS" {
			return http.StatusBadRequest, errBody(http.StatusBadRequest, "CANNOT_USE_SERVERLESS_INSTANCE_IN_CLUSTER_API",
				"Serverless instance "+c.Name+" cannot be used with the cluster API.")
		}
		// The spec: getCluster served Flex clusters "until January 2026";
		// since, they are for the Flex API. (The errorCode is an assumption.)
		if c.Provider == "FLEX" {
			return http.StatusBadRequest, errBody(http.StatusBadRequest, "CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API",
				"Flex cluster "+c.Name+" cannot be used in the Cluster API.")
		}
		return http.StatusOK, s.view(c)
	})
}

func (s *Server) handleProcessArgs(w http.ResponseWriter, r *http.Request) {
	if st, d := acceptable(r, false); st != 0 {
		s.record(w, r, "", func() (int, any) { return st, errBody(st, "INVALID_VERSION_DATE", d) })
		return
	}
	s.record(w, r, "", func() (int, any) {
		c := s.clusterLocked(r)
		if c == nil {
			return notFound(r)
		}
		if !dedicated(c) {
			return http.StatusBadRequest, errBody(http.StatusBadRequest, "INVALID_CLUSTER_CONFIGURATION",
				"Advanced configuration is not available for "+c.InstanceSize+" clusters.")
		}
		out := map[string]any{"javascriptEnabled": true, "minimumEnabledTlsProtocol": "TLS1_2"}
		if c.OplogMinRetentionHours > 0 {
			out["oplogMinRetentionHours"] = c.OplogMinRetentionHours
		}
		return http.StatusOK, out
	})
}

func dedicated(c *Cluster) bool {
	switch c.Provider {
	case "TENANT", "FLEX", "SERVERLESS":
		return false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(c.InstanceSize, "M"))
	return err == nil && n >= 10
}

// updatable are ClusterDescription20240805's writable properties and their
// JSON types, as the published spec has them (read from the model
// mongodb/atlas-sdk-go generates from it); the read-only ones
// (configServerType, connectionStrings, createDate,
// effectiveReplicationSpecs, featureCompatibilityVersion…, groupId, id,
// internalClusterRole, links, mongoDBVersion, stateName) and anything else
// are refused. Only paused has an effect here; the others are accepted
// (when the cluster is not paused) and ignored.
var updatable = map[string]string{
	"paused": "boolean", "acceptDataRisksAndForceReplicaSetReconfig": "string", "adaptiveCapacity": "string", "advancedConfiguration": "object", "retainBackups": "boolean",
	"backupEnabled": "boolean", "biConnector": "object", "clusterType": "string", "configServerManagementMode": "string",
	"diskWarmingMode": "string", "encryptionAtRestProvider": "string", "globalClusterSelfManagedSharding": "boolean",
	"labels": "array", "mongoDBEmployeeAccessGrant": "object", "mongoDBMajorVersion": "string", "name": "string",
	"pitEnabled": "boolean", "redactClientLogData": "boolean", "replicaSetScalingStrategy": "string",
	"replicationSpecs": "array", "rootCertType": "string", "tags": "array", "terminationProtectionEnabled": "boolean",
	"versionReleaseSystem": "string", "useAwsTimeBasedSnapshotCopyForFastInitialSync": "boolean",
}

func jsonType(v any) string {
	switch v.(type) {
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}

func (s *Server) handlePatch(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	body := string(raw)
	s.mu.Lock()
	before := s.beforePatch
	s.mu.Unlock()
	if before != nil {
		before(body)
	}
	if st, d := acceptable(r, true); st != 0 {
		s.record(w, r, body, func() (int, any) { return st, errBody(st, "INVALID_VERSION_DATE", d) })
		return
	}
	var fields map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&fields); err != nil || fields == nil {
		s.record(w, r, body, func() (int, any) {
			return http.StatusBadRequest, errBody(http.StatusBadRequest, "INVALID_JSON", "Received JSON is malformed.")
		})
		return
	}
	for k, v := range fields {
		want, ok := updatable[k]
		if !ok {
			s.record(w, r, body, func() (int, any) {
				return http.StatusBadRequest, errBody(http.StatusBadRequest, "INVALID_JSON_ATTRIBUTE", "Received JSON does not match expected format: "+k+".")
			})
			return
		}
		if jsonType(v) != want {
			s.record(w, r, body, func() (int, any) {
				return http.StatusBadRequest, errBody(http.StatusBadRequest, "INVALID_JSON_ATTRIBUTE", "Invalid type for attribute "+k+": want "+want+".")
			})
			return
		}
	}
	s.record(w, r, body, func() (int, any) {
		c := s.clusterLocked(r)
		if c == nil {
			return notFound(r)
		}
		p, hasPaused := fields["paused"].(bool)
		others := len(fields) - map[bool]int{true: 1, false: 0}[hasPaused]
		switch {
		case c.Paused && (others > 0 || (hasPaused && p)):
			return http.StatusConflict, errBody(http.StatusConflict, "CANNOT_UPDATE_PAUSED_CLUSTER",
				"Cluster "+c.Name+" is paused. Resume the cluster before making other changes.")
		case hasPaused && p && !dedicated(c):
			return http.StatusBadRequest, errBody(http.StatusBadRequest, "CANNOT_PAUSE_NON_DEDICATED_CLUSTER",
				"Cluster "+c.Name+" is a "+c.InstanceSize+" cluster; only dedicated clusters (M10 and up) can be paused.")
		case hasPaused && s.stateLocked(c) == "UPDATING":
			return http.StatusConflict, errBody(http.StatusConflict, "CLUSTER_UPDATE_IN_PROGRESS",
				"Cluster "+c.Name+" has an update in progress.")
		}
		if hasPaused && p != c.Paused {
			c.Paused = p
			c.Updating = s.opts.Clock.Now().Add(s.opts.Transition)
		}
		return http.StatusOK, s.view(c)
	})
}
