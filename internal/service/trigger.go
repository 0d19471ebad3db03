package service

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/announce"
	"github.com/syncbot/syncbot/internal/commands"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/target"
)

// Triggers is the Atlas Triggers kind (target.Trigger) as the verbs use it.
type Triggers interface {
	target.Kind
	// List reads the triggers of alias's app.
	List(ctx context.Context, alias string) (store.Target, []adminapi.Trigger, error)
	// Find names one trigger by its name; a *target.NameError when the
	// name names none or several.
	Find(ctx context.Context, alias, name string) (store.Target, adminapi.Trigger, error)
	LastProcessed(ctx context.Context, t store.Target, id string) (time.Time, error)
	// Skipping is the kind whose resume drops the missed events.
	Skipping() target.Kind
}

// isRequest reports whether op is a kind of request that waits for a
// second person (pending) before it runs.
// isRequest reports whether op waits for a decision: a terminate, a
// trigger resume without the missed events, a cluster pause.
func isRequest(op store.Op) bool {
	return op.Kind == store.Terminate || op.Kind == store.ResumeSkip || op.Target.Kind == target.KindCluster && op.Kind == store.Pause
}

// triggerRows reads the app's triggers with when each last processed
// events (one GET each, concurrently; a failed one shows as unknown).
func (s *Service) triggerRows(ctx context.Context, log *slog.Logger, alias string) ([]messages.TriggerRow, error) {
	t, list, err := s.cfg.Triggers.List(ctx, alias)
	if err != nil {
		return nil, err
	}
	rows := make([]messages.TriggerRow, len(list))
	var wg sync.WaitGroup
	for i, tr := range list {
		rows[i] = messages.TriggerRow{Name: tr.Name, Type: tr.Type, State: tr.State, Error: tr.Error}
		wg.Go(func() {
			at, err := s.cfg.Triggers.LastProcessed(ctx, t, tr.ID)
			if err != nil {
				log.Warn("reading when a trigger last processed events failed", "err", err)
			}
			rows[i].LastProcessed = at
		})
	}
	wg.Wait()
	return rows, nil
}

// triggers answers /sync triggers <app> to the asker alone.
func (s *Service) triggers(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) {
	rows, err := s.triggerRows(ctx, log, cmd.App)
	if err != nil {
		s.whisper(ctx, log, inv, messages.CouldNotRead(cmd.App, s.problem(store.Op{App: cmd.App}, err)))
		return
	}
	s.whisper(ctx, log, inv, s.book.TriggerList(cmd.App, rows, s.clock.Now()))
}

// findTrigger names the command's trigger, or tells the asker why not.
func (s *Service) findTrigger(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) (store.Target, adminapi.Trigger, bool) {
	t, tr, err := s.cfg.Triggers.Find(ctx, cmd.App, cmd.TriggerName)
	var ne *target.NameError
	switch {
	case errors.As(err, &ne):
		setOutcome(ctx, "refused")
		s.whisper(ctx, log, inv, s.book.TriggerNotFound(cmd.App, cmd.TriggerName, ne.Ambiguous, ne.Close))
		return t, tr, false
	case err != nil:
		setOutcome(ctx, "failed")
		s.whisper(ctx, log, inv, messages.CouldNot("change a trigger of", cmd.App, s.problem(store.Op{App: cmd.App}, err)))
		return t, tr, false
	}
	return t, tr, true
}

// trigger runs /sync trigger disable|enable|resume at once (resume
// --skip-missed is a request: requestSkipMissed):
//
//	now         disable        enable               resume
//	enabled     PUT disabled   "already enabled"    refused: not suspended
//	disabled    "already"      PUT enabled          refused: use enable
//	suspended   PUT disabled   refused: use resume  resume with the token
//
// Only a database trigger can be suspended and resumed.
func (s *Service) trigger(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) {
	if cmd.SkipMissed {
		s.requestSkipMissed(ctx, log, inv, cmd)
		return
	}
	kind, to := store.Disable, adminapi.TriggerDisabled
	switch cmd.Action {
	case commands.TriggerEnable:
		kind, to = store.Enable, adminapi.TriggerEnabled
	case commands.TriggerResume:
		kind, to = store.Resume, adminapi.TriggerEnabled
	}
	t, tr, ok := s.findTrigger(ctx, log, inv, cmd)
	if !ok {
		return
	}
	if kind == store.Resume && tr.Type != adminapi.TriggerDatabase {
		setOutcome(ctx, "refused")
		s.whisper(ctx, log, inv, messages.Text(s.book.TriggerNotResumable(cmd.App, tr.Name, tr.Type)))
		return
	}
	now := s.clock.Now()
	op, ok := s.run(ctx, log, inv, store.Op{Kind: kind, App: cmd.App, Target: t, Reason: cmd.Reason,
		SyncKind: tr.Name, SyncBefore: tr.State, SyncAfter: to}, now, "this command")
	if !ok {
		return
	}
	log = log.With("op", op.ID)
	defer s.hold(ctx, log, op)()

	r, err := s.cfg.Triggers.ReadForChange(ctx, t)
	if err != nil {
		op, _ = s.say.Finish(ctx, log, op, announce.Ending{To: store.Failed, Outcome: s.problem(op, err), Quiet: true})
		setOutcome(ctx, "failed")
		s.whisper(ctx, log, inv, messages.CouldNot(string(kind)+" trigger "+messages.Escape(tr.Name)+" of", cmd.App, op.Outcome))
		return
	}
	var noop, refusal string
	switch {
	case r.State == to && kind != store.Resume:
		noop = messages.TriggerAlready(cmd.App, tr.Name, r.State)
	case kind == store.Enable && r.State == adminapi.TriggerSuspended:
		refusal = s.book.TriggerEnableSuspended(cmd.App, tr.Name)
	case kind == store.Resume && r.State != adminapi.TriggerSuspended:
		refusal = s.book.TriggerNotSuspended(cmd.App, tr.Name, r.State)
	}
	if noop != "" || refusal != "" {
		e := announce.Ending{To: store.Succeeded, Outcome: "no change: already " + r.State, Before: r.State, Quiet: true}
		if refusal != "" {
			e.To, e.Outcome = store.Failed, refusal
		}
		s.say.Finish(ctx, log, op, e)
		setOutcome(ctx, map[bool]string{true: "noop", false: "refused"}[refusal == ""])
		s.whisper(ctx, log, inv, messages.Text(noop+refusal))
		return
	}
	op.SyncBefore = r.State
	op.MessageTS = s.say.Announce(ctx, log, op)
	s.effect(ctx, log, s.cfg.Triggers, op, r, to)
}

