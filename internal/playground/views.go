package playground

import (
	"bytes"
	"fmt"
	"html/template"
	"regexp"
	"strings"
	"time"

	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/messages"
)

// slackbotUser is Slack's own bot, which tells a person when a command
// could not reach the app.
const slackbotUser = "USLACKBOT"

type author struct {
	Name, Initials, Color string
	App                   bool
}

func authorView(id string) author {
	switch id {
	case botUser:
		return author{Name: "syncbot", Initials: "S", Color: "bot", App: true}
	case slackbotUser:
		return author{Name: "Slackbot", Initials: "✱", Color: "slackbot"}
	}
	if u, ok := person(id); ok {
		return author{Name: u.Name, Initials: strings.ToUpper(u.Name[:1]), Color: u.Name}
	}
	return author{Name: id, Initials: "?", Color: "other"}
}

type itemView struct {
	ID, Kind, TS string
	Author       author
	AtMs         int64
	AtText       string
	Body         template.HTML
	Text         string
	Icon         string
	Updated      bool
}

func (h *hub) itemHTML(it *item) template.HTML {
	v := itemView{
		ID: it.id, Kind: it.kind, TS: it.ts, Author: authorView(it.author),
		AtMs: it.at.UnixMilli(), AtText: it.at.UTC().Format("3:04 PM UTC"),
		Text: it.text, Icon: it.icon, Updated: it.updated,
	}
	switch it.kind {
	case itemPost, itemEphemeral:
		v.Body = h.p.render.Message(it.text, it.blocks)
	}
	return execute("item", v)
}

type appView struct {
	Alias, Kind, ID, State, Word, Plain, Class string
}

func (h *hub) appsHTML() template.HTML {
	var vs []appView
	for _, a := range Apps {
		v := appView{Alias: a.Alias, ID: a.ClientAppID, Kind: messages.KindWords(a.Kind)}
		switch st := h.states[a.Alias]; st {
		case "enabled":
			v.Word, v.Plain, v.Class = "enabled", "running", "ok"
		case "disabled":
			v.Word, v.Plain, v.Class = "disabled", "paused", "warn"
		case "":
			v.Word, v.Plain, v.Class = `""`, "terminated", "bad"
		case noSync:
			v.Word, v.Plain, v.Class = "none", "no sync object", "bad"
		default:
			v.Word, v.Plain, v.Class = st, st, "warn"
		}
		vs = append(vs, v)
	}
	return execute("apps", append(append(vs, h.triggerViews()...), h.clusterViews()...))
}

type callView struct {
	Method, FullPath, StatusClass, Duration, AtText string
	Path                                            template.HTML // may break after each "/"
	Status                                          int
	AtMs                                            int64
	Alias                                           string
}

var hexID = regexp.MustCompile(`[0-9a-f]{24}`)

func (h *hub) callHTML(c fakeadmin.Call) template.HTML {
	v := callView{Method: c.Method, Status: c.Status, FullPath: c.Path, AtMs: c.At.UnixMilli(), AtText: c.At.UTC().Format("3:04:05 PM")}
	path := c.Path
	for _, a := range Apps {
		if strings.Contains(path, a.ID) {
			v.Alias = a.Alias
			path = strings.ReplaceAll(path, a.ID, "{"+a.Alias+"}")
		}
	}
	// Every demo app is in one project: its id says nothing here.
	path = strings.TrimPrefix(path, "/groups/"+groupID)
	path = strings.ReplaceAll(path, groupID, "{group}")
	if _, svc, ok := strings.Cut(path, "/services/"); ok {
		id, _, _ := strings.Cut(svc, "/")
		path = strings.Replace(path, "/services/"+id, "/services/{svc}", 1)
	}
	path = hexID.ReplaceAllStringFunc(path, func(s string) string { return "…" + s[len(s)-4:] })
	parts := strings.Split(path, "/")
	for i := range parts {
		parts[i] = template.HTMLEscapeString(parts[i])
	}
	v.Path = template.HTML(strings.Join(parts, "/<wbr>"))
	if c.Query != "" {
		v.FullPath += "?" + c.Query
	}
	switch {
	case c.Status == 0:
		v.StatusClass = "bad"
	case c.Status < 300:
		v.StatusClass = "ok"
	case c.Status < 500:
		v.StatusClass = "warn"
	default:
		v.StatusClass = "bad"
	}
	v.Duration = formatDuration(c.Duration)
	return execute("call", v)
}

func (h *hub) callsHTML() template.HTML {
	var b strings.Builder
	for i := len(h.calls) - 1; i >= 0; i-- {
		b.WriteString(string(h.callHTML(h.calls[i])))
	}
	return template.HTML(b.String())
}

func formatDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return "<1 ms"
}

type controlsView struct {
	OffsetMs       int64
	Offset         string
	Slow, Failing  bool
	Connected      bool
	Sockets        int
	ApprovalTTLMin int
}

func (h *hub) controlsHTML() template.HTML {
	off := h.p.Clock.Offset()
	v := controlsView{
		OffsetMs: off.Milliseconds(), Offset: formatOffset(off), Slow: h.slow, Failing: h.failing,
		Connected: h.socket > 0, Sockets: h.socket, ApprovalTTLMin: int(approvalTTL / time.Minute),
	}
	return execute("controls", v)
}

