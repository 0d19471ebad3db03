package fakeadmin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/syncbot/syncbot/internal/demo"
)

// App is an app to serve.
type App struct {
	GroupID     string // required
	ID          string // the _id; generated if empty
	ClientAppID string // default: Name + "-abcde"
	Name        string // default "app"
	Product     string // standard (default), atlas, data-api or device-sync
	SyncKind    string // "flexible_sync", "sync", or "" for no sync object
	// Sync is the sync object; nil = FlexibleSync or PartitionSync("enabled").
	Sync json.RawMessage
	// ExtraServices adds a second linked cluster (without sync) and a
	// third-party service, both listed before the sync cluster.
	ExtraServices bool
	// NoCluster leaves out the mongodb-atlas service altogether.
	NoCluster bool
}

// validProduct reports whether p is one of the SPEC's product values.
func validProduct(p string) bool {
	switch p {
	case "standard", "atlas", "data-api", "device-sync":
		return true
	}
	return false
}

type app struct {
	App
	services []*service
	sync     *service // the linked cluster sync lives on; nil with NoCluster
	draft    string   // open draft id, "" = none
	triggers []*trigger
}

type service struct {
	ID, Name, Type string
	Cluster        string          // clusterName in its config
	Kind           string          // sync key, "" = no sync object
	Object         json.RawMessage // the sync object
}

// AddApp adds (or replaces) an app. It panics without a GroupID or with an
// unknown Product or SyncKind.
func (s *Server) AddApp(a App) {
	if a.GroupID == "" {
		panic("fakeadmin: AddApp needs a GroupID")
	}
	if a.Product == "" {
		a.Product = "standard"
	}
	if !validProduct(a.Product) {
		panic(fmt.Sprintf("fakeadmin: unknown product %q", a.Product))
	}
	if a.Name == "" {
		a.Name = "app"
	}
	if a.ClientAppID == "" {
		a.ClientAppID = a.Name + "-abcde"
	}
	obj := defaultObject(a.SyncKind, a.Sync)

	s.mu.Lock()
	defer s.mu.Unlock()
	if a.ID == "" {
		a.ID = s.newIDLocked()
	}
	ap := &app{App: a}
	// A federated database instance first, so a client that takes the
	// first service instead of filtering on type gets it wrong.
	ap.services = append(ap.services, &service{ID: s.newIDLocked(), Name: "FederatedInstance0", Type: "datalake"})
	if a.ExtraServices {
		ap.services = append(ap.services,
			&service{ID: s.newIDLocked(), Name: "mongodb-atlas-analytics", Type: "mongodb-atlas", Cluster: "Analytics0"},
			&service{ID: s.newIDLocked(), Name: "aws", Type: "aws"})
	}
	if !a.NoCluster {
		ap.sync = &service{ID: s.newIDLocked(), Name: "mongodb-atlas", Type: "mongodb-atlas", Cluster: "Cluster0", Kind: a.SyncKind, Object: obj}
		ap.services = append(ap.services, ap.sync)
	}
	list := s.groups[a.GroupID]
	for i, old := range list {
		if old.ID == a.ID {
			list[i] = ap
			return
		}
	}
	s.groups[a.GroupID] = append(list, ap)
}

func defaultObject(kind string, obj json.RawMessage) json.RawMessage {
	switch kind {
	case "":
		return nil
	case "flexible_sync":
		if obj == nil {
			return FlexibleSync("enabled")
		}
	case "sync":
		if obj == nil {
			return PartitionSync("enabled")
		}
	default:
		panic(fmt.Sprintf("fakeadmin: unknown sync kind %q", kind))
	}
	return append(json.RawMessage(nil), obj...)
}

// appLocked finds an app; nil if unknown.
func (s *Server) appLocked(groupID, appID string) *app {
	for _, a := range s.groups[groupID] {
		if a.ID == appID {
			return a
		}
	}
	return nil
}

// mustApp is appLocked for setup methods.
func (s *Server) mustAppLocked(groupID, appID string) *app {
	a := s.appLocked(groupID, appID)
	if a == nil {
		panic(fmt.Sprintf("fakeadmin: no app %s/%s", groupID, appID))
	}
	return a
}

// ServiceID is the id of the app's sync cluster service ("" with NoCluster).
func (s *Server) ServiceID(groupID, appID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.mustAppLocked(groupID, appID); a.sync != nil {
		return a.sync.ID
	}
	return ""
}

