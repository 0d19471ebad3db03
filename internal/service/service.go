// Package service runs syncbot's verbs: a /sync command or a button click
// comes in, and the service journals it, reads the target, checks who may
// do it, announces it, makes the one effect under a fenced lease and
// records how it ended. The background work (expiry, reconcile, reminders,
// healing) is package sweeper; both show operations through package
// announce, and words come from package messages.
package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/syncbot/syncbot/internal/announce"
	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/commands"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/target"
)

// Slack is how the service answers, and finds out who is in a user group.
type Slack interface {
	announce.Slack
	// UsergroupMembers lists the users in a user group (S…).
	UsergroupMembers(ctx context.Context, group string) ([]string, error)
}

// Invocation is one /sync command as Slack delivered it.
type Invocation struct {
	EnvelopeID, ChannelID, UserID, UserName, Text, ResponseURL, TriggerID string
	// TeamID and APIAppID are the envelope's workspace and app.
	TeamID, APIAppID string
}

func (inv Invocation) asker() announce.Asker {
	return announce.Asker{Channel: inv.ChannelID, User: inv.UserID, ResponseURL: inv.ResponseURL}
}

// Click is one button press on a syncbot message.
type Click struct {
	EnvelopeID, ChannelID, UserID, UserName, MessageTS, ActionID, Value, ResponseURL string
	// TeamID and APIAppID are the envelope's workspace and app; UserTeamID
	// is the clicker's own workspace, another one for people from another
	// organisation in a Slack Connect channel.
	TeamID, APIAppID, UserTeamID string
}

// Config is the service's settings.
type Config struct {
	Aliases []string // the apps of SYNC_APPS, in order
	Command string   // the slash command, for help texts
	Policy  approval.Policy
	Rules   approval.Rules
	// GroupTTL is how long a user group's members are trusted once looked
	// up (default 5 minutes).
	GroupTTL time.Duration
	// Holder names this process in the journal's leases.
	Holder string
	// Lease bounds how long an executing op may look alive without its
	// holder renewing it; the holder renews it every Lease/4 while it
	// works.
	Lease time.Duration
	// SnapshotMaxAge is how old a saved configuration may be and still be
	// re-sent by resume without --saved (SYNC_SNAPSHOT_MAX_AGE); zero: any.
	SnapshotMaxAge time.Duration
	// Observe, if set, counts each command or click by verb and outcome.
	Observe func(verb, outcome string)
	// Triggers is the Atlas Triggers kind; nil answers trigger commands
	// with "not available".
	Triggers Triggers

	// Cluster is the Atlas cluster kind; nil: no cluster commands.
	Cluster ClusterKind
	// Clusters are the aliases of SYNC_CLUSTERS, in order.
	Clusters []string
	// ClusterApproval: a cluster pause waits for a second person.
	ClusterApproval bool
	// ClusterWait bounds a resume's wait for the cluster (default 20m).
	ClusterWait time.Duration
}

// Service runs /sync commands and button clicks.
type Service struct {
	cfg    Config
	sync   target.Kind
	store  store.Store
	slack  Slack
	clock  clock.Clock
	log    *slog.Logger
	book   messages.Book
	say    *announce.Announcer
	groups *groupCache
	// glances keeps status's trigger and cluster lines for a few seconds.
	glances *glances
	// running counts the operations this process continues in the
	// background (Continue), for Wait.
	running sync.WaitGroup
}

// New returns a Service over the Device Sync kind; zero durations get
// defaults.
func New(cfg Config, syncKind target.Kind, st store.Store, sl Slack, clk clock.Clock, log *slog.Logger) *Service {
	if cfg.Lease <= 0 {
		cfg.Lease = 5 * time.Minute
	}
	if cfg.Holder == "" {
		cfg.Holder = "syncbot"
	}
	if cfg.GroupTTL <= 0 {
		cfg.GroupTTL = 5 * time.Minute
	}
	if cfg.ClusterWait <= 0 {
		cfg.ClusterWait = 20 * time.Minute
	}
	book := messages.New(cfg.Command)
	cfg.Command = book.Command
	return &Service{cfg: cfg, sync: syncKind, store: st, slack: sl, clock: clk, log: log, book: book,
		say:    &announce.Announcer{Book: book, Approvers: cfg.Policy.Approvers(), Store: st, Slack: announce.WithPlainFallback(sl, log), Clock: clk},
		groups: newGroupCache(sl, clk, cfg.GroupTTL), glances: newGlances(clk)}
}

