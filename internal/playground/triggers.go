package playground

import (
	"strings"

	"github.com/syncbot/syncbot/internal/demo"
)

// The panel shows the demo triggers under the apps, with their state as
// the fake Admin API holds it.

func triggerKey(t demo.Trigger) string { return "trigger/" + t.Name }

func appIDOf(alias string) string {
	for _, a := range Apps {
		if a.Alias == alias {
			return a.ID
		}
	}
	return ""
}

func (h *hub) triggerViews() []appView {
	var vs []appView
	for _, t := range demo.Triggers() {
		v := appView{Alias: t.Name, Kind: t.App + " · " + strings.ToLower(t.Type) + " trigger"}
		switch st := h.states[triggerKey(t)]; st {
		case "enabled":
			v.Word, v.Plain, v.Class = "enabled", "firing", "ok"
		case "disabled":
			v.Word, v.Plain, v.Class = "disabled", "not listening", "warn"
		default:
			v.Word, v.Plain, v.Class = st, "not firing", "bad"
		}
		vs = append(vs, v)
	}
	return vs
}
