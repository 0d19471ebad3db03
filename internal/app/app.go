// Package app wires syncbot together: the store, the Admin API client, the
// Socket Mode bot and the command service. main calls Run; so do the
// end-to-end tests and the playground, so they run the real program.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/config"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/metrics"
	"github.com/syncbot/syncbot/internal/ops"
	"github.com/syncbot/syncbot/internal/service"
	"github.com/syncbot/syncbot/internal/slackbot"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/store/postgres"
	"github.com/syncbot/syncbot/internal/store/sqlite"
	"github.com/syncbot/syncbot/internal/sweeper"
	"github.com/syncbot/syncbot/internal/target"
)

// Options are what tests and tools change; the zero value is production.
type Options struct {
	Clock clock.Clock
	// Ready is called once the HTTP endpoints listen, with their address.
	Ready func(httpAddr string)
	// SweepEvery overrides how often expiry and takeover run.
	SweepEvery time.Duration
	// SlackPingTimeout overrides how long a Socket Mode connection may go
	// without a PING from Slack before it is replaced
	// (slackbot.DefaultPingTimeout).
	SlackPingTimeout time.Duration
	// SlackDrainTimeout overrides how long shutdown waits for running
	// commands before cancelling them (slackbot.DefaultDrainTimeout).
	SlackDrainTimeout time.Duration
}

