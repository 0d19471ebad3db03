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
	"github.com/syncbot/syncbot/internal/commands"
	"github.com/syncbot/syncbot/internal/config"
	"github.com/syncbot/syncbot/internal/metrics"
	"github.com/syncbot/syncbot/internal/ops"
	"github.com/syncbot/syncbot/internal/slackbot"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/store/postgres"
	"github.com/syncbot/syncbot/internal/store/sqlite"
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
	svc := commands.New(commands.Config{
		Apps: apps, Aliases: aliases, Command: cfg.SlackCommand,
		Policy:      approval.NewPolicy(cfg.Approvers, cfg.ApprovalTTL),
		Operators:   cfg.Operators,
		Breakglass:  cfg.Breakglass,
		Channels:    cfg.Channels,
		Team:        cfg.SlackTeamID,
		AppID:       cfg.SlackAppID,
		Holder:      holderName(),
		Exclusive:   exclusive,
		SweepEvery:  o.SweepEvery,
		Lease:       4*cfg.AdminTimeout + time.Minute,
		Observe:     m.Command,
		RemindEvery: cfg.ReminderInterval,
	}, admin, st, sl, o.Clock, log.With("component", "commands"))
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
	log.Info("syncbot starting", "apps", aliases, "store", storeKind(exclusive), "http", ln.Addr().String(),
		"approvers", len(cfg.Approvers), "operators", len(cfg.Operators), "breakglass", len(cfg.Breakglass),
		"channels", cfg.Channels, "slack_team_id", cfg.SlackTeamID, "slack_app_id", cfg.SlackAppID)
	if o.Ready != nil {
		o.Ready(ln.Addr().String())
	}

	// Before the socket opens: see Service.Prepare.
	if err := svc.Prepare(ctx); err != nil {
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
	g.Go(func() error { warm(gctx, log, admin, apps, cfg.AdminConcurrency); return nil })
	g.Go(func() error { svc.Run(gctx); return nil })
	g.Go(func() error {
		if err := bot.Run(gctx); err != nil {
			return fmt.Errorf("slack: %w", err)
		}
		return nil
	})
	err = g.Wait()
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

// handler adapts Socket Mode envelopes to the command service.
type handler struct{ svc *commands.Service }

func (h handler) HandleCommand(ctx context.Context, c slackbot.Command) {
	h.svc.HandleCommand(ctx, commands.Invocation{
		EnvelopeID: c.EnvelopeID, ChannelID: c.ChannelID, UserID: c.UserID, UserName: c.UserName,
		Text: c.Text, ResponseURL: c.ResponseURL, TriggerID: c.TriggerID, TeamID: c.TeamID, APIAppID: c.APIAppID,
	})
}

func (h handler) HandleAction(ctx context.Context, a slackbot.Action) {
	h.svc.HandleAction(ctx, commands.Click{
		EnvelopeID: a.EnvelopeID, ChannelID: a.ChannelID, UserID: a.UserID, UserName: a.UserName,
		MessageTS: a.MessageTS, ActionID: a.ActionID, Value: a.Value, ResponseURL: a.ResponseURL,
		TeamID: a.TeamID, APIAppID: a.APIAppID, UserTeamID: a.UserTeamID,
	})
}

// slackAdapter lets commands speak through the bot without importing it.
type slackAdapter struct{ bot *slackbot.Bot }

func (s *slackAdapter) Post(ctx context.Context, ch string, m commands.Message) (string, error) {
	return s.bot.Post(ctx, ch, slackbot.Message(m))
}

func (s *slackAdapter) Update(ctx context.Context, ch, ts string, m commands.Message) error {
	return s.bot.Update(ctx, ch, ts, slackbot.Message(m))
}

func (s *slackAdapter) Ephemeral(ctx context.Context, ch, user string, m commands.Message) error {
	return s.bot.Ephemeral(ctx, ch, user, slackbot.Message(m))
}

func (s *slackAdapter) Respond(ctx context.Context, url string, m commands.Message, inChannel bool) error {
	return s.bot.Respond(ctx, url, slackbot.Message(m), inChannel)
}

func (s *slackAdapter) UsergroupMembers(ctx context.Context, group string) ([]string, error) {
	return s.bot.UsergroupMembers(ctx, group)
}