func formatOffset(d time.Duration) string {
	if d <= 0 {
		return "real time"
	}
	hrs, mins := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case hrs > 0 && mins > 0:
		return fmt.Sprintf("+%d h %d min", hrs, mins)
	case hrs > 0:
		return fmt.Sprintf("+%d h", hrs)
	}
	return fmt.Sprintf("+%d min", mins)
}

var views = template.Must(template.New("views").Parse(`
{{- define "item" -}}
{{- if eq .Kind "system" -}}
<div class="sys" id="{{.ID}}" data-kind="system"><span class="sys-line"><span class="sys-icon">{{.Icon}}</span> {{.Text}} <time class="loc-time" data-ms="{{.AtMs}}" data-format="{time}">{{.AtText}}</time></span></div>
{{- else -}}
<div class="msg{{if eq .Kind "ephemeral"}} msg-ephemeral{{end}}{{if eq .Kind "command"}} msg-command{{end}}" id="{{.ID}}" data-kind="{{.Kind}}"{{with .TS}} data-ts="{{.}}"{{end}}>
{{- if eq .Kind "ephemeral"}}<div class="only-you"><span class="eye">👁</span> Only visible to you <button type="button" class="dismiss" title="Hide this message">Dismiss</button></div>{{end -}}
<div class="msg-row"><div class="avatar av-{{.Author.Color}}" aria-hidden="true">{{.Author.Initials}}</div>
<div class="msg-main"><div class="msg-head"><span class="msg-name">{{.Author.Name}}</span>{{if .Author.App}}<span class="app-badge">APP</span>{{end}}<time class="msg-time loc-time" data-ms="{{.AtMs}}" data-format="{time}" data-title="{date_long} {time_secs}">{{.AtText}}</time>{{if .Updated}}<span class="msg-updated" title="The bot updated this message in place (chat.update)">updated</span>{{end}}</div>
{{- if eq .Kind "command"}}<div class="msg-body"><span class="slash">{{.Text}}</span><span class="slash-note" title="Slack shows no one the slash command itself; the playground shows you what you typed.">👁 only you</span></div>
{{- else}}<div class="msg-body">{{.Body}}</div>{{end -}}
</div></div></div>
{{- end -}}
{{- end -}}

{{- define "apps" -}}
{{range .}}<div class="app-row" data-app="{{.Alias}}" data-state="{{.Plain}}"><div class="app-name"><b>{{.Alias}}</b> <span class="muted">{{.Kind}}</span></div><div class="pill pill-{{.Class}}" title="Admin API state word {{.Word}}"><span class="dot"></span><code>{{.Word}}</code> {{.Plain}}</div></div>{{end}}
{{- end -}}

{{- define "call" -}}
<div class="call" title="{{.Method}} {{.FullPath}}"><time class="loc-time call-time" data-ms="{{.AtMs}}" data-format="{time_secs}">{{.AtText}}</time><span class="method method-{{.Method}}">{{.Method}}</span><span class="call-path">{{.Path}}</span><span class="status status-{{.StatusClass}}">{{if .Status}}{{.Status}}{{else}}—{{end}}</span><span class="call-dur">{{.Duration}}</span></div>
{{- end -}}

{{- define "controls" -}}
<div class="ctl-group" data-offset-ms="{{.OffsetMs}}" id="clock-group">
<div class="ctl-label">Bot clock <span class="bot-clock" id="bot-clock">…</span> <span class="muted">({{.Offset}})</span></div>
<div class="ctl-buttons"><button type="button" class="ctl" data-control="advance" data-minutes="5">+5 min</button><button type="button" class="ctl" data-control="advance" data-minutes="16" title="Past the {{.ApprovalTTLMin}}-minute approval window: a pending card expires">+16 min</button><button type="button" class="ctl" data-control="advance" data-minutes="60">+1 h</button></div>
<div class="ctl-hint">Approval requests expire after {{.ApprovalTTLMin}} min: +16 min shows it.</div>
</div>
<div class="ctl-group">
<div class="ctl-label">Fake Admin API</div>
<div class="ctl-buttons"><button type="button" class="ctl toggle" data-control="slow" aria-pressed="{{.Slow}}">{{if .Slow}}✓ {{end}}Slow (2 s)</button><button type="button" class="ctl toggle" data-control="failing" aria-pressed="{{.Failing}}">{{if .Failing}}✓ {{end}}Failing (503)</button></div>
</div>
<div class="ctl-group">
<div class="ctl-label">Fake Slack <span class="pill {{if .Connected}}pill-ok{{else}}pill-warn{{end}}" id="socket-state"><span class="dot"></span>{{if .Connected}}socket connected{{else}}socket down: reconnecting…{{end}}</span></div>
<div class="ctl-buttons"><button type="button" class="ctl" data-control="drop">Drop the socket</button></div>
</div>
{{- end -}}
`))

func execute(name string, data any) template.HTML {
	var b bytes.Buffer
	if err := views.ExecuteTemplate(&b, name, data); err != nil {
		// The templates are fixed and their data is plain: this is a bug,
		// shown as a line rather than a broken page.
		return template.HTML(`<div class="sys"><span class="sys-line">` + template.HTMLEscapeString("could not draw this: "+err.Error()) + `</span></div>`)
	}
	return template.HTML(b.String())
}
