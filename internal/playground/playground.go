// Package playground runs the real syncbot against the in-repo fake Slack
// and fake Admin API on loopback, and serves a page that looks and behaves
// like a Slack channel, so anyone can try every command in a browser with
// no Slack workspace and no Atlas key.
//
// The bot is app.Run, unchanged: the real slack-go client over a real
// Socket Mode websocket, the real Admin API client, the embedded store in a
// temporary folder. The fakes are the packages the tests use. The page gets
// server-rendered HTML fragments over server-sent events (see hub.go); the
// Block Kit it shows is rendered by package blockkit.
package playground

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/syncbot/syncbot/internal/app"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/config"
	"github.com/syncbot/syncbot/internal/demo"
	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/fakeatlas"
	"github.com/syncbot/syncbot/internal/fakeslack"
	"github.com/syncbot/syncbot/internal/playground/blockkit"
)

// The demo workspace (package demo): one channel, three people (bob
// approves), three apps.
const (
	Channel     = demo.Channel
	ChannelName = demo.ChannelName
	Alice       = demo.Alice
	Bob         = demo.Bob
	Carol       = demo.Carol
	botUser     = fakeslack.DefaultBotUserID

	groupID     = demo.GroupID
	approvalTTL = 15 * time.Minute
	// clusterTransition is how long a demo cluster stays UPDATING after a
	// pause or resume.
	clusterTransition = 8 * time.Second
)

// Person is a demo user.
type Person = demo.Person

// People are the demo users, in the order the page lists them.
var People = demo.People()

// DemoApp is one app of the fake Admin API and its SYNC_APPS entry.
type DemoApp = demo.App

// Apps are the demo apps: one running, one paused, one partition-based.
var Apps = demo.Apps()

// Options configure a Playground. The zero value is usable.
type Options struct {
	// Addr is where the page listens; default 127.0.0.1:0 (a free port).
	Addr string
	// Log receives the bot's and the playground's log lines (text);
	// nil discards them.
	Log io.Writer
	// ConnectTimeout bounds how long Start waits for the bot's socket;
	// default 15 s.
	ConnectTimeout time.Duration
}

// Playground is a running bot, its fakes and the page.
type Playground struct {
	Slack *fakeslack.Server
	Admin *fakeadmin.Server
	Atlas *fakeatlas.Server // the clusters (Atlas Administration API v2)
	Clock *clock.Offset

	log     *slog.Logger
	hub     *hub
	render  *blockkit.Renderer
	url     string
	opsAddr string
	dataDir string
	srv     *http.Server

	stopBot context.CancelFunc
	botDone chan struct{}
	botErr  error // set before botDone closes

	closeOnce sync.Once
	closeErr  error

	// ctl guards the control toggles.
	ctl      sync.Mutex
	slow     bool
	failing  bool
	lastUser string // who last typed or clicked (for response_url replies)
}

// Start brings up the fakes, the bot and the page, and returns once the
// bot's socket is connected and the page answers. Close stops it all.
func Start(ctx context.Context, o Options) (_ *Playground, err error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = 15 * time.Second
	}
	logger := slog.New(slog.NewTextHandler(o.Log, &slog.HandlerOptions{Level: slog.LevelInfo}))

	// Listen first: a taken or bad address fails before anything starts.
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", o.Addr, err)
	}
	p := &Playground{Clock: clock.NewOffset(), log: logger.With("component", "playground"), botDone: make(chan struct{})}
	defer func() {
		if err != nil {
			_ = ln.Close()
			_ = p.Close()
		}
	}()

	p.Slack = fakeslack.New(fakeslack.Options{AppToken: demo.AppToken, BotToken: demo.BotToken, PingInterval: 5 * time.Second})
	p.Slack.AddChannel(Channel, ChannelName)
	for _, u := range People {
		p.Slack.AddUser(fakeslack.User{ID: u.ID, Name: u.Name, RealName: u.Name})
	}
	p.Admin = fakeadmin.New(fakeadmin.Options{PublicKey: demo.PublicKey, PrivateKey: demo.PrivateKey, Clock: p.Clock})
	for _, a := range Apps {
		p.Admin.AddApp(fakeadmin.DemoApp(a))
	}
	p.Admin.AddDemoTriggers(p.Clock.Now())
	// A pause or resume keeps a cluster UPDATING for a few seconds: long
	// enough to watch the resume wait for it.
	p.Atlas = fakeatlas.New(fakeatlas.Options{PublicKey: demo.PublicKey, PrivateKey: demo.PrivateKey, Clock: p.Clock, Transition: clusterTransition})
	for _, c := range demo.Clusters() {
		p.Atlas.AddCluster(fakeatlas.Cluster{GroupID: groupID, Name: c.Name, InstanceSize: c.Tier, OplogMinRetentionHours: 24})
	}

	p.render = blockkit.New(blockkit.Options{UserName: userName, ChannelName: func(id string) string {
		if id == Channel {
			return ChannelName
		}
		return ""
	}})
	p.hub = newHub(p)
	p.hub.start()

	p.dataDir, err = os.MkdirTemp("", "syncbot-playground-")
	if err != nil {
		return nil, fmt.Errorf("make a folder for the bot's store: %w", err)
	}

	// The bot.
	botCtx, stopBot := context.WithCancel(context.Background())
	p.stopBot = stopBot
	ready := make(chan string, 1)
	go func() {
		defer close(p.botDone)
		p.botErr = app.Run(botCtx, p.config(), logger, app.Options{
			Clock:      p.Clock,
			SweepEvery: time.Second, // an Advance shows within a second
			Ready:      func(addr string) { ready <- addr },
		})
		if botCtx.Err() == nil {
			p.hub.system("⚠️", "The bot stopped: "+errText(p.botErr)+". Restart the playground.")
		}
	}()
	wait, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
	defer cancel()
	select {
	case p.opsAddr = <-ready:
	case <-p.botDone:
		return nil, fmt.Errorf("the bot did not start: %w", errOr(p.botErr))
	case <-wait.Done():
		return nil, fmt.Errorf("the bot did not start within %s", o.ConnectTimeout)
	}
	connected := make(chan error, 1)
	go func() { connected <- p.Slack.WaitConnected(wait, 1) }()
	select {
	case err := <-connected:
		if err != nil {
			return nil, fmt.Errorf("the bot did not connect to the fake Slack within %s: %w", o.ConnectTimeout, err)
		}
	case <-p.botDone:
		return nil, fmt.Errorf("the bot stopped while connecting: %w", errOr(p.botErr))
	}

	// The page.
	p.url = "http://" + ln.Addr().String()
	p.srv = &http.Server{Handler: p.routes(), ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Error("the page's server stopped", "err", err)
		}
	}()
	return p, nil
}

