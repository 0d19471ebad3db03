package commands

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/store"
)

// Admin is what the service needs of the App Services Admin API.
type Admin interface {
	Sync(ctx context.Context, app adminapi.App) (adminapi.SyncConfig, error)
	// ReadForChange is Sync plus the open-draft check a change needs, as
	// one round trip; an open draft gives adminapi.ErrDraftOpen.
	ReadForChange(ctx context.Context, app adminapi.App) (adminapi.SyncConfig, error)
	SetState(ctx context.Context, app adminapi.App, kind string, object json.RawMessage, state string) error
}

// Slack is how the service answers, and finds out who is in a user group.
type Slack interface {
	Post(ctx context.Context, channel string, m Message) (ts string, err error)
	Update(ctx context.Context, channel, ts string, m Message) error
	Ephemeral(ctx context.Context, channel, user string, m Message) error
	Respond(ctx context.Context, responseURL string, m Message, inChannel bool) error
	// UsergroupMembers lists the users in a user group (S…).
	UsergroupMembers(ctx context.Context, group string) ([]string, error)
}

// Invocation is one /sync command as Slack delivered it.
type Invocation struct {
	EnvelopeID, ChannelID, UserID, UserName, Text, ResponseURL, TriggerID string
	// TeamID and APIAppID are the envelope's workspace and app.
	TeamID, APIAppID string
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
	Apps    map[string]adminapi.App // alias → app
	Aliases []string                // in SYNC_APPS order
	Command string                  // the slash command, for help texts
	Policy  approval.Policy
	// Who may do what beyond the two-person rule; empty lists are off.
	// Operators may pause, resume and terminate; Breakglass may terminate
	// without approval; changes are requested only in Channels.
	Operators  approval.List
	Breakglass approval.List
	Channels   []string
	// Team and AppID are the workspace and Slack app syncbot serves:
	// envelopes from others are ignored. Empty: not checked (a clicker
	// from another workspace than the envelope's is still refused).
	Team, AppID string
	// GroupTTL is how long a user group's members are trusted once looked
	// up (default 5 minutes).
	GroupTTL time.Duration
	// Holder names this process in the journal's leases.
	Holder string
	// Lease bounds how long an executing op may look alive without its
	// process; it must outlast the slowest Admin API call with retries.
	Lease time.Duration
	// Exclusive says the store serves this process alone (the embedded
	// store), so every op found executing at start was left by a dead
	// process.
	Exclusive bool
	// SweepEvery is how often expiry and lease takeover run.
	SweepEvery time.Duration
	// RemindEvery is how often a still-paused app is mentioned in its
	// channel; zero turns those reminders off.
	RemindEvery time.Duration
	// Observe, if set, counts each command or click by verb and outcome.
	Observe func(verb, outcome string)
}

// Service runs /sync commands and button clicks.
type Service struct {
	cfg    Config
	admin  Admin
	store  store.Store
	slack  Slack
	clock  clock.Clock
	log    *slog.Logger
	shown  opLocks
	groups *groupCache
	// leftover is what Prepare found unfinished at start, before this
	// process took any command; nil when Prepare was not called.
	leftover *[]store.Op
}

// New returns a Service; zero durations get defaults.
func New(cfg Config, admin Admin, st store.Store, sl Slack, clk clock.Clock, log *slog.Logger) *Service {
	if cfg.Lease <= 0 {
		cfg.Lease = 5 * time.Minute
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = 15 * time.Second
	}
	if cfg.Command == "" {
		cfg.Command = "/sync"
	}
	if cfg.Command != "/sync" {
		sl = renamed{Slack: sl, to: cfg.Command}
	}
	if cfg.Holder == "" {
		cfg.Holder = "syncbot"
	}
	if cfg.GroupTTL <= 0 {
		cfg.GroupTTL = 5 * time.Minute
	}
	return &Service{cfg: cfg, admin: admin, store: st, slack: sl, clock: clk, log: log,
		groups: newGroupCache(sl, clk, cfg.GroupTTL)}
}

// HandleCommand runs one /sync command. It never returns an error: every
// failure is told to the person who asked (and logged).
func (s *Service) HandleCommand(ctx context.Context, inv Invocation) {
	log := s.log.With("envelope_id", inv.EnvelopeID, "user", inv.UserID, "channel", inv.ChannelID)
	if why := s.elsewhere(inv.TeamID, inv.APIAppID); why != "" {
		// Not ours to answer: our token could not even post there.
		log.Warn("command ignored: "+why, "team_id", inv.TeamID, "api_app_id", inv.APIAppID)
		s.observe("unknown", "ignored")
		return
	}
	cmd, err := Parse(inv.Text, s.cfg.Aliases)
	if err != nil {
		log.Info("usage error", "text_len", len(inv.Text))
		s.observe("unknown", "usage_error")
		s.whisper(ctx, log, inv, text(err.Error()))
		return
	}
	ctx, o := withOutcome(ctx, "answered")
	defer func() { s.observe(string(cmd.Verb), o.v) }()
	log = log.With("verb", string(cmd.Verb), "app", cmd.App)
	log.Info("command")
	switch cmd.Verb {
	case Help:
		s.whisper(ctx, log, inv, HelpMessage(s.cfg.Command, s.cfg.Aliases))
	case Status:
		s.status(ctx, log, inv, cmd)
	case Pause, Resume:
		if s.authorize(ctx, log, inv, cmd) {
			s.change(ctx, log, inv, cmd)
		}
	case Terminate:
		switch {
		case !s.authorize(ctx, log, inv, cmd):
		case cmd.BreakGlass:
			s.breakGlass(ctx, log, inv, cmd)
		default:
			s.requestTerminate(ctx, log, inv, cmd)
		}
	case History:
		s.history(ctx, log, inv, cmd)
	case Pending:
		s.pending(ctx, log, inv)
	case Cancel:
		s.cancel(ctx, log, inv, cmd)
	case Ack:
		s.acknowledge(ctx, log, inv, cmd)
	}
}

