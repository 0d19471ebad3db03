package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/store"
)

// requestTerminate saves the sync configuration, journals a pending request
// and posts the approval card. Nothing changes until someone else approves.
func (s *Service) requestTerminate(ctx context.Context, log *slog.Logger, inv Invocation, cmd Command) {
	cfg, now, ok := s.prepareTerminate(ctx, log, inv, cmd, "terminate", "requested")
	if !ok {
		return
	}
	op, created, err := s.store.CreateOp(ctx, store.Op{
		Key: inv.TriggerID, Kind: store.Terminate, App: cmd.App, Requester: inv.UserID, RequesterName: inv.UserName,
		Channel: inv.ChannelID, ResponseURL: inv.ResponseURL, Reason: cmd.Reason, State: store.Pending,
		SyncKind: cfg.Kind, SyncBefore: cfg.State, SyncAfter: "", ExpiresAt: now.Add(s.cfg.Policy.TTL),
	}, now)
	switch {
	case err != nil:
		log.Error("journaling the request failed", "err", err)
		s.whisper(ctx, log, inv, text("I could not record the request (the journal did not answer), so nothing was requested. Try again in a moment."))
		return
	case !created:
		log.Info("replayed request ignored", "op", op.ID)
		return
	}
	log.Info("terminate requested", "op", op.ID)
	setOutcome(ctx, "requested")
	s.announce(ctx, log, op, CardMessage(op, now))
}

// HandleAction handles Approve and Deny on an approval card.
func (s *Service) HandleAction(ctx context.Context, c Click) {
	log := s.log.With("envelope_id", c.EnvelopeID, "user", c.UserID, "action", c.ActionID)
	if why := s.elsewhere(c.TeamID, c.APIAppID); why != "" {
		log.Warn("click ignored: "+why, "team_id", c.TeamID, "api_app_id", c.APIAppID)
		s.observe("unknown", "ignored")
		return
	}
	var act approval.Action
	switch c.ActionID {
	case ActionApprove:
		act = approval.Approve
	case ActionDeny:
		act = approval.Deny
	default:
		log.Info("unknown action ignored")
		return
	}
	ctx, o := withOutcome(ctx, "answered")
	defer func() { s.observe(string(act), o.v) }()
	id, ok := parseRequestID(c.Value)
	if !ok {
		log.Warn("click with a bad request id ignored", "value_len", len(c.Value))
		return
	}
	log = log.With("op", id)
	s.decide(ctx, log, id, c.UserID, act, &c, func(m Message) {
		s.whisper(ctx, log, Invocation{ChannelID: c.ChannelID, UserID: c.UserID, ResponseURL: c.ResponseURL}, m)
	})
}

// cancel is /sync cancel T-42: the requester withdraws.
func (s *Service) cancel(ctx context.Context, log *slog.Logger, inv Invocation, cmd Command) {
	log = log.With("op", cmd.RequestID)
	s.decide(ctx, log, cmd.RequestID, inv.UserID, approval.Cancel, nil, func(m Message) { s.whisper(ctx, log, inv, m) })
}

