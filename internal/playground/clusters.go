package playground

import (
	"strings"

	"github.com/syncbot/syncbot/internal/demo"
	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/fakeatlas"
)

// clusterKey is a cluster's entry in the hub's states map.
func clusterKey(name string) string { return "cluster/" + name }

// clusterStates reads each demo cluster: "paused", or its stateName.
func clusterStates(a *fakeatlas.Server) map[string]string {
	m := map[string]string{}
	for _, c := range demo.Clusters() {
		cl := a.Cluster(groupID, c.Name)
		st := "IDLE"
		if !cl.Updating.IsZero() && a.Now().Before(cl.Updating) {
			st = "UPDATING"
		}
		if cl.Paused {
			st = "paused, " + st
		}
		m[clusterKey(c.Name)] = st
	}
	return m
}

// clusterViews are the clusters beside the apps in the panel.
func (h *hub) clusterViews() []appView {
	var vs []appView
	for _, c := range demo.Clusters() {
		// A cluster without an alias is reached through its apps' aliases.
		v := appView{Alias: c.Name, ID: c.Name, Kind: "Atlas cluster " + c.Tier + ", via its apps"}
		if c.Alias != "" {
			v.Alias, v.Kind = c.Alias, "Atlas cluster "+c.Name+" "+c.Tier
		}
		switch st := h.states[clusterKey(c.Name)]; {
		case strings.HasPrefix(st, "paused"):
			v.Word, v.Plain, v.Class = st, "paused", "warn"
		case st == "IDLE":
			v.Word, v.Plain, v.Class = st, "running", "ok"
		default:
			v.Word, v.Plain, v.Class = st, "changing", "warn"
		}
		vs = append(vs, v)
	}
	return vs
}

// atlasCall shows an Atlas Administration API call in the calls panel:
// "/v2" and its path below the demo project, on one line like the others.
func atlasCall(c fakeatlas.Call) fakeadmin.Call {
	return fakeadmin.Call{Method: c.Method, Path: "/v2" + strings.TrimPrefix(c.Path, "/api/atlas/v2/groups/"+groupID), Status: c.Status, At: c.At}
}