// whisper answers the asker alone; where the bot cannot post ephemerally
// (a channel it is not in), the command's response_url still can.
func (s *Service) whisper(ctx context.Context, log *slog.Logger, inv Invocation, m Message) {
	err := s.slack.Ephemeral(ctx, inv.ChannelID, inv.UserID, m)
	if err == nil {
		return
	}
	log.Warn("ephemeral reply failed; using response_url", "err", err)
	if inv.ResponseURL == "" {
		return
	}
	if err := s.slack.Respond(ctx, inv.ResponseURL, m, false); err != nil {
		log.Error("reply lost", "err", err)
	}
}

// show renders op from the journal into its channel message: updated in
// place when it has one, posted otherwise. A lost update heals on the next.
func (s *Service) show(ctx context.Context, log *slog.Logger, op store.Op) {
	defer s.shown.lock(op.ID)()
	if op.MessageTS == "" {
		// Its first post may have landed since op was read.
		if cur, err := s.store.GetOp(ctx, op.ID); err == nil {
			op.MessageTS = cur.MessageTS
		}
	}
	m := s.render(op)
	if op.MessageTS != "" {
		if err := s.slack.Update(ctx, op.Channel, op.MessageTS, m); err != nil {
			log.Warn("updating the channel message failed; it is shown again later", "op", op.ID, "err", err)
			return
		}
	} else if _, delivered := s.post(ctx, log, op, m); !delivered {
		return
	}
	if op.State.Final() {
		// The message shows how the op ended: nothing left to do for it.
		if _, err := s.store.MarkShown(ctx, op.ID, op.State); err != nil {
			log.Warn("marking the message as up to date failed", "op", op.ID, "err", err)
		}
	}
}

// announce posts the first channel message for op and journals where, before
// anyone else may show op.
func (s *Service) announce(ctx context.Context, log *slog.Logger, op store.Op, m Message) string {
	defer s.shown.lock(op.ID)()
	ts, _ := s.post(ctx, log, op, m)
	return ts
}

// post posts m as op's channel message and journals where. Where the bot
// cannot post (a private channel it is not in, Slack failing), the
// command's response_url carries m instead, as a message that can never be
// updated. delivered reports whether m reached the channel either way; if
// not, the journal still has op, and the message is shown from it on the
// next chance (show, Reconcile).
func (s *Service) post(ctx context.Context, log *slog.Logger, op store.Op, m Message) (ts string, delivered bool) {
	ts, err := s.slack.Post(ctx, op.Channel, m)
	if err != nil {
		if op.ResponseURL == "" {
			log.Warn("posting in the channel failed; it is posted again later", "op", op.ID, "err", err)
			return "", false
		}
		log.Warn("posting in the channel failed; using response_url", "op", op.ID, "err", err)
		if err := s.slack.Respond(ctx, op.ResponseURL, m, true); err != nil {
			log.Warn("response_url post failed too; the message is posted again later", "op", op.ID, "err", err)
			return "", false
		}
		return "", true
	}
	if err := s.store.SetMessage(ctx, op.ID, op.Channel, ts); err != nil {
		log.Error("recording the message failed", "op", op.ID, "err", err)
		return ts, true
	}
	log.Info("channel message posted", "op", op.ID, "ts", ts)
	return ts, true
}

func (s *Service) render(op store.Op) Message {
	switch {
	case op.BreakGlass:
		return BreakGlassMessage(op, s.cfg.Policy.Approvers())
	case op.Kind == store.Terminate:
		return CardMessage(op, s.clock.Now())
	}
	return ChangeMessage(op)
}

// finish records op's outcome; a conflict means someone else (the
// reconciler) already finished it, and the journal's version wins. quiet
// says the outcome is told to the asker alone, never in the channel.
func (s *Service) finish(ctx context.Context, log *slog.Logger, op store.Op, to store.State, outcome, before string, quiet bool) store.Op {
	done, err := s.store.Transition(ctx, op.ID, op.State, store.Change{
		To: to, Actor: "syncbot", At: s.clock.Now(), Outcome: outcome, SyncBefore: before, Quiet: quiet,
	})
	if err != nil {
		log.Error("recording the outcome failed", "op", op.ID, "to", to, "err", err)
		if cur, gerr := s.store.GetOp(ctx, op.ID); gerr == nil {
			return cur
		}
		op.State, op.Outcome = to, outcome
		if before != "" {
			op.SyncBefore = before
		}
		return op
	}
	log.Info("operation finished", "op", op.ID, "state", to, "outcome", outcome)
	setOutcome(ctx, string(to))
	return done
}

// conclude records op's outcome, then shows the journal's version of it.
// If the process dies in between, the message is not marked as showing the
// outcome (MarkShown), and Reconcile shows it again.
func (s *Service) conclude(ctx context.Context, log *slog.Logger, op store.Op, to store.State, outcome, before string) store.Op {
	done := s.finish(ctx, log, op, to, outcome, before, false)
	if done.MessageTS == "" {
		done.MessageTS = op.MessageTS
	}
	s.show(ctx, log, done)
	return done
}

// parallel runs f in the background and returns a wait for it.
func parallel(f func()) (wait func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); f() }()
	return wg.Wait
}
