package playground

import (
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"sync"
	"time"

	"github.com/syncbot/syncbot/internal/demo"
	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/fakeatlas"
	"github.com/syncbot/syncbot/internal/fakeslack"
)

// The hub keeps the page's model (the channel as each person sees it, the
// Admin API calls, the controls) and pushes every change to the open pages
// as server-rendered HTML fragments. It is fed in order by the fake Slack's
// event feed and by the fake Admin API's call feed; a page that connects
// gets the whole model at once (a "hello"), then the changes ("op"s), under
// one lock, so it never misses or doubles one.

// Item kinds in the channel.
const (
	itemPost      = "post"      // a channel message from the bot
	itemEphemeral = "ephemeral" // shown to one person only
	itemCommand   = "command"   // the /sync text a person typed (shown to them)
	itemSystem    = "system"    // something the playground did (clock, socket)
)

type item struct {
	id      string
	kind    string
	viewer  string // "" = everyone; else the only person who sees it
	author  string // user id
	at      time.Time
	ts      string // message ts (posts and ephemerals), for clicks
	text    string
	blocks  json.RawMessage
	icon    string // system items
	updated bool
	html    template.HTML
}

// op is one change to the page: put html at target.
type op struct {
	Op     string `json:"op"` // append, replace, remove, html, prepend
	Target string `json:"target"`
	HTML   string `json:"html,omitempty"`
	Flash  bool   `json:"flash,omitempty"`
}

// hello is the whole page state for one viewer.
type hello struct {
	Viewer   string `json:"viewer"`
	Timeline string `json:"timeline"`
	Apps     string `json:"apps"`
	Calls    string `json:"calls"`
	Controls string `json:"controls"`
}

type subscriber struct {
	viewer string
	ch     chan []byte // SSE frames
	gone   chan struct{}
	once   sync.Once
}

func (s *subscriber) drop() { s.once.Do(func() { close(s.gone) }) }

// maxCalls is how many Admin API calls the panel keeps; maxItems, how many
// channel items.
const (
	maxCalls = 200
	maxItems = 1000
)

type hub struct {
	p *Playground

	mu       sync.Mutex
	items    []*item
	byID     map[string]*item
	calls    []fakeadmin.Call // oldest first
	states   map[string]string
	socket   int  // routable sockets
	dropped  bool // a drop or disconnect happened since the last connect
	slow     bool
	failing  bool
	lastUser string // who last typed or clicked
	seq      int
	subs     map[*subscriber]struct{}
	closed   bool
	done     chan struct{}

	// Admin API calls arrive on the fake's handler goroutines; they queue
	// here and one goroutine applies them in order.
	qmu    sync.Mutex
	queue  []fakeadmin.Call
	wake   chan struct{}
	cancel []func()
}

func newHub(p *Playground) *hub {
	return &hub{
		p: p, byID: map[string]*item{}, states: map[string]string{}, subs: map[*subscriber]struct{}{},
		done: make(chan struct{}), wake: make(chan struct{}, 1),
	}
}

func (h *hub) start() {
	h.mu.Lock()
	h.states = h.readStates()
	h.mu.Unlock()
	h.cancel = append(h.cancel,
		h.p.Slack.Subscribe(h.onSlack),
		h.p.Admin.Subscribe(h.queueCall),
		h.p.Atlas.Subscribe(func(c fakeatlas.Call) { h.queueCall(atlasCall(c)) }),
	)
	go h.drainCalls()
}

func (h *hub) close() {
	for _, c := range h.cancel {
		c()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	close(h.done)
	for s := range h.subs {
		s.drop()
	}
}

func (h *hub) drainCalls() {
	for {
		select {
		case <-h.done:
			return
		case <-h.wake:
		}
		h.qmu.Lock()
		batch := h.queue
		h.queue = nil
		h.qmu.Unlock()
		for _, c := range batch {
			h.onCall(c)
		}
	}
}

// subscribe registers a page for viewer and returns its hello frame.
func (h *hub) subscribe(viewer string) (*subscriber, []byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, nil, false
	}
	s := &subscriber{viewer: viewer, ch: make(chan []byte, 512), gone: make(chan struct{})}
	h.subs[s] = struct{}{}
	var tl strings.Builder
	for _, it := range h.items {
		if it.viewer == "" || it.viewer == viewer {
			tl.WriteString(string(it.html))
		}
	}
	hl := hello{
		Viewer: viewer, Timeline: tl.String(), Apps: string(h.appsHTML()),
		Calls: string(h.callsHTML()), Controls: string(h.controlsHTML()),
	}
	return s, frame("hello", hl), true
}