func (p *Playground) config() config.Config {
	cfg := config.Config{
		SlackAppToken: demo.AppToken, SlackBotToken: demo.BotToken,
		SlackAPIURL: p.Slack.APIURL(), SlackCommand: demo.Command,
		AtlasPublicKey: demo.PublicKey, AtlasPrivateKey: demo.PrivateKey,
		AdminAPIURL: p.Admin.URL(), AtlasAPIURL: p.Atlas.URL(),
		ClusterApproval: config.ApprovalRequired, ClusterWait: 20 * time.Minute,
		ApprovalTTL: approvalTTL, Approvers: approvers(), DataDir: p.dataDir, HTTPAddr: "127.0.0.1:0",
		LogFormat: "text", AdminConcurrency: 16, AdminTimeout: 10 * time.Second, ReminderInterval: 24 * time.Hour,
	}
	for _, a := range Apps {
		id, clientID := a.Ref()
		cfg.Apps = append(cfg.Apps, config.App{Alias: a.Alias, GroupID: groupID, AppID: id, ClientAppID: clientID})
	}
	for _, c := range demo.Clusters() {
		if c.Alias != "" {
			cfg.Clusters = append(cfg.Clusters, config.Cluster{Alias: c.Alias, GroupID: groupID, Name: c.Name})
		}
	}
	return cfg
}

func approvers() []string {
	var ids []string
	for _, u := range People {
		if u.Approver {
			ids = append(ids, u.ID)
		}
	}
	return ids
}

// URL is the page's address, http://127.0.0.1:PORT.
func (p *Playground) URL() string { return p.url }

// OpsAddr is the bot's own /healthz, /readyz and /metrics address.
func (p *Playground) OpsAddr() string { return p.opsAddr }

// BotDone is closed when the bot stops (on Close, or on its own).
func (p *Playground) BotDone() <-chan struct{} { return p.botDone }

// BotErr is why the bot stopped; valid after BotDone is closed.
func (p *Playground) BotErr() error {
	<-p.botDone
	return p.botErr
}

// Close stops the page, the bot (letting it drain) and the fakes, and
// removes the bot's store. It returns the bot's error, if it had one.
func (p *Playground) Close() error {
	p.closeOnce.Do(func() {
		if p.hub != nil {
			p.hub.close() // ends the event streams, so Shutdown does not wait on them
		}
		if p.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = p.srv.Shutdown(ctx)
			cancel()
		}
		if p.stopBot != nil {
			p.stopBot()
			select {
			case <-p.botDone:
				if p.botErr != nil && !errors.Is(p.botErr, context.Canceled) {
					p.closeErr = p.botErr
				}
			case <-time.After(30 * time.Second):
				p.closeErr = errors.New("the bot did not stop within 30 s")
			}
		}
		if p.Slack != nil {
			p.Slack.Close()
		}
		if p.Admin != nil {
			p.Admin.Close()
		}
		if p.Atlas != nil {
			p.Atlas.Close()
		}
		if p.dataDir != "" {
			_ = os.RemoveAll(p.dataDir)
		}
	})
	return p.closeErr
}

// userName names demo users and the bot for mentions.
func userName(id string) string {
	if id == botUser {
		return "syncbot"
	}
	for _, u := range People {
		if u.ID == id {
			return u.Name
		}
	}
	return ""
}

func person(id string) (Person, bool) {
	for _, u := range People {
		if u.ID == id {
			return u, true
		}
	}
	return Person{}, false
}

func errOr(err error) error {
	if err == nil {
		return errors.New("it returned without an error")
	}
	return err
}

func errText(err error) string {
	if err == nil {
		return "it returned without an error"
	}
	return err.Error()
}
