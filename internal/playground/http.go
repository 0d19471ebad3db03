package playground

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/fakeslack"
	"github.com/syncbot/syncbot/internal/messages"
)

//go:embed web
var web embed.FS

var indexTmpl = template.Must(template.ParseFS(web, "web/index.html"))

// Examples are the commands the page offers as one-click starters.
var Examples = []string{
	"/sync help",
	"/sync status prod",
	"/sync pause staging maintenance",
	"/sync resume staging",
	"/sync terminate prod planned test",
	"/sync pending",
	"/sync history",
	"/sync triggers prod",
	"/sync trigger resume prod orders-audit --skip-missed events lost anyway",
}

func (p *Playground) routes() http.Handler {
	static, _ := fs.Sub(web, "web")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", p.index)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServer(http.FS(static))))
	mux.HandleFunc("GET /events", p.events)
	mux.HandleFunc("POST /api/command", p.command)
	mux.HandleFunc("POST /api/click", p.click)
	mux.HandleFunc("POST /api/control", p.control)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return p.recoverer(mux)
}

// recoverer turns a panic into a short JSON or text error: the page never
// shows a stack trace. The panic itself goes to the log.
func (p *Playground) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				p.log.Error("the playground's page hit a bug", "path", r.URL.Path, "panic", fmt.Sprint(v))
				fail(w, http.StatusInternalServerError, "The playground hit a bug handling this; the terminal it runs in has the details.")
			}
		}()
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

func (p *Playground) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
	type appInfo struct{ Alias, Kind string }
	var apps []appInfo
	for _, a := range Apps {
		apps = append(apps, appInfo{a.Alias, messages.KindWords(a.Kind)})
	}
	data := struct {
		People   []Person
		Apps     []appInfo
		Examples []string
		TTL      int
	}{People, apps, Examples, int(approvalTTL / time.Minute)}
	if err := indexTmpl.Execute(w, data); err != nil {
		p.log.Warn("writing the page", "err", err)
	}
}

// events streams the page's model to one viewer as server-sent events: a
// hello with everything, then ops. Switching person reconnects.
func (p *Playground) events(w http.ResponseWriter, r *http.Request) {
	viewer := r.URL.Query().Get("as")
	if _, ok := person(viewer); !ok {
		fail(w, http.StatusBadRequest, "Unknown person: pick alice, bob or carol.")
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		fail(w, http.StatusInternalServerError, "This server cannot stream events.")
		return
	}
	sub, hello, ok := p.hub.subscribe(viewer)
	if !ok {
		fail(w, http.StatusServiceUnavailable, "The playground is shutting down.")
		return
	}
	defer p.hub.unsubscribe(sub)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(append([]byte("retry: 1000\n\n"), hello...)); err != nil {
		return
	}
	fl.Flush()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case f := <-sub.ch:
			if _, err := w.Write(f); err != nil {
				return
			}
			for more := true; more; { // send what else is queued in one flush
				select {
				case f := <-sub.ch:
					if _, err := w.Write(f); err != nil {
						return
					}
				default:
					more = false
				}
			}
			fl.Flush()
		case <-ping.C:
			if _, err := w.Write([]byte(": ping\n\n")); err != nil {
				return
			}
			fl.Flush()
		case <-sub.gone:
			return
		case <-r.Context().Done():
			return
		}
	}
}

type commandRequest struct {
	As   string `json:"as"`
	Text string `json:"text"`
}

// command sends what a person typed as a real slash_commands envelope.
func (p *Playground) command(w http.ResponseWriter, r *http.Request) {
	var req commandRequest
	if !decode(w, r, &req) {
		return
	}
	u, ok := person(req.As)
	if !ok {
		fail(w, http.StatusBadRequest, "Unknown person: pick alice, bob or carol.")
		return
	}
	text := strings.TrimSpace(req.Text)
	if text == "" {
		fail(w, http.StatusBadRequest, "Type a command first, for example /sync help.")
		return
	}
	if !strings.HasPrefix(text, "/") {
		fail(w, http.StatusBadRequest, "Only slash commands work in this playground: try /sync help.")
		return
	}
	name, rest, _ := strings.Cut(text, " ")
	if name != "/sync" {
		p.hub.slackbotSays(u.ID, fmt.Sprintf("%s is not a valid command. In Slack, all messages that start with the \"/\" character are interpreted as commands. The bot here answers /sync.", name))
		ok200(w)
		return
	}
	p.hub.command(u.ID, text)
	id, err := p.Slack.SlashCommand(fakeslack.SlashCommand{
		UserID: u.ID, UserName: u.Name, ChannelID: Channel, ChannelName: ChannelName, Text: strings.TrimSpace(rest),
	})
	if err != nil {
		p.hub.slackbotSays(u.ID, "/sync failed with the error \"dispatch_failed\"\n_The bot's socket is down (the playground dropped it?); slack-go reconnects within a few seconds: try again then._")
		ok200(w)
		return
	}
	// Slack tells the person when the app does not ack within 3 s.
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if _, err := p.Slack.WaitAck(ctx, id); err != nil && !errors.Is(err, fakeslack.ErrClosed) {
			select {
			case <-p.hub.done:
			default:
				p.hub.slackbotSays(u.ID, "/sync failed with the error \"operation_timeout\"")
			}
		}
	}()
	ok200(w)
}