// requestSkipMissed journals a pending request to resume a suspended
// database trigger without its missed events, bound to that trigger and
// its suspended state, and posts the approval card.
func (s *Service) requestSkipMissed(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) {
	if inv.TriggerID != "" { // a replay must not read, nor post a second card
		if ops, err := s.store.ListOps(ctx, store.Filter{Key: inv.TriggerID, Limit: 1}); err == nil && len(ops) > 0 {
			log.Info("replayed request ignored", "op", ops[0].ID)
			return
		}
	}
	t, tr, ok := s.findTrigger(ctx, log, inv, cmd)
	if !ok {
		return
	}
	r, err := s.cfg.Triggers.ReadForChange(ctx, t)
	var refusal string
	switch {
	case err != nil:
		refusal = s.problem(store.Op{App: cmd.App, Target: t, SyncKind: tr.Name}, err)
	case r.Variant != adminapi.TriggerDatabase:
		refusal = s.book.TriggerNotResumable(cmd.App, tr.Name, r.Variant)
	case r.State != adminapi.TriggerSuspended:
		refusal = s.book.TriggerNotSuspended(cmd.App, tr.Name, r.State)
	}
	if refusal != "" {
		setOutcome(ctx, "refused")
		s.whisper(ctx, log, inv, messages.CouldNotPrepare("resume trigger "+messages.Escape(tr.Name)+" without the missed events", cmd.App, refusal, "requested"))
		return
	}
	now := s.clock.Now()
	s.request(ctx, log, inv, store.Op{Kind: store.ResumeSkip, App: cmd.App, Target: t, Reason: cmd.Reason,
		SyncKind: tr.Name, SyncBefore: r.State, SyncAfter: adminapi.TriggerEnabled}, now)
}

// executeSkipMissed runs an approved resume without the missed events
// exactly once, on the trigger it was requested for: refused if the alias
// names another app now, if the trigger is gone, or if it is no longer
// suspended; then one PUT …/resume with disable_token true.
func (s *Service) executeSkipMissed(ctx context.Context, log *slog.Logger, op store.Op) {
	if t, err := s.cfg.Triggers.Identify(ctx, op.App); errors.Is(err, target.ErrUnknownAlias) || (err == nil && (t.GroupID != op.Target.GroupID || t.AppID != op.Target.AppID)) {
		log.Warn("approved request refused: the alias names another app now", "want", op.Target.Key())
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: s.book.OutcomeTriggerRepointed(op.App, op.SyncKind)})
		return
	} else if err != nil {
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: s.problem(op, err)})
		return
	}
	op, ok := s.begin(ctx, log, op)
	if !ok {
		return
	}
	defer s.hold(ctx, log, op)()
	s.say.Show(ctx, log, op)
	r, err := s.cfg.Triggers.ReadForChange(ctx, op.Target)
	switch {
	case errors.Is(err, adminapi.ErrTriggerNotFound):
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: messages.OutcomeTriggerGone})
		return
	case err != nil:
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: s.problem(op, err)})
		return
	case r.State != op.SyncBefore:
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: messages.OutcomeTriggerChanged(op.SyncBefore, r.State), Before: r.State})
		return
	}
	s.effect(ctx, log, s.cfg.Triggers.Skipping(), op, r, adminapi.TriggerEnabled)
}

// problem says what went wrong for op, in words: a trigger's own failures
// first, then the Admin API's in general.
func (s *Service) problem(op store.Op, err error) string {
	switch {
	case errors.Is(err, adminapi.ErrResumeTokenGone):
		return s.book.OutcomeTokenGone(op.App, op.SyncKind)
	case errors.Is(err, adminapi.ErrTriggerNotFound):
		return "Atlas says the trigger was not found: it may have been deleted. Nothing was changed."
	}
	return s.book.Problem(err, op.App)
}

// triggerSummary is status's one line on the app's triggers; "" when
// triggers are off or could not be read (status still answers for sync).
func (s *Service) triggerSummary(ctx context.Context, log *slog.Logger, alias string) string {
	if s.cfg.Triggers == nil {
		return ""
	}
	_, list, err := s.cfg.Triggers.List(ctx, alias)
	if err != nil {
		log.Warn("reading the triggers for status failed", "err", err)
		return ""
	}
	rows := make([]messages.TriggerRow, len(list))
	for i, tr := range list {
		rows[i] = messages.TriggerRow{Name: tr.Name, Type: tr.Type, State: tr.State}
	}
	return messages.TriggerSummary(rows)
}
