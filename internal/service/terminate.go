package service

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/announce"
	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/commands"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/target"
)

// requestTerminate saves the sync configuration, journals a pending request
// bound to the app the alias names now, and posts the approval card.
// Nothing changes until someone else approves.
func (s *Service) requestTerminate(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) {
	p, ok := s.prepareTerminate(ctx, log, inv, cmd, "terminate", "requested")
	if !ok {
		return
	}
	s.request(ctx, log, inv, store.Op{Kind: store.Terminate, App: cmd.App, Target: p.target, Reason: cmd.Reason,
		SyncKind: p.read.Variant, SyncBefore: p.read.State, SyncAfter: adminapi.StateTerminated}, p.now)
}

// prepared is what every terminate knows before it is journaled.
type prepared struct {
	target store.Target
	read   target.Reading
	now    time.Time
}

// prepareTerminate does what every terminate does before it is journaled. A
// replayed envelope (its trigger_id is journaled) is a no-op: CreateOp would
// say so too, but only after the read and the snapshot, so a replay that
// came once the terminate had run was told "already terminated", and one
// that came while it was pending overwrote the snapshot. Then the app is
// identified and its config read (refused when unreadable or already
// terminated) and saved first: a terminate whose configuration was not
// kept must not exist, or resume could not undo it. what names the
// terminate in replies, undone what was not done ("requested"); ok is
// false when the asker has had the answer.
func (s *Service) prepareTerminate(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command, what, undone string) (p prepared, ok bool) {
	if inv.TriggerID != "" { // an empty Filter.Key would match every op
		if ops, err := s.store.ListOps(ctx, store.Filter{Key: inv.TriggerID, Limit: 1}); err == nil && len(ops) > 0 {
			log.Info("replayed "+what+" ignored", "op", ops[0].ID)
			return p, false
		}
	}
	t, err := s.sync.Identify(ctx, cmd.App)
	if err == nil {
		p.read, err = s.sync.ReadForChange(ctx, t)
	}
	if err != nil {
		s.whisper(ctx, log, inv, messages.CouldNotPrepare(what, cmd.App, s.book.Problem(err, cmd.App), undone))
		return p, false
	}
	if p.read.State == adminapi.StateTerminated {
		setOutcome(ctx, "noop")
		s.whisper(ctx, log, inv, messages.AlreadyTerminated(cmd.App, undone))
		return p, false
	}
	if t.ServiceID == "" {
		t.ServiceID = p.read.ServiceID
	}
	p.target, p.now = t, s.clock.Now()
	if err := s.store.SaveSnapshot(ctx, store.Snapshot{Target: t, App: cmd.App, SyncKind: p.read.Variant, Sync: p.read.Object, SavedAt: p.now}); err != nil {
		log.Error("saving the sync configuration failed", "err", err)
		s.whisper(ctx, log, inv, messages.JournalDown("save the current sync configuration", "nothing was "+undone))
		return p, false
	}
	return p, true
}

// HandleAction handles Approve and Deny on an approval card.
func (s *Service) HandleAction(ctx context.Context, c Click) {
	log := s.log.With("envelope_id", c.EnvelopeID, "user", c.UserID, "action", c.ActionID)
	if why := s.cfg.Rules.Elsewhere(c.TeamID, c.APIAppID); why != "" {
		log.Warn("click ignored: "+why, "team_id", c.TeamID, "api_app_id", c.APIAppID)
		s.observe("unknown", "ignored")
		return
	}
	var act approval.Action
	switch c.ActionID {
	case messages.ActionApprove:
		act = approval.Approve
	case messages.ActionDeny:
		act = approval.Deny
	default:
		log.Info("unknown action ignored")
		return
	}
	ctx, o := withOutcome(ctx, "answered")
	defer func() { s.observe(string(act), o.v) }()
	id, ok := commands.ParseRequestID(c.Value)
	if !ok {
		log.Warn("click with a bad request id ignored", "value_len", len(c.Value))
		return
	}
	log = log.With("op", id)
	asker := announce.Asker{Channel: c.ChannelID, User: c.UserID, ResponseURL: c.ResponseURL}
	// A card the bot cannot update (posted through response_url where the
	// bot is not a member) is updated through this click's response_url.
	ctx = announce.WithClick(ctx, c.ResponseURL)
	s.decide(ctx, log, id, c.UserID, act, &c, func(m messages.Message) { s.say.Whisper(ctx, log, asker, m) })
}

// cancel is /sync cancel T-42: the requester withdraws.
func (s *Service) cancel(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) {
	log = log.With("op", cmd.RequestID)
	s.decide(ctx, log, cmd.RequestID, inv.UserID, approval.Cancel, nil, func(m messages.Message) { s.whisper(ctx, log, inv, m) })
}