func (h *hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
	s.drop()
}

// broadcastLocked sends o to every page whose viewer may see it ("" = all).
// A page too slow to keep up is dropped; its EventSource reconnects and
// starts again from a hello.
func (h *hub) broadcastLocked(viewer string, ops ...op) {
	if len(ops) == 0 {
		return
	}
	f := frame("op", ops)
	for s := range h.subs {
		if viewer != "" && s.viewer != viewer {
			continue
		}
		select {
		case s.ch <- f:
		default:
			delete(h.subs, s)
			s.drop()
		}
	}
}

func frame(event string, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil { // cannot happen: only strings and bools
		b = []byte(`{}`)
	}
	return []byte("event: " + event + "\ndata: " + string(b) + "\n\n")
}

// onSlack applies one fake Slack event, in the fake's order.
func (h *hub) onSlack(ev fakeslack.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch ev.Kind {
	case fakeslack.KindPost:
		m := ev.Message
		if m.Channel != Channel {
			return
		}
		it := &item{id: "m-" + domID(m.TS), kind: itemPost, author: authorOf(m.User), at: h.p.Clock.Now(), ts: m.TS, text: m.Text, blocks: m.Blocks}
		h.addLocked(it)
	case fakeslack.KindUpdate:
		m := ev.Message
		it, ok := h.byID["m-"+domID(m.TS)]
		if !ok {
			return
		}
		if m.Deleted {
			h.removeLocked(it)
			return
		}
		it.text, it.blocks, it.updated = m.Text, m.Blocks, true
		it.html = h.itemHTML(it)
		h.broadcastLocked(it.viewer, op{Op: "replace", Target: it.id, HTML: string(it.html), Flash: true})
	case fakeslack.KindEphemeral:
		e := ev.Ephemeral
		if e.Channel != Channel {
			return
		}
		h.addLocked(&item{kind: itemEphemeral, viewer: e.User, author: botUser, at: h.p.Clock.Now(), ts: e.TS, text: e.Text, blocks: e.Blocks})
	case fakeslack.KindResponse:
		// An ephemeral response_url reply (the bot's fallback where it
		// cannot post): Slack shows it to the person whose command or click
		// handed out the URL. The fake does not say who that was; in the
		// playground it is whoever acted last.
		r := ev.Response
		if r.ReplaceOriginal || r.DeleteOriginal || r.ResponseType == "in_channel" {
			return // applied to a message already, or posted (KindPost)
		}
		h.addLocked(&item{kind: itemEphemeral, viewer: h.lastUser, author: botUser, at: h.p.Clock.Now(), text: r.Text, blocks: r.Blocks})
	case fakeslack.KindConnect, fakeslack.KindDisconnect:
		before := h.socket
		h.socket = ev.Connections
		switch {
		case ev.Kind == fakeslack.KindDisconnect && before > 0 && h.socket == 0:
			h.dropped = true
		case ev.Kind == fakeslack.KindConnect && h.dropped && h.socket > 0:
			h.dropped = false
			h.systemLocked("🔌", "The bot reconnected its Socket Mode websocket.")
		}
		h.broadcastLocked("", op{Op: "html", Target: "controls", HTML: string(h.controlsHTML())})
	}
}