// Announcer is how the service shows operations; the sweeper shares it.
func (s *Service) Announcer() *announce.Announcer { return s.say }

// HandleCommand runs one /sync command. It never returns an error: every
// failure is told to the person who asked (and logged).
func (s *Service) HandleCommand(ctx context.Context, inv Invocation) {
	log := s.log.With("envelope_id", inv.EnvelopeID, "user", inv.UserID, "channel", inv.ChannelID)
	if why := s.cfg.Rules.Elsewhere(inv.TeamID, inv.APIAppID); why != "" {
		// Not ours to answer: our token could not even post there.
		log.Warn("command ignored: "+why, "team_id", inv.TeamID, "api_app_id", inv.APIAppID)
		s.observe("unknown", "ignored")
		return
	}
	cmd, err := commands.ParseWith(inv.Text, s.cfg.Aliases, s.cfg.Clusters, s.cfg.Command)
	if err != nil {
		log.Info("usage error", "text_len", len(inv.Text))
		s.observe("unknown", "usage_error")
		s.whisper(ctx, log, inv, messages.Text(err.Error()))
		return
	}
	ctx, o := withOutcome(ctx, "answered")
	verb := string(cmd.Verb)
	if cmd.Action != "" { // trigger disable, enable, resume: one series each
		verb += "_" + cmd.Action
	}
	defer func() { s.observe(verb, o.v) }()
	log = log.With("verb", string(cmd.Verb), "app", cmd.App)
	log.Info("command")
	switch cmd.Verb {
	case commands.Help:
		s.whisper(ctx, log, inv, s.book.Help(s.cfg.Aliases))
	case commands.Status:
		s.status(ctx, log, inv, cmd)
	case commands.Pause, commands.Resume:
		if s.authorize(ctx, log, inv, cmd) {
			s.change(ctx, log, inv, cmd)
		}
	case commands.Terminate:
		switch {
		case !s.authorize(ctx, log, inv, cmd):
		case cmd.BreakGlass:
			s.breakGlass(ctx, log, inv, cmd)
		default:
			s.requestTerminate(ctx, log, inv, cmd)
		}
	case commands.Triggers, commands.Trigger:
		switch {
		case s.cfg.Triggers == nil:
			s.whisper(ctx, log, inv, messages.Text("Triggers are not available in this install."))
		case cmd.Verb == commands.Triggers:
			s.triggers(ctx, log, inv, cmd)
		case s.authorize(ctx, log, inv, cmd):
			s.trigger(ctx, log, inv, cmd)
		}
	case commands.History:
		s.history(ctx, log, inv, cmd)
	case commands.Pending:
		s.pending(ctx, log, inv, cmd)
	case commands.Cancel:
		s.cancel(ctx, log, inv, cmd)
	case commands.Ack:
		s.acknowledge(ctx, log, inv, cmd)
	case commands.ClusterStatus:
		s.clusterStatus(ctx, log, inv, cmd)
	case commands.ClusterPause:
		if s.authorize(ctx, log, inv, cmd) {
			s.requestClusterPause(ctx, log, inv, cmd)
		}
	case commands.ClusterResume:
		if s.authorize(ctx, log, inv, cmd) {
			s.clusterResume(ctx, log, inv, cmd)
		}
	}
}

func (s *Service) whisper(ctx context.Context, log *slog.Logger, inv Invocation, m messages.Message) {
	s.say.Whisper(ctx, log, inv.asker(), m)
}

// parallel runs f in the background and returns a wait for it.
func parallel(f func()) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(f)
	return wg.Wait
}
