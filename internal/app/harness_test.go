package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/app"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/config"
	"github.com/syncbot/syncbot/internal/demo"
	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/fakeatlas"
	"github.com/syncbot/syncbot/internal/fakeslack"
)

// The demo world, under short names. The tokens and keys say SECRET:
// tests assert none of them ever shows.
const (
	appToken = demo.AppToken
	botToken = demo.BotToken
	pubKey   = demo.PublicKey
	privKey  = demo.PrivateKey
	group    = demo.GroupID
	prodID   = demo.ProdID
	stageID  = demo.StagingID
	legacyID = demo.LegacyID
	channel  = demo.Channel
	// users
	alice = demo.Alice
	bob   = demo.Bob
	carol = demo.Carol
)

var epoch = time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)

// env is one syncbot run against the in-repo fakes over loopback.
type env struct {
	t     *testing.T
	slack *fakeslack.Server
	admin *fakeadmin.Server
	atlas *fakeatlas.Server // Cluster0, an M10 all the demo apps run on
	clock *clock.Fake
	cfg   config.Config
	logs  *syncBuffer
	stop  func() error
	http  chan string // the ops endpoints' address, once per start
	// opts are the app.Options of every start (Clock, SweepEvery and Ready
	// are the harness's own).
	opts app.Options
	// seen collects what the secrets check reads besides logs and
	// messages: /metrics as scraped once per run, and error texts.
	seen *syncBuffer
	// logHook, if set before start, sees every log record before it is
	// written, on the goroutine that logs it, which it may block.
	logHook func(slog.Record)
}

type envOpt func(*config.Config)

// newEnv starts the fakes (prod running, staging paused, legacy on
// partition-based sync) and the bot.
func newEnv(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	e := newEnvWithoutBot(t, opts...)
	e.start()
	return e
}

// newEnvWithoutBot starts only the fakes, for tests that run the binary.
func newEnvWithoutBot(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	clk := clock.NewFake(epoch)
	fs := fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken, PingInterval: time.Second})
	t.Cleanup(fs.Close)
	addPeople(fs)
	fa := fakeadmin.New(fakeadmin.Options{PublicKey: pubKey, PrivateKey: privKey, Clock: clk})
	t.Cleanup(fa.Close)
	var apps []config.App
	for _, a := range demo.Apps() {
		fa.AddApp(fakeadmin.DemoApp(a))
		id, clientID := a.Ref()
		apps = append(apps, config.App{Alias: a.Alias, GroupID: demo.GroupID, AppID: id, ClientAppID: clientID})
	}
	fa.AddDemoTriggers(clk.Now())

	fc := fakeatlas.New(fakeatlas.Options{PublicKey: pubKey, PrivateKey: privKey, Clock: clk, Transition: 3 * time.Minute})
	t.Cleanup(fc.Close)
	fc.AddCluster(fakeatlas.Cluster{GroupID: demo.GroupID, Name: "Cluster0", InstanceSize: "M10"})

	cfg := config.Config{
		SlackAppToken: appToken, SlackBotToken: botToken, SlackAPIURL: fs.APIURL(), SlackCommand: demo.Command,
		AtlasPublicKey: pubKey, AtlasPrivateKey: privKey, AdminAPIURL: fa.URL(), AtlasAPIURL: fc.URL(),
		Apps:        apps,
		ApprovalTTL: 15 * time.Minute, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", LogFormat: "json",
		AdminConcurrency: 16, AdminTimeout: 5 * time.Second, ReminderInterval: 24 * time.Hour,
	}
	for _, o := range opts {
		o(&cfg)
	}
	return &env{t: t, slack: fs, admin: fa, atlas: fc, clock: clk, cfg: cfg, logs: &syncBuffer{}, seen: &syncBuffer{}}
}

// addPeople makes the demo people members of the fake workspace.
func addPeople(fs *fakeslack.Server) {
	for _, p := range demo.People() {
		fs.AddUser(fakeslack.User{ID: p.ID, Name: p.Name})
	}
}

// start runs the bot and waits for its socket.
func (e *env) start() {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var h slog.Handler = slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})
	if e.logHook != nil {
		h = hookHandler{h, e.logHook}
	}
	log := slog.New(h)
	conns := e.slack.Tickets()
	e.http = make(chan string, 1)
	addr := make(chan string, 1)
	ready := func(a string) { e.http <- a; addr <- a }
	opts := e.opts
	opts.Clock, opts.SweepEvery, opts.Ready = e.clock, 10*time.Second, ready
	go func() {
		done <- app.Run(ctx, e.cfg, log, opts)
	}()
	var once sync.Once
	var err error
	e.stop = func() error {
		once.Do(func() {
			// What /metrics shows is checked for secrets too, once per run.
			select {
			case a := <-addr:
				e.seen.WriteString(e.scrape("http://" + a + "/metrics"))
			default:
			}
			cancel()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				err = fmt.Errorf("bot did not stop within 30s")
			}
			if err != nil {
				e.seen.WriteString(err.Error())
			}
		})
		return err
	}
	e.t.Cleanup(func() {
		if e.t.Failed() {
			e.t.Logf("bot logs:\n%s", e.logs.String())
		}
		if err := e.stop(); err != nil {
			e.t.Errorf("bot stopped with: %v", err)
		}
		e.assertNoSecrets()
	})
	e.wait("the bot connects", func() bool { return e.slack.Tickets() > conns && e.slack.Connections() == 1 })
}