func (s *Server) routes() *http.ServeMux {
	p := s.opts.Prefix
	m := http.NewServeMux()
	m.HandleFunc("POST "+p+"/auth/providers/mongodb-cloud/login", s.handleLogin)
	m.HandleFunc("POST "+p+"/auth/session", s.handleRefresh)
	m.HandleFunc("DELETE "+p+"/auth/session", s.handleLogout)
	m.HandleFunc("GET "+p+"/groups/{group}/apps", s.authed(s.handleListApps))
	m.HandleFunc("GET "+p+"/groups/{group}/apps/{app}", s.authed(s.handleGetApp))
	m.HandleFunc("GET "+p+"/groups/{group}/apps/{app}/services", s.authed(s.handleServices))
	m.HandleFunc("GET "+p+"/groups/{group}/apps/{app}/services/{service}/config", s.authed(s.handleGetConfig))
	m.HandleFunc("PATCH "+p+"/groups/{group}/apps/{app}/services/{service}/config", s.authed(s.handlePatchConfig))
	m.HandleFunc("GET "+p+"/groups/{group}/apps/{app}/drafts", s.authed(s.handleDrafts))
	m.HandleFunc("GET "+p+"/groups/{group}/apps/{app}/triggers", s.authed(s.handleListTriggers))
	m.HandleFunc("GET "+p+"/groups/{group}/apps/{app}/triggers/{trigger}", s.authed(s.handleGetTrigger))
	m.HandleFunc("PUT "+p+"/groups/{group}/apps/{app}/triggers/{trigger}", s.authed(s.handlePutTrigger))
	m.HandleFunc("PUT "+p+"/groups/{group}/apps/{app}/triggers/{trigger}/resume", s.authed(s.handleResumeTrigger))
	m.HandleFunc("GET "+p+"/groups/{group}/apps/{app}/event_subscriptions/{trigger}/execution", s.authed(s.handleExecution))
	return m
}

func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.authorize(w, r) {
			h(w, r)
		}
	}
}

// appInstance is the AppInstance shape (adminapi.md 4).
func appInstance(a *app) map[string]any {
	return map[string]any{
		"_id": a.ID, "client_app_id": a.ClientAppID, "name": a.Name, "group_id": a.GroupID,
		"domain_id": "63320a2b5f9de9a6e0a213e8", "location": "US-VA", "deployment_model": "GLOBAL",
		"provider_region": "aws-us-east-1", "environment": "", "product": a.Product,
		"last_used": 1664224746, "last_modified": 1656440824,
	}
}

// handleListApps: GET /groups/{g}/apps[?product=a,b]; only standard apps
// without the parameter (adminapi.md 4).
func (s *Server) handleListApps(w http.ResponseWriter, r *http.Request) {
	want := []string{"standard"}
	if q := r.URL.Query().Get("product"); q != "" {
		want = nil
		for p := range strings.SplitSeq(q, ",") {
			p = strings.TrimSpace(p)
			if !validProduct(p) {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("invalid product: %q", p), "InvalidParameter")
				return
			}
			want = append(want, p)
		}
	}
	s.mu.Lock()
	list, ok := s.groups[r.PathValue("group")]
	out := []map[string]any{}
	for _, a := range list {
		if slices.Contains(want, a.Product) {
			out = append(out, appInstance(a))
		}
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "group not found", "GroupNotFound")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// lookupLocked finds the route's app, or returns the 404 to send.
func (s *Server) lookupLocked(r *http.Request) (*app, reply) {
	a := s.appLocked(r.PathValue("group"), r.PathValue("app"))
	if a == nil {
		return nil, errReply(http.StatusNotFound, fmt.Sprintf("app not found: '%s'", r.PathValue("app")), "AppNotFound")
	}
	return a, reply{}
}

func (s *Server) handleGetApp(w http.ResponseWriter, r *http.Request) {
	s.answer(w, func() reply {
		a, fail := s.lookupLocked(r)
		if a == nil {
			return fail
		}
		return jsonReply(http.StatusOK, appInstance(a))
	})
}

func (s *Server) handleServices(w http.ResponseWriter, r *http.Request) {
	s.answer(w, func() reply {
		a, fail := s.lookupLocked(r)
		if a == nil {
			return fail
		}
		out := []map[string]any{}
		for _, sv := range a.services {
			out = append(out, map[string]any{"_id": sv.ID, "name": sv.Name, "type": sv.Type, "version": 1, "last_modified": 1700000000})
		}
		return jsonReply(http.StatusOK, out)
	})
}

// DemoApp is a demo app (package demo) as the fake serves it.
func DemoApp(a demo.App) App {
	obj := FlexibleSync(a.State)
	if a.Kind == "sync" {
		obj = PartitionSync(a.State)
	}
	return App{GroupID: demo.GroupID, ID: a.ID, ClientAppID: a.ClientAppID, Name: a.Alias, SyncKind: a.Kind, Sync: obj}
}