// decide applies the two-person rule to a click (nil for /sync cancel) or
// cancel and, for the one approval the store lets win, runs the terminate.
func (s *Service) decide(ctx context.Context, log *slog.Logger, id int64, user string, act approval.Action, click *Click, tell func(Message)) {
	op, err := s.store.GetOp(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && op.Kind != store.Terminate) {
		tell(text(fmt.Sprintf("There is no terminate request %s.", RequestName(id))))
		return
	}
	if err != nil {
		log.Error("reading the request failed", "err", err)
		tell(text("I could not read that request (the journal did not answer). Nothing changed; try again in a moment."))
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
	who := approval.Person{ID: user, Outsider: click != nil && s.outsider(*click)}
	if act != approval.Cancel && user != op.Requester && !who.Outsider && op.State == store.Pending && !approval.IsExpired(req, now) {
		ok, err := s.mayApprove(ctx, user)
		if err != nil {
			setOutcome(ctx, "refused")
			tell(text(lookupFailed(ctx, log, fmt.Sprintf("%s %s", act, RequestName(op.ID)), err, "Nothing changed")))
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
		tell(decidedMessage(op))
		s.heal(ctx, log, op.ID)
		return
	case approval.TimedOut:
		s.expire(ctx, log, op)
		tell(text(fmt.Sprintf("%s expired at %s before your click. Nothing changed.", RequestName(op.ID), when(op.ExpiresAt))))
		return
	case approval.SelfApproval:
		tell(text(fmt.Sprintf("You asked for %s, so someone else must approve it: that is the point of the two-person rule. Press *Deny* to withdraw it.", RequestName(op.ID))))
		return
	case approval.NotApprover:
		tell(text(fmt.Sprintf("Only these people may approve or deny terminate requests: %s. Nothing changed.", mentions(s.cfg.Policy.Approvers()))))
		return
	case approval.NotRequester:
		tell(text(fmt.Sprintf("Only %s, who asked for %s, can withdraw it. Nothing changed.", mention(op.Requester), RequestName(op.ID))))
		return
	case approval.Outsider:
		log.Warn("click by a user of another workspace refused", "user_team_id", click.UserTeamID)
		tell(text(outsiderMessage))
		return
	}
	next, err := s.store.Transition(ctx, op.ID, store.Pending, store.Change{To: v.To, Actor: user, At: now, DecidedBy: user})
	if errors.Is(err, store.ErrConflict) {
		tell(decidedMessage(next))
		return
	}
	if err != nil {
		log.Error("recording the decision failed", "err", err)
		tell(text("I could not record your decision (the journal did not answer). Nothing changed; try again in a moment."))
		return
	}
	log.Info("request decided", "state", next.State)
	setOutcome(ctx, string(next.State))
	s.show(ctx, log, next)
	if next.State == store.Approved {
		s.execute(ctx, log, next)
	}
}

// outsiderMessage refuses a click by someone signed in to another
// workspace (Slack Connect).
const outsiderMessage = "You are signed in to another Slack workspace, so you cannot approve, deny or review anything here: only members of the workspace syncbot serves can. Nothing changed."

// execute runs an approved terminate exactly once: it takes the app, re-reads
// the config, refuses if it moved since the card was posted, then PATCHes.
func (s *Service) execute(ctx context.Context, log *slog.Logger, op store.Op) {
	now := s.clock.Now()
	next, err := s.store.Transition(ctx, op.ID, store.Approved, store.Change{
		To: store.Executing, Actor: "syncbot", At: now, Holder: s.cfg.Holder, LeaseUntil: now.Add(s.cfg.Lease),
	})
	var busy *store.BusyError
	if errors.As(err, &busy) {
		s.conclude(ctx, log, op, store.Failed, fmt.Sprintf("another operation (%s by %s) was running on %s when this was approved. Request again once it is done.", busy.Op.Kind, mention(busy.Op.Requester), op.App), "")
		return
	}
	if err != nil {
		log.Error("starting the terminate failed", "err", err)
		if cur, gerr := s.store.GetOp(ctx, op.ID); gerr == nil && cur.State == store.Approved {
			s.conclude(ctx, log, cur, store.Failed, "the journal did not answer when the terminate was about to start; nothing was changed.", "")
		}
		return
	}
	op = next
	s.show(ctx, log, op)
	s.terminate(ctx, log, op)
}

// terminate runs an executing terminate (approved, or break-glass): it
// re-reads the config, refuses if it moved since the request, saves it,
// then PATCHes and shows the outcome.
func (s *Service) terminate(ctx context.Context, log *slog.Logger, op store.Op) {
	app := s.cfg.Apps[op.App]
	cfg, err := s.admin.ReadForChange(ctx, app)
	switch {
	case err != nil:
		s.conclude(ctx, log, op, store.Failed, userMessage(err, s.cfg.Apps, op.App), "")
		return
	case cfg.State != op.SyncBefore || cfg.Kind != op.SyncKind:
		s.conclude(ctx, log, op, store.Failed, fmt.Sprintf(
			"sync changed since the request: it was %s (%s) and is now %s (%s). Nothing was changed; request again if terminate is still right.",
			stateWords(op.SyncBefore), KindWords(op.SyncKind), stateWords(cfg.State), KindWords(cfg.Kind)), cfg.State)
		return
	}
	if err := s.store.SaveSnapshot(ctx, store.Snapshot{App: op.App, SyncKind: cfg.Kind, Sync: cfg.Object, OpID: op.ID, SavedAt: s.clock.Now()}); err != nil {
		log.Error("saving the sync configuration failed", "err", err)
		s.conclude(ctx, log, op, store.Failed, "syncbot could not save the sync configuration before terminating, so it did not terminate.", "")
		return
	}
	if err := s.admin.SetState(ctx, app, cfg.Kind, cfg.Object, ""); err != nil {
		log.Warn("terminate failed", "err", err)
		s.conclude(ctx, log, op, store.Failed, userMessage(err, s.cfg.Apps, op.App), cfg.State)
		return
	}
	s.conclude(ctx, log, op, store.Succeeded, plainState(cfg.State)+" → terminated", cfg.State)
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
	s.show(ctx, log, cur)
}

const healAfter = time.Minute

// expire moves a pending request to expired (if no one else did) and
// updates its card.
func (s *Service) expire(ctx context.Context, log *slog.Logger, op store.Op) {
	next, err := s.store.Transition(ctx, op.ID, store.Pending, store.Change{To: store.Expired, Actor: "syncbot", At: s.clock.Now()})
	if errors.Is(err, store.ErrConflict) {
		return // another click, replica or sweep decided it first and showed it
	}
	if err != nil {
		log.Error("expiring the request failed", "op", op.ID, "err", err)
		return
	}
	log.Info("request expired", "op", op.ID)
	s.show(ctx, log, next)
}

func decidedMessage(op store.Op) Message {
	by := ""
	if op.DecidedBy != "" {
		by = " by " + mention(op.DecidedBy)
	}
	return text(fmt.Sprintf("%s is already %s%s. Nothing changed.", RequestName(op.ID), op.State, by))
}

func mentions(users []string) string {
	m := make([]string, len(users))
	for i, u := range users {
		m[i] = mention(u)
	}
	return strings.Join(m, ", ")
}

// prepareTerminate does what every terminate does before it is journaled. A
// replayed envelope (its trigger_id is journaled) is a no-op: CreateOp would
// say so too, but only after the read and the snapshot, so a replay that
// came once the terminate had run was told "already terminated", and one
// that came while it was pending overwrote the snapshot. Then the config is
// read (refused when unreadable or already terminated) and saved first: a
// terminate whose configuration was not kept must not exist, or resume
// could not undo it. what names the terminate in replies, undone what was
// not done ("requested"); ok is false when the asker has had the answer.
func (s *Service) prepareTerminate(ctx context.Context, log *slog.Logger, inv Invocation, cmd Command, what, undone string) (cfg adminapi.SyncConfig, now time.Time, ok bool) {
	if inv.TriggerID != "" { // an empty Filter.Key would match every op
		if ops, err := s.store.ListOps(ctx, store.Filter{Key: inv.TriggerID, Limit: 1}); err == nil && len(ops) > 0 {
			log.Info("replayed "+what+" ignored", "op", ops[0].ID)
			return cfg, now, false
		}
	}
	cfg, err := s.admin.ReadForChange(ctx, s.cfg.Apps[cmd.App])
	if err != nil {
		s.whisper(ctx, log, inv, text(fmt.Sprintf("Could not prepare a %s of *%s*: %s Nothing was %s.", what, cmd.App, userMessage(err, s.cfg.Apps, cmd.App), undone)))
		return cfg, now, false
	}
	if cfg.State == "" {
		setOutcome(ctx, "noop")
		s.whisper(ctx, log, inv, text(fmt.Sprintf("Sync for *%s* is already terminated. Nothing was %s.", cmd.App, undone)))
		return cfg, now, false
	}
	now = s.clock.Now()
	if err := s.store.SaveSnapshot(ctx, store.Snapshot{App: cmd.App, SyncKind: cfg.Kind, Sync: cfg.Object, SavedAt: now}); err != nil {
		log.Error("saving the sync configuration failed", "err", err)
		s.whisper(ctx, log, inv, text(fmt.Sprintf("I could not save the current sync configuration (the journal did not answer), so nothing was %s. Try again in a moment.", undone)))
		return cfg, now, false
	}
	return cfg, now, true
}