// decide applies the two-person rule to a click (nil for /sync cancel) or
// cancel and, for the one approval the store lets win, runs the request (a
// terminate, or a trigger resume without its missed events).
func (s *Service) decide(ctx context.Context, log *slog.Logger, id int64, user string, act approval.Action, click *Click, tell func(messages.Message)) {
	op, err := s.store.GetOp(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !isRequest(op)) {
		tell(messages.NoSuchRequest(id))
		return
	}
	if err != nil {
		log.Error("reading the request failed", "err", err)
		tell(messages.JournalDown("read that request", "nothing changed"))
		return
	}
	if op.MessageTS == "" && click != nil && click.MessageTS != "" && click.ChannelID == op.Channel {
		// The card was clicked before the journal knew where it is: its
		// poster (maybe another replica, maybe a process that died since)
		// has not recorded it yet. The clicked card is the one to update;
		// without this, showing the decision posted a second card and
		// the first kept its buttons for ever.
		if err := s.store.SetMessage(ctx, op.ID, op.Channel, click.MessageTS); err != nil {
			log.Warn("recording the clicked card failed", "err", err)
		}
		op.MessageTS = click.MessageTS
	}
	now := s.clock.Now()
	req := approval.Request{Requester: op.Requester, State: op.State, ExpiresAt: op.ExpiresAt}
	who := approval.Person{ID: user, Outsider: click != nil && s.cfg.Rules.Outsider(click.TeamID, click.UserTeamID)}
	if act != approval.Cancel && user != op.Requester && !who.Outsider && op.State == store.Pending && !approval.IsExpired(req, now) {
		ok, err := s.mayApprove(ctx, user)
		if err != nil {
			setOutcome(ctx, "refused")
			tell(lookupFailed(ctx, log, string(act)+" "+messages.OpName(op.ID), err, "Nothing changed"))
			return
		}
		who.Approver = ok
	}
	v := s.cfg.Policy.Decide(req, who, act, now)
	if !v.Allowed() {
		setOutcome(ctx, "refused")
	}
	switch v.Reason {
	case approval.Decided:
		tell(messages.Decided(op))
		s.heal(ctx, log, op.ID)
		return
	case approval.TimedOut:
		s.say.Expire(ctx, log, op)
		tell(messages.ExpiredBeforeClick(op))
		return
	case approval.SelfApproval:
		tell(messages.SelfApproval(op.ID))
		return
	case approval.NotApprover:
		tell(messages.NotApprover(s.cfg.Policy.Approvers()))
		return
	case approval.NotRequester:
		tell(messages.NotRequester(op))
		return
	case approval.Outsider:
		log.Warn("click by a user of another workspace refused", "user_team_id", click.UserTeamID)
		tell(messages.Text(messages.Outsider))
		return
	}
	next, err := s.store.Transition(ctx, op.ID, store.Pending, store.Change{To: v.To, Actor: user, At: now, DecidedBy: user})
	if errors.Is(err, store.ErrConflict) {
		tell(messages.Decided(next))
		return
	}
	if err != nil {
		log.Error("recording the decision failed", "err", err)
		tell(messages.JournalDown("record your decision", "nothing changed"))
		return
	}
	log.Info("request decided", "state", next.State)
	setOutcome(ctx, string(next.State))
	// The card loses its buttons at once, before anything else is read.
	s.say.Show(ctx, log, next)
	switch {
	case next.State != store.Approved:
	case next.Target.Kind == target.KindCluster:
		s.executeCluster(ctx, log, next)
	default:
		s.execute(ctx, log, next)
	}
}

// execute runs an approved terminate exactly once, on the app it was
// requested for: it refuses if the alias names another app now, takes the
// app, re-reads the config, refuses if it moved since the card was posted,
// then PATCHes.
func (s *Service) execute(ctx context.Context, log *slog.Logger, op store.Op) {
	if op.Target.Kind == store.TriggerTarget {
		s.executeSkipMissed(ctx, log, op)
		return
	}
	if t, err := s.sync.Identify(ctx, op.App); errors.Is(err, target.ErrUnknownAlias) || (err == nil && t.Key() != op.Target.Key()) {
		log.Warn("approved terminate refused: the alias names another app now", "want", op.Target.Key(), "now", t.Key())
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: s.book.OutcomeRepointed(op.App)})
		return
	} else if err != nil {
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: s.book.Problem(err, op.App)})
		return
	}
	op, ok := s.begin(ctx, log, op)
	if !ok {
		return
	}
	defer s.hold(ctx, log, op)()
	// No update now: a running terminate reads as the approved card
	// already shown, and a second update with the same words is noise.
	s.terminate(ctx, log, op)
}

// terminate runs an executing terminate (approved, or break-glass) on its
// app: it re-reads the config, refuses if it moved since the request,
// saves it, then PATCHes and shows the outcome.
func (s *Service) terminate(ctx context.Context, log *slog.Logger, op store.Op) {
	r, err := s.sync.ReadForChange(ctx, op.Target)
	switch {
	case err != nil:
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: s.book.Problem(err, op.App)})
		return
	case r.State != op.SyncBefore || r.Variant != op.SyncKind:
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: messages.OutcomeChanged(op.SyncBefore, op.SyncKind, r.State, r.Variant), Before: r.State})
		return
	}
	if err := s.store.SaveSnapshot(ctx, store.Snapshot{Target: op.Target, App: op.App, SyncKind: r.Variant, Sync: r.Object, OpID: op.ID, SavedAt: s.clock.Now()}); err != nil {
		log.Error("saving the sync configuration failed", "err", err)
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: messages.OutcomeSnapshotFailed})
		return
	}
	s.effect(ctx, log, s.sync, op, r, adminapi.StateTerminated)
}

// heal re-shows a decided request whose card could still be clicked: it may
// have missed an update. Only a final state, read afresh, is shown: the
// states in between (approved, running) are shown by whoever runs the
// request, and a copy of one read a moment ago could land after the final
// update, here or on another replica, and undo it for good.
//
// A click that raced the decision comes within moments of it, while the
// decider's own updates are on their way: healing then would only repeat
// them (one click per replica made one extra update each), so only a
// decision older than healAfter is shown again.
func (s *Service) heal(ctx context.Context, log *slog.Logger, id int64) {
	cur, err := s.store.GetOp(ctx, id)
	if err != nil || !cur.State.Final() || s.clock.Now().Sub(cur.UpdatedAt) < healAfter {
		return
	}
	s.say.Show(ctx, log, cur)
}

const healAfter = time.Minute