// onCall records one Admin API call and refreshes the apps' states.
func (h *hub) onCall(c fakeadmin.Call) {
	states := h.readStates()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, c)
	if len(h.calls) > maxCalls {
		h.calls = h.calls[len(h.calls)-maxCalls:]
	}
	ops := []op{{Op: "prepend", Target: "calls", HTML: string(h.callHTML(c))}}
	if !sameStates(states, h.states) {
		h.states = states
		ops = append(ops, op{Op: "html", Target: "apps", HTML: string(h.appsHTML()), Flash: true})
	}
	h.broadcastLocked("", ops...)
}

func (h *hub) queueCall(c fakeadmin.Call) {
	h.qmu.Lock()
	h.queue = append(h.queue, c)
	h.qmu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

func (h *hub) readStates() map[string]string {
	m := clusterStates(h.p.Atlas)
	for _, a := range Apps {
		if st, ok := h.p.Admin.SyncState(groupID, a.ID); ok {
			m[a.Alias] = st
		} else {
			m[a.Alias] = noSync
		}
	}
	for _, t := range demo.Triggers() {
		m[triggerKey(t)] = h.p.Admin.TriggerState(groupID, appIDOf(t.App), t.ID)
	}
	return m
}

// noSync marks an app without a sync object in the states map.
const noSync = "\x00none"

func sameStates(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// command shows the /sync text user typed to them, before it is sent.
func (h *hub) command(user, text string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastUser = user
	h.addLocked(&item{kind: itemCommand, viewer: user, author: user, at: h.p.Clock.Now(), text: text})
}

// slackbotSays shows user a Slackbot notice, as Slack does when a command
// cannot reach the app.
func (h *hub) slackbotSays(user, text string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.addLocked(&item{kind: itemEphemeral, viewer: user, author: slackbotUser, at: h.p.Clock.Now(), text: text})
}

func (h *hub) clicked(user string) {
	h.mu.Lock()
	h.lastUser = user
	h.mu.Unlock()
}

// system adds a note about something the playground did.
func (h *hub) system(icon, text string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.systemLocked(icon, text)
}

func (h *hub) systemLocked(icon, text string) {
	h.addLocked(&item{kind: itemSystem, at: h.p.Clock.Now(), icon: icon, text: text})
}

// dropping notes that the playground is about to drop the socket: the
// fake tells of the lost socket only when its reader notices, possibly after
// slack-go has already reconnected.
func (h *hub) dropping() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.dropped = true
	h.socket = 0
	h.broadcastLocked("", op{Op: "html", Target: "controls", HTML: string(h.controlsHTML())})
}

// setToggles sets the toggles and pushes the controls panel.
func (h *hub) setToggles(slow, failing *bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if slow != nil {
		h.slow = *slow
	}
	if failing != nil {
		h.failing = *failing
	}
	h.broadcastLocked("", op{Op: "html", Target: "controls", HTML: string(h.controlsHTML())})
}

func (h *hub) toggles() (slow, failing bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.slow, h.failing
}

// refreshControls re-sends the controls panel (the clock moved).
func (h *hub) refreshControls() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.broadcastLocked("", op{Op: "html", Target: "controls", HTML: string(h.controlsHTML())})
}

func (h *hub) addLocked(it *item) {
	h.seq++
	if it.id == "" {
		it.id = fmt.Sprintf("i-%d", h.seq)
	}
	if _, dup := h.byID[it.id]; dup {
		return
	}
	it.html = h.itemHTML(it)
	h.items = append(h.items, it)
	h.byID[it.id] = it
	h.broadcastLocked(it.viewer, op{Op: "append", Target: "timeline", HTML: string(it.html)})
	if len(h.items) > maxItems { // a long session: forget the oldest
		h.removeLocked(h.items[0])
	}
}

func (h *hub) removeLocked(it *item) {
	delete(h.byID, it.id)
	for i, x := range h.items {
		if x == it {
			h.items = append(h.items[:i], h.items[i+1:]...)
			break
		}
	}
	h.broadcastLocked(it.viewer, op{Op: "remove", Target: it.id})
}

// domID makes a message ts usable in an element id.
func domID(ts string) string { return strings.ReplaceAll(ts, ".", "-") }

func authorOf(user string) string {
	if user == "" {
		return botUser
	}
	return user
}