func (e *env) restart() {
	e.t.Helper()
	if err := e.stop(); err != nil {
		e.t.Fatalf("stop: %v", err)
	}
	e.slack.WaitFor(context.Background(), func() bool { return e.slack.Connections() == 0 })
	e.start()
}

// wait blocks until cond holds; the fake re-checks it on every change.
func (e *env) wait(what string, cond func() bool) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.slack.WaitFor(ctx, cond); err != nil {
		e.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// waitAdmin is wait for conditions on the fake Admin API, which the fake
// Slack cannot see change: it re-checks on each Admin API call.
func (e *env) waitAdmin(what string, cond func() bool) {
	e.t.Helper()
	changed := make(chan struct{}, 1)
	cancelSub := e.admin.Subscribe(func(fakeadmin.Call) {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	defer cancelSub()
	deadline := time.After(20 * time.Second)
	for !cond() {
		select {
		case <-changed:
		case <-deadline:
			e.t.Fatalf("waiting for %s: timed out", what)
		}
	}
}

// command types /sync text as user and waits for its ack.
func (e *env) command(user, text string) string {
	e.t.Helper()
	id, err := e.slack.SlashCommand(fakeslack.SlashCommand{UserID: user, UserName: strings.ToLower(user[1:]), ChannelID: channel, ChannelName: "ops", Text: text})
	if err != nil {
		e.t.Fatalf("send /sync %s: %v", text, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.slack.WaitAck(ctx, id); err != nil {
		e.t.Fatalf("ack of /sync %s: %v", text, err)
	}
	return id
}

// whisper waits for the n-th ephemeral message to user and returns its text
// and blocks as one string.
func (e *env) whisper(user string, n int) string {
	e.t.Helper()
	var got []string
	e.wait(fmt.Sprintf("ephemeral #%d to %s", n, user), func() bool {
		got = got[:0]
		for _, m := range e.slack.Ephemerals() {
			if m.User == user {
				got = append(got, m.Text+"\n"+readable(m.Blocks))
			}
		}
		return len(got) >= n
	})
	return got[n-1]
}

func (e *env) ephemeralCount(user string) int {
	n := 0
	for _, m := range e.slack.Ephemerals() {
		if m.User == user {
			n++
		}
	}
	return n
}

// channelMessage waits for a channel message whose text contains want.
func (e *env) channelMessage(want string) fakeslack.Message {
	e.t.Helper()
	var got fakeslack.Message
	e.wait("a channel message with "+want, func() bool {
		for _, m := range e.slack.Messages(channel) {
			if strings.Contains(m.Text, want) {
				got = m
				return true
			}
		}
		return false
	})
	return got
}

func (e *env) patches(appID string) []fakeadmin.Patch {
	var ps []fakeadmin.Patch
	for _, p := range e.admin.Patches() {
		if p.AppID == appID {
			ps = append(ps, p)
		}
	}
	return ps
}

func (e *env) click(user, ts, action, value string) string {
	e.t.Helper()
	id, err := e.slack.Click(fakeslack.Click{UserID: user, UserName: strings.ToLower(user[1:]), ChannelID: channel, MessageTS: ts, ActionID: action, BlockID: "decision", Value: value})
	if err != nil {
		e.t.Fatalf("click %s: %v", action, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.slack.WaitAck(ctx, id); err != nil {
		e.t.Fatalf("ack of click: %v", err)
	}
	return id
}

// scrape reads url (/metrics) once; a failure is part of the text.
func (e *env) scrape(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// waitAck waits for the ack of envelope id.
func (e *env) waitAck(id string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.slack.WaitAck(ctx, id); err != nil {
		e.t.Fatalf("ack of %s: %v", id, err)
	}
}

// assertNoSecrets checks no token or key reached a log line, a message, a
// response_url post, /metrics or an error the bot returned.
func (e *env) assertNoSecrets() {
	e.t.Helper()
	var all bytes.Buffer
	all.WriteString(e.logs.String())
	all.WriteString(e.seen.String())
	for _, r := range e.slack.ResponsePosts() {
		fmt.Fprintln(&all, r.URL, r.Text, readable(r.Blocks))
	}
	for _, m := range e.slack.Messages(channel) {
		for _, v := range m.Versions {
			fmt.Fprintln(&all, v.Text, readable(v.Blocks))
		}
	}
	for _, m := range e.slack.Ephemerals() {
		fmt.Fprintln(&all, m.Text, readable(m.Blocks))
	}
	for _, s := range []string{appToken, botToken, pubKey, privKey, "SECRET"} {
		if strings.Contains(all.String(), s) {
			e.t.Errorf("secret %q leaked into logs or messages", s)
		}
	}
}

// syncObject decodes a PATCH body's sync object under key.
func syncObject(t *testing.T, body json.RawMessage, key string) map[string]any {
	t.Helper()
	var top map[string]map[string]any
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatalf("patch body %s: %v", body, err)
	}
	if len(top) != 1 || top[key] == nil {
		t.Fatalf("patch body has keys other than %q: %s", key, body)
	}
	return top[key]
}

type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return s.b.Write(p)
}

// waitFor returns once cond holds of the text written so far; it is
// re-checked on every write, never on a timer.
func (s *syncBuffer) waitFor(t *testing.T, what string, cond func(string) bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s.mu.Lock()
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		ch, text := s.changed, s.b.String()
		s.mu.Unlock()
		if cond(text) {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("waiting for %s: timed out", what)
		}
	}
}

func (s *syncBuffer) WriteString(str string) {
	_, _ = s.Write([]byte(str))
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// readable re-encodes blocks without JSON's HTML escaping (\u003c for <), so
// tests compare the mrkdwn Slack would render.
func readable(blocks json.RawMessage) string {
	var v any
	if err := json.Unmarshal(blocks, &v); err != nil {
		return string(blocks)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(b.String())
}

// advance moves the bot's clock by d and waits for one whole sweep (expiry,
// takeover, reminders) to finish: the sweeper parks on its next After only
// after an iteration ends.
func (e *env) advance(d time.Duration) {
	e.t.Helper()
	select {
	case <-e.clock.Added():
	default:
	}
	e.clock.Advance(d)
	select {
	case <-e.clock.Added():
	case <-time.After(20 * time.Second):
		e.t.Fatal("the sweeper did not come round after the clock moved")
	}
}

// advanceParked waits until n goroutines wait on the bot's clock (the
// sweeper is one; a running operation's lease renewal another; an Admin
// API retry waiting out its backoff a third),
// then moves the clock by d and waits for the sweeper to come round.
func (e *env) advanceParked(n int, d time.Duration) {
	e.t.Helper()
	deadline := time.After(20 * time.Second)
	for e.clock.Waiters() < n {
		select {
		case <-e.clock.Added():
		case <-deadline:
			e.t.Fatalf("only %d of %d waiters on the clock", e.clock.Waiters(), n)
		}
	}
	e.advance(d)
}

// waitLog waits until the bot has logged a line containing every one of
// want, and returns the first such line.
func (e *env) waitLog(want ...string) string {
	e.t.Helper()
	var line string
	e.logs.waitFor(e.t, fmt.Sprintf("a log line with %q", want), func(text string) bool {
	lines:
		for _, l := range strings.Split(text, "\n") {
			for _, w := range want {
				if !strings.Contains(l, w) {
					continue lines
				}
			}
			line = l
			return true
		}
		return false
	})
	return line
}

// countLogs counts the log lines containing want.
func (e *env) countLogs(want string) int {
	return strings.Count(e.logs.String(), want)
}

// commandIn is command in another channel, with the envelope's workspace
// and app as given ("" for the fake's own).
func (e *env) commandIn(ch, team, appID, user, text string) string {
	e.t.Helper()
	id, err := e.slack.SlashCommand(fakeslack.SlashCommand{UserID: user, ChannelID: ch, Text: text, TeamID: team, APIAppID: appID})
	if err != nil {
		e.t.Fatalf("send /sync %s: %v", text, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.slack.WaitAck(ctx, id); err != nil {
		e.t.Fatalf("ack of /sync %s: %v", text, err)
	}
	return id
}

// threadReplies are the messages posted in the thread of ts.
func (e *env) threadReplies(ts string) []fakeslack.Message {
	var r []fakeslack.Message
	for _, m := range e.slack.Messages(channel) {
		if m.ThreadTS == ts {
			r = append(r, m)
		}
	}
	return r
}

// hookHandler calls hook with each record before handing it on.
type hookHandler struct {
	slog.Handler
	hook func(slog.Record)
}

func (h hookHandler) Handle(ctx context.Context, r slog.Record) error {
	h.hook(r)
	return h.Handler.Handle(ctx, r)
}

func (h hookHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return hookHandler{h.Handler.WithAttrs(as), h.hook}
}

func (h hookHandler) WithGroup(name string) slog.Handler {
	return hookHandler{h.Handler.WithGroup(name), h.hook}
}