// Run runs the bot until ctx ends, then drains in-flight work and closes the
// store. It returns an error when the bot cannot start (bad store, taken
// data folder, rejected Slack token).
func Run(ctx context.Context, cfg config.Config, log *slog.Logger, o Options) error {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	raw, exclusive, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer raw.Close()
	m := metrics.New(func(ctx context.Context) (int, error) {
		ops, err := raw.ListOps(ctx, store.Filter{States: []store.State{store.Pending}})
		return len(ops), err
	})
	st := metrics.Store(raw, m)

	admin, err := adminapi.New(adminapi.Options{
		BaseURL: cfg.AdminAPIURL, PublicKey: cfg.AtlasPublicKey.Reveal(), PrivateKey: cfg.AtlasPrivateKey.Reveal(),
		Concurrency: cfg.AdminConcurrency, Timeout: cfg.AdminTimeout, Clock: o.Clock, Logger: log.With("component", "adminapi"),
		OnCall: m.AdminCall,
	})
	if err != nil {
		return fmt.Errorf("admin api client: %w", err)
	}
	apps, aliases := appRefs(cfg.Apps)

	sl := &slackAdapter{}
	syncKind := target.Sync{Admin: admin, Apps: apps}
	triggerKind := target.Trigger{Admin: admin, Apps: apps}
	clusterKind, clusterAliases, err := clusters(cfg, o.Clock, log, admin, syncKind, apps, m)
	if err != nil {
		return err
	}
	holder, lease := holderName(), 4*cfg.AdminTimeout+time.Minute
	policy := approval.NewPolicy(cfg.Approvers, cfg.ApprovalTTL)
	svc := service.New(service.Config{
		Aliases: aliases, Command: cfg.SlackCommand, Policy: policy,
		Rules: approval.Rules{
			Operators: cfg.Operators, Breakglass: cfg.Breakglass, Channels: cfg.Channels,
			Team: cfg.SlackTeamID, AppID: cfg.SlackAppID,
		},
		Holder: holder, Lease: lease, Observe: m.Command, SnapshotMaxAge: cfg.SnapshotMaxAge, Triggers: triggerKind,
		Cluster: clusterKind, Clusters: clusterAliases,
		ClusterApproval: cfg.ClusterApproval != config.ApprovalNone, ClusterWait: cfg.ClusterWait,
	}, syncKind, st, sl, o.Clock, log.With("component", "service"))
	sw := sweeper.New(sweeper.Config{
		Kinds: map[string]target.Kind{target.KindSync: syncKind, target.KindTrigger: triggerKind, target.KindCluster: clusterKind},
		// Its own holder name: a takeover by this process's sweeper must
		// fence out this process's worker as surely as another replica's.
		Holder: holder + "/sweeper", Lease: lease, Exclusive: exclusive, Every: o.SweepEvery,
		RemindEvery: cfg.ReminderInterval, TTL: cfg.ApprovalTTL, Approvers: policy.Approvers(),
		Continue: svc.Continue,
	}, st, svc.Announcer(), o.Clock, log.With("component", "sweeper"))
	bot, err := slackbot.New(slackbot.Config{
		AppToken: cfg.SlackAppToken.Reveal(), BotToken: cfg.SlackBotToken.Reveal(), APIURL: cfg.SlackAPIURL,
		Command: cfg.SlackCommand, Logger: log.With("component", "slackbot"),
		BusyText: "syncbot is busy with other commands right now. Nothing was done; try again in a moment.",
		OnAck:    m.Ack, OnReconnect: m.Reconnect, DrainTimeout: o.SlackDrainTimeout,
	}, handler{svc}, slackbot.WithPingTimeout(o.SlackPingTimeout))
	if err != nil {
		return fmt.Errorf("slack client: %w", err)
	}
	sl.bot = bot

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on SYNC_HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{
		Handler: ops.Handler(map[string]ops.Check{
			"slack socket": func(context.Context) error {
				if !bot.Connected() {
					return errors.New("not connected")
				}
				return nil
			},
			"store": st.Ping,
		}, func(mux *http.ServeMux) { mux.Handle("GET /metrics", m.Handler()) }),
		ReadHeaderTimeout: 5 * time.Second,
	}
	log.Info("syncbot starting", "apps", aliases, "clusters", clusterAliases, "store", storeKind(exclusive), "http", ln.Addr().String(),
		"approvers", len(cfg.Approvers), "operators", len(cfg.Operators), "breakglass", len(cfg.Breakglass),
		"channels", cfg.Channels, "slack_team_id", cfg.SlackTeamID, "slack_app_id", cfg.SlackAppID)
	if o.Ready != nil {
		o.Ready(ln.Addr().String())
	}

	// Before the socket opens: rows from before operations were bound to
	// their app are bound to what their alias names now (apps configured
	// by client_app_id once warm-up resolves them), and the sweeper lists
	// what earlier processes left (see Sweeper.Prepare).
	adopt(ctx, log, st, configured(apps))
	if err := sw.Prepare(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http endpoints: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	// Warm up in the background: an Atlas outage must not delay the socket,
	// and the first status should cost one round trip, not three.
	g.Go(func() error {
		if len(apps) == 0 {
			return nil // clusters alone: no App Services to warm up
		}
		warm(gctx, log, admin, apps, cfg.AdminConcurrency)
		adopt(gctx, log, st, resolved(gctx, admin, apps))
		return nil
	})
	g.Go(func() error { sw.Run(gctx); return nil })
	g.Go(func() error {
		if err := bot.Run(gctx); err != nil {
			return fmt.Errorf("slack: %w", err)
		}
		return nil
	})
	err = g.Wait()
	svc.Wait() // cluster operations continued for dead processes stop with ctx
	log.Info("syncbot stopped", "err", err)
	return err
}

func openStore(ctx context.Context, cfg config.Config) (store.Store, bool, error) {
	if cfg.DatabaseURL != "" {
		st, err := postgres.Open(ctx, cfg.DatabaseURL.Reveal())
		if err != nil {
			return nil, false, fmt.Errorf("open the PostgreSQL store (SYNC_DATABASE_URL): %w", err)
		}
		return st, false, nil
	}
	st, err := sqlite.Open(ctx, cfg.DataDir)
	if err != nil {
		return nil, false, fmt.Errorf("open the embedded store in SYNC_DATA_DIR: %w", err)
	}
	return st, true, nil
}

func storeKind(exclusive bool) string {
	if exclusive {
		return "sqlite"
	}
	return "postgres"
}

func appRefs(cfg []config.App) (map[string]adminapi.App, []string) {
	apps := make(map[string]adminapi.App, len(cfg))
	aliases := make([]string, 0, len(cfg))
	for _, a := range cfg {
		apps[a.Alias] = adminapi.App{GroupID: a.GroupID, AppID: a.AppID, ClientAppID: a.ClientAppID}
		aliases = append(aliases, a.Alias)
	}
	return apps, aliases
}

// warm logs in and finds every app's service once, so commands start warm.
// It runs no more lookups at once than the Admin API client has slots:
// more would only wait for a slot, and each waiting lookup holds two
// goroutine stacks (its own and its flight's), which with 200 apps left
// about 4 MiB behind in the idle bot (docs/benchmarks.md).
func warm(ctx context.Context, log *slog.Logger, admin *adminapi.Client, apps map[string]adminapi.App, conc int) {
	start := time.Now()
	if err := admin.Login(ctx); err != nil {
		log.Warn("Admin API login at start failed; commands will retry", "err", err)
		return
	}
	var g errgroup.Group
	g.SetLimit(max(conc, 1))
	var failed atomic.Int32
	for alias, app := range apps {
		g.Go(func() error {
			if _, err := admin.Service(ctx, app); err != nil {
				failed.Add(1)
				log.Warn("finding the app's mongodb-atlas service failed", "app", alias, "err", err)
			}
			return nil
		})
	}
	_ = g.Wait()
	if ctx.Err() != nil {
		return
	}
	debug.FreeOSMemory()
	log.Info("Admin API warm-up done", "apps", len(apps), "failed", failed.Load(), "duration", time.Since(start).Round(time.Millisecond).String())
}

func holderName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// adopt binds journal rows from before targets existed (see
// store.AdoptLegacy) to what their alias names now.
func adopt(ctx context.Context, log *slog.Logger, st store.Store, resolve func(alias string) (store.Target, bool)) {
	r, err := st.AdoptLegacy(ctx, resolve)
	switch {
	case err != nil:
		log.Warn("binding old journal rows to their apps failed; they stay unbound", "err", err)
	case r.OpsBound+r.Moved+r.Superseded > 0 || len(r.Unresolved) > 0:
		log.Info("old journal rows bound to their apps", "ops_bound", r.OpsBound, "ops_unbound", r.OpsLeft+r.OpsBusy,
			"snapshots_moved", r.Moved, "snapshots_unusable", r.Left, "unresolved_aliases", r.Unresolved)
	}
}

// configured resolves an alias from SYNC_APPS alone, without the network:
// an app named by its _id.
func configured(apps map[string]adminapi.App) func(string) (store.Target, bool) {
	return func(alias string) (store.Target, bool) {
		a, ok := apps[alias]
		if !ok || a.AppID == "" {
			return store.Target{}, false
		}
		return store.Target{Kind: target.KindSync, GroupID: a.GroupID, AppID: a.AppID}, true
	}
}

// resolved also resolves apps named by client_app_id, through the Admin
// API (cached once warm-up has run).
func resolved(ctx context.Context, admin *adminapi.Client, apps map[string]adminapi.App) func(string) (store.Target, bool) {
	return func(alias string) (store.Target, bool) {
		a, ok := apps[alias]
		if !ok {
			return store.Target{}, false
		}
		a, err := admin.Resolve(ctx, a)
		if err != nil {
			return store.Target{}, false
		}
		return store.Target{Kind: target.KindSync, GroupID: a.GroupID, AppID: a.AppID}, true
	}
}

// handler adapts Socket Mode envelopes to the command service.
type handler struct{ svc *service.Service }

func (h handler) HandleCommand(ctx context.Context, c slackbot.Command) {
	h.svc.HandleCommand(ctx, service.Invocation{
		EnvelopeID: c.EnvelopeID, ChannelID: c.ChannelID, UserID: c.UserID, UserName: c.UserName,
		Text: c.Text, ResponseURL: c.ResponseURL, TriggerID: c.TriggerID, TeamID: c.TeamID, APIAppID: c.APIAppID,
	})
}

func (h handler) HandleAction(ctx context.Context, a slackbot.Action) {
	h.svc.HandleAction(ctx, service.Click{
		EnvelopeID: a.EnvelopeID, ChannelID: a.ChannelID, UserID: a.UserID, UserName: a.UserName,
		MessageTS: a.MessageTS, ActionID: a.ActionID, Value: a.Value, ResponseURL: a.ResponseURL,
		TeamID: a.TeamID, APIAppID: a.APIAppID, UserTeamID: a.UserTeamID,
	})
}

// slackAdapter lets the service speak through the bot without importing it.
type slackAdapter struct{ bot *slackbot.Bot }

func (s *slackAdapter) Post(ctx context.Context, ch string, m messages.Message) (string, error) {
	return s.bot.Post(ctx, ch, slackbot.Message(m))
}

func (s *slackAdapter) Update(ctx context.Context, ch, ts string, m messages.Message) error {
	return s.bot.Update(ctx, ch, ts, slackbot.Message(m))
}

func (s *slackAdapter) Ephemeral(ctx context.Context, ch, user string, m messages.Message) error {
	return s.bot.Ephemeral(ctx, ch, user, slackbot.Message(m))
}

func (s *slackAdapter) Respond(ctx context.Context, url string, m messages.Message, inChannel bool) error {
	return s.bot.Respond(ctx, url, slackbot.Message(m), inChannel)
}

func (s *slackAdapter) Replace(ctx context.Context, url string, m messages.Message) error {
	return s.bot.Replace(ctx, url, slackbot.Message(m))
}

func (s *slackAdapter) UsergroupMembers(ctx context.Context, group string) ([]string, error) {
	return s.bot.UsergroupMembers(ctx, group)
}