type clickRequest struct {
	As       string `json:"as"`
	TS       string `json:"ts"`
	ActionID string `json:"action_id"`
	BlockID  string `json:"block_id"`
	Value    string `json:"value"`
}

// click presses a button as a person: a real block_actions envelope.
func (p *Playground) click(w http.ResponseWriter, r *http.Request) {
	var req clickRequest
	if !decode(w, r, &req) {
		return
	}
	u, ok := person(req.As)
	if !ok {
		fail(w, http.StatusBadRequest, "Unknown person: pick alice, bob or carol.")
		return
	}
	if req.TS == "" || req.ActionID == "" {
		fail(w, http.StatusBadRequest, "That button has no message or action to send.")
		return
	}
	p.hub.clicked(u.ID)
	_, err := p.Slack.Click(fakeslack.Click{
		UserID: u.ID, UserName: u.Name, ChannelID: Channel, MessageTS: req.TS,
		ActionID: req.ActionID, BlockID: req.BlockID, Value: req.Value,
	})
	switch {
	case errors.Is(err, fakeslack.ErrNotConnected):
		fail(w, http.StatusConflict, "The bot's socket is down (reconnecting): click again in a moment.")
	case err != nil:
		fail(w, http.StatusConflict, "The click could not be sent: "+err.Error())
	default:
		ok200(w)
	}
}

type controlRequest struct {
	Control string `json:"control"`
	Minutes int    `json:"minutes"`
}

// slowLatency is what "Slow" adds to every Admin API answer.
const slowLatency = 2 * time.Second

// control works the side panel's buttons.
func (p *Playground) control(w http.ResponseWriter, r *http.Request) {
	var req controlRequest
	if !decode(w, r, &req) {
		return
	}
	switch req.Control {
	case "advance":
		if req.Minutes < 1 || req.Minutes > 7*24*60 {
			fail(w, http.StatusBadRequest, "Move the clock ahead by 1 minute to 7 days.")
			return
		}
		d := time.Duration(req.Minutes) * time.Minute
		p.Clock.Advance(d)
		p.hub.system("⏩", "The clock jumped ahead "+formatOffset(d)[1:]+" (for the bot and the fake Admin API).")
		p.hub.refreshControls()
	case "slow":
		slow, _ := p.hub.toggles()
		slow = !slow
		if slow {
			p.Admin.SetLatency(slowLatency)
			p.hub.system("🐢", "The fake Admin API now answers every call after 2 s.")
		} else {
			p.Admin.SetLatency(0)
			p.hub.system("🐇", "The fake Admin API answers at full speed again.")
		}
		p.hub.setToggles(&slow, nil)
	case "failing":
		_, failing := p.hub.toggles()
		failing = !failing
		if failing {
			p.Admin.Inject(fakeadmin.Fault{
				PathContains: "/groups/", Status: http.StatusServiceUnavailable,
				Body: `{"error":"service temporarily unavailable","error_code":"ServiceUnavailable"}`,
			})
			p.hub.system("💥", "The fake Admin API now answers 503 Service Unavailable to every app call.")
		} else {
			p.Admin.ClearFaults()
			p.hub.system("✅", "The fake Admin API answers normally again.")
		}
		p.hub.setToggles(nil, &failing)
	case "drop":
		p.hub.dropping()
		p.Slack.DropAll()
		p.hub.system("✂️", "Dropped the bot's Socket Mode connection, as a network failure would.")
	default:
		fail(w, http.StatusBadRequest, "Unknown control.")
		return
	}
	ok200(w)
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(v); err != nil {
		fail(w, http.StatusBadRequest, "The request was not the JSON the page sends.")
		return false
	}
	return true
}

func ok200(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}`))
}

func fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": msg})
}
