package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/announce"
	"github.com/syncbot/syncbot/internal/atlasapi"
	"github.com/syncbot/syncbot/internal/commands"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/target"
)

// ClusterKind is the Cluster kind as the cluster verbs use it.
type ClusterKind interface {
	target.Kind
	Describe(ctx context.Context, t store.Target) (atlasapi.Cluster, error)
	// AppsOn lists the apps of SYNC_APPS on t with their sync.
	AppsOn(ctx context.Context, t store.Target) ([]target.AppOn, error)
	// OthersOn names the project's other apps linked to t.
	OthersOn(ctx context.Context, t store.Target, managed []target.AppOn) ([]string, error)
	OplogHours(ctx context.Context, t store.Target) (float64, bool, error)
}

// The names of a cluster operation's own steps; an app's sync step is
// target.AppOn.StepName.
const (
	stepCluster = "cluster"
	stepWait    = "wait"
	stepOplog   = "oplog"
)

func (s *Service) noClusters(ctx context.Context, log *slog.Logger, inv Invocation) bool {
	if s.cfg.Cluster != nil {
		return false
	}
	s.whisper(ctx, log, inv, messages.Text("Clusters are not set up in this syncbot: whoever runs it sets `ATLAS_API_URL` (if not the default) and, for clusters without apps, `SYNC_CLUSTERS`."))
	return true
}

// readCluster identifies the cluster alias names now and reads it.
func (s *Service) readCluster(ctx context.Context, alias string) (store.Target, atlasapi.Cluster, error) {
	t, err := s.cfg.Cluster.Identify(ctx, alias)
	if err != nil {
		return t, atlasapi.Cluster{}, err
	}
	cl, err := s.cfg.Cluster.Describe(ctx, t)
	return t, cl, err
}

// clusterStatus answers /sync cluster status <alias> to the asker alone.
func (s *Service) clusterStatus(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) {
	if s.noClusters(ctx, log, inv) {
		return
	}
	k := s.cfg.Cluster
	t, cl, err := s.readCluster(ctx, cmd.App)
	if err != nil {
		s.whisper(ctx, log, inv, messages.CouldNotRead(cmd.App, s.book.ClusterProblem(err, cmd.App)))
		return
	}
	v := messages.ClusterView{Alias: cmd.App, Name: t.Name, Tier: cl.InstanceSize, StateName: cl.StateName, Paused: cl.Paused, Now: s.clock.Now()}
	if apps, err := k.AppsOn(ctx, t); err != nil {
		v.AppsErr = s.book.Problem(err, cmd.App)
	} else {
		v.Apps = appSyncs(apps)
	}
	if cl.Pausable() {
		if h, ok, err := k.OplogHours(ctx, t); err == nil && ok {
			v.OplogHours = h
		}
	}
	if last, err := s.store.ListOps(ctx, store.Filter{TargetKey: t.Key(), Limit: 1}); err == nil && len(last) > 0 {
		v.Last = &last[0]
	}
	if p, err := s.store.ListOps(ctx, store.Filter{TargetKey: t.Key(), States: []store.State{store.Pending}, Limit: 1}); err == nil && len(p) > 0 {
		v.Pending = &p[0]
	}
	s.whisper(ctx, log, inv, s.book.ClusterStatus(v))
}

// clusterLine is the line /sync status <app> gains for the app's cluster;
// "" when there are no clusters or the app has none. It is extra: a slow
// Atlas Administration API delays the status by clusterLineWait at most.
func (s *Service) clusterLine(ctx context.Context, alias string) string {
	if s.cfg.Cluster == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, clusterLineWait)
	defer cancel()
	t, err := s.cfg.Cluster.Identify(ctx, alias)
	if err != nil {
		return ""
	}
	cl, err := s.cfg.Cluster.Describe(ctx, t)
	if err != nil {
		return "*Cluster*\n" + messages.Escape(t.Name) + ": could not be read"
	}
	return messages.ClusterLine(t.Name, cl.InstanceSize, cl.Paused, cl.StateName)
}

// clusterLineWait bounds the cluster line of /sync status <app>.
const clusterLineWait = 5 * time.Second

func appSyncs(apps []target.AppOn) []messages.AppSync {
	out := make([]messages.AppSync, len(apps))
	for i, a := range apps {
		out[i] = messages.AppSync{Alias: a.Alias, AppID: a.Target.AppID, State: a.Sync.State}
	}
	return out
}

// refusePause says why cluster cl cannot be paused now; "" if it can.
func refusePause(name string, cl atlasapi.Cluster) string {
	switch {
	case !cl.Pausable():
		return messages.ClusterNotPausable(name, cl.InstanceSize)
	case cl.Paused:
		return messages.ClusterAlreadyPaused(name)
	case cl.StateName != atlasapi.StateIdle:
		return messages.ClusterBusy(name, cl.StateName)
	}
	return ""
}

// requestClusterPause reads the cluster and its apps, refuses what Atlas
// would refuse (nothing is sent), journals the pause bound to what it read
// and posts its card; without SYNC_CLUSTER_APPROVAL it runs at once.
func (s *Service) requestClusterPause(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) {
	if s.noClusters(ctx, log, inv) {
		return
	}
	if inv.TriggerID != "" {
		if ops, err := s.store.ListOps(ctx, store.Filter{Key: inv.TriggerID, Limit: 1}); err == nil && len(ops) > 0 {
			log.Info("replayed cluster pause ignored", "op", ops[0].ID)
			return
		}
	}
	k := s.cfg.Cluster
	t, cl, err := s.readCluster(ctx, cmd.App)
	var apps []target.AppOn
	if err == nil {
		if why := refusePause(t.Name, cl); why != "" {
			setOutcome(ctx, "refused")
			s.whisper(ctx, log, inv, messages.Text(why))
			return
		}
		apps, err = k.AppsOn(ctx, t)
	}
	if err != nil {
		setOutcome(ctx, "failed")
		s.whisper(ctx, log, inv, messages.CouldNotPrepare("cluster pause", cmd.App, s.book.ClusterProblem(err, cmd.App), "requested"))
		return
	}
	now := s.clock.Now()
	op := store.Op{
		Key: inv.TriggerID, Kind: store.Pause, App: cmd.App, Target: t, Requester: inv.UserID, RequesterName: inv.UserName,
		Channel: inv.ChannelID, ResponseURL: inv.ResponseURL, Reason: cmd.Reason, State: store.Pending,
		SyncKind: cl.InstanceSize, SyncBefore: target.ClusterRunning, SyncAfter: target.ClusterPaused, ExpiresAt: now.Add(s.cfg.Policy.TTL),
	}
	if !s.cfg.ClusterApproval {
		op.State, op.ExpiresAt, op.Holder, op.LeaseUntil = store.Executing, time.Time{}, s.cfg.Holder, s.leaseFor(now)
	}
	op, created, err := s.store.CreateOp(ctx, op, now)
	var busy *store.BusyError
	switch {
	case errors.As(err, &busy):
		setOutcome(ctx, "busy")
		s.whisper(ctx, log, inv, s.book.Busy(busy.Op, now))
		return
	case err != nil:
		log.Error("journaling the cluster pause failed", "err", err)
		s.whisper(ctx, log, inv, messages.JournalDown("record the request", "nothing was requested"))
		return
	case !created:
		return
	}
	log = log.With("op", op.ID)
	// The card names the apps it previewed; the approval is bound to them.
	p := messages.ClusterPreview{Tier: cl.InstanceSize, Apps: appSyncs(apps)}
	if others, err := k.OthersOn(ctx, t, apps); err != nil {
		log.Info("the project's other apps on the cluster could not be listed; the card names syncbot's only", "err", err)
	} else {
		p.Others = others
	}
	preview, _ := json.Marshal(p)
	if err := s.store.SaveSnapshot(ctx, store.Snapshot{Target: t, App: cmd.App, SyncKind: target.KindCluster, Sync: preview, OpID: op.ID, SavedAt: now}); err != nil {
		log.Warn("saving what the cluster pause previewed failed", "err", err)
	}
	if op.State == store.Pending {
		setOutcome(ctx, "requested")
		s.say.Announce(ctx, log, op)
		return
	}
	defer s.hold(ctx, log, op)()
	op.MessageTS = s.say.Announce(ctx, log, op)
	s.pauseCluster(ctx, log, op)
}

// executeCluster runs an approved cluster pause once, on the cluster it
// was requested for.
func (s *Service) executeCluster(ctx context.Context, log *slog.Logger, op store.Op) {
	if s.cfg.Cluster == nil {
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: "Clusters are no longer set up in this syncbot; nothing was done."})
		return
	}
	if t, err := s.cfg.Cluster.Identify(ctx, op.App); err != nil {
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: s.book.ClusterProblem(err, op.App)})
		return
	} else if t.Key() != op.Target.Key() {
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: fmt.Sprintf("`%s` now names another cluster; nothing was done. Ask again.", op.App)})
		return
	}
	now := s.clock.Now()
	next, err := s.store.Transition(ctx, op.ID, store.Approved, store.Change{To: store.Executing, Actor: "syncbot", At: now, Holder: s.cfg.Holder, LeaseUntil: s.leaseFor(now)})
	var busy *store.BusyError
	if errors.As(err, &busy) {
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: messages.OutcomeBusy(busy.Op, op.App)})
		return
	}
	if err != nil {
		log.Error("starting the cluster pause failed", "err", err)
		return
	}
	defer s.hold(ctx, log, next)()
	s.say.Show(ctx, log, next)
	s.pauseCluster(ctx, log, next)
}

// steps reads op's journaled steps by name.
func (s *Service) steps(ctx context.Context, op store.Op) (map[string]store.Step, error) {
	list, err := s.store.Steps(ctx, op.ID)
	m := make(map[string]store.Step, len(list))
	for _, st := range list {
		m[st.Name] = st
	}
	return m, err
}

// step journals st on op; false when this process no longer holds op
// (it must stop: whoever took op over continues) or the journal failed.
func (s *Service) step(ctx context.Context, log *slog.Logger, op store.Op, st store.Step) bool {
	if err := s.store.SetStep(ctx, op.ID, op.Holder, s.clock.Now(), st); err != nil {
		log.Warn("journaling a step failed; stopping here", "step", st.Name, "state", st.State, "err", err)
		s.lost(ctx, log, op)
		return false
	}
	s.say.Show(ctx, log, op)
	return true
}

func doneOrSkipped(st store.Step) bool {
	return st.State == store.StepDone || st.State == store.StepSkipped
}

// pauseCluster runs an executing cluster pause from its last journaled
// step: each app's sync is paused (a journaled step each), and only when
// all of them are paused is the cluster PATCHed. A step journaled as
// started is finished by reading what it did, never by sending it again
// blindly. op must be held by this process.
func (s *Service) pauseCluster(ctx context.Context, log *slog.Logger, op store.Op) {
	k := s.cfg.Cluster
	steps, err := s.steps(ctx, op)
	if err != nil {
		log.Error("reading the steps failed", "err", err)
		return // the lease runs out and the sweeper continues
	}
	cl, err := k.Describe(ctx, op.Target)
	if err != nil {
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: s.book.ClusterProblem(err, op.App)})
		return
	}
	fail := func(why string) { s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: why}) }
	if _, ok := steps[stepCluster]; ok {
		s.finishClusterPause(ctx, log, op, cl, steps)
		return
	}
	first := len(steps) == 0
	if first {
		if why := refusePause(op.Target.Name, cl); why != "" {
			fail(why)
			return
		}
		if cl.InstanceSize != op.SyncKind {
			fail(messages.OutcomeClusterChanged("tier " + op.SyncKind + " → " + cl.InstanceSize))
			return
		}
	}
	apps, err := k.AppsOn(ctx, op.Target)
	if err != nil {
		fail(s.book.ClusterProblem(err, op.App) + " The cluster was not paused.")
		return
	}
	if why := s.changedSincePreview(ctx, op, apps, first); why != "" {
		fail(messages.OutcomeClusterChanged(why))
		return
	}
	var paused []string
	for _, a := range apps {
		st, seen := steps[a.StepName()]
		if seen && doneOrSkipped(st) {
			if st.State == store.StepDone {
				paused = append(paused, a.Alias)
			}
			continue
		}
		step := store.Step{Name: a.StepName(), Label: a.Alias}
		switch a.Sync.State {
		case adminapi.StateDisabled:
			if seen && st.State == store.StepStarted { // its PATCH landed before a restart
				step.State, step.Detail = store.StepDone, messages.StepSyncPaused
				paused = append(paused, a.Alias)
			} else {
				step.State, step.Detail = store.StepSkipped, messages.SyncStepSkipped(a.Sync.State)
			}
		case adminapi.StateEnabled:
			if !s.step(ctx, log, op, store.Step{Name: a.StepName(), Label: a.Alias, State: store.StepStarted}) {
				return
			}
			r, err := s.sync.ReadForChange(ctx, a.Target)
			if err == nil {
				if !s.fence(ctx, log, op, s.sync.Effect(r, adminapi.StateDisabled)+" ("+a.Alias+")") {
					return
				}
				err = s.sync.Apply(ctx, a.Target, r, adminapi.StateDisabled)
			}
			if err != nil {
				why := s.book.Problem(err, a.Alias)
				s.step(ctx, log, op, store.Step{Name: a.StepName(), Label: a.Alias, State: store.StepFailed, Detail: why})
				fail(fmt.Sprintf("Pausing sync of *%s* failed: %s The cluster was *not* paused.%s", a.Alias, why, stillPaused(paused)))
				return
			}
			step.State, step.Detail = store.StepDone, messages.StepSyncPaused
			paused = append(paused, a.Alias)
		default:
			step.State, step.Detail = store.StepSkipped, messages.SyncStepSkipped(a.Sync.State)
		}
		if !s.step(ctx, log, op, step) {
			return
		}
	}
	// Only when every app's sync reads paused (someone may have resumed
	// one meanwhile: the apps' syncs are not locked by this op) does the
	// cluster go.
	if why := s.syncStillRunning(ctx, op); why != "" {
		fail(why + " The cluster was *not* paused." + stillPaused(paused))
		return
	}
	if !s.step(ctx, log, op, store.Step{Name: stepCluster, State: store.StepStarted}) {
		return
	}
	s.patchClusterPaused(ctx, log, op, cl, paused)
}

// syncStillRunning reads the apps on op's cluster again and names one
// whose sync is running; "" when none is.
func (s *Service) syncStillRunning(ctx context.Context, op store.Op) string {
	apps, err := s.cfg.Cluster.AppsOn(ctx, op.Target)
	if err != nil {
		return "Reading the apps' sync before pausing the cluster failed: " + s.book.Problem(err, op.App)
	}
	for _, a := range apps {
		if a.Sync.State == adminapi.StateEnabled {
			return fmt.Sprintf("Sync of *%s* is running again (resumed meanwhile).", a.Alias)
		}
	}
	return ""
}

// patchClusterPaused sends the pause PATCH of a started cluster step and
// concludes the op; paused are the apps whose sync it paused first.
func (s *Service) patchClusterPaused(ctx context.Context, log *slog.Logger, op store.Op, cl atlasapi.Cluster, paused []string) {
	k := s.cfg.Cluster
	r := target.Reading{State: target.ClusterRunning, Variant: cl.InstanceSize}
	if !s.fence(ctx, log, op, k.Effect(r, target.ClusterPaused)) {
		return
	}
	if err := k.Apply(ctx, op.Target, r, target.ClusterPaused); err != nil {
		why := s.book.ClusterProblem(err, op.App)
		s.step(ctx, log, op, store.Step{Name: stepCluster, State: store.StepFailed, Detail: why})
		s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: "Atlas did not pause the cluster: " + why + stillPaused(paused)})
		return
	}
	s.step(ctx, log, op, store.Step{Name: stepCluster, State: store.StepDone, Detail: "running → paused"})
	s.conclude(ctx, log, op, announce.Ending{To: store.Succeeded, Outcome: "running → paused" + pausedList(paused), Before: target.ClusterRunning})
}

// finishClusterPause settles a pause whose cluster step was journaled:
// the cluster as read says whether its PATCH landed.
func (s *Service) finishClusterPause(ctx context.Context, log *slog.Logger, op store.Op, cl atlasapi.Cluster, steps map[string]store.Step) {
	var paused []string
	for _, st := range steps {
		if st.State == store.StepDone && st.Label != "" {
			paused = append(paused, st.Label)
		}
	}
	slices.Sort(paused)
	if st := steps[stepCluster]; st.State == store.StepDone || cl.Paused {
		if st.State != store.StepDone && !s.step(ctx, log, op, store.Step{Name: stepCluster, State: store.StepDone, Detail: "running → paused"}) {
			return
		}
		s.conclude(ctx, log, op, announce.Ending{To: store.Succeeded, Outcome: "running → paused" + pausedList(paused), Before: target.ClusterRunning})
		return
	}
	// Started, and the cluster runs. If the journal shows the PATCH never
	// went out (the process stopped before its fence), it is sent now;
	// one that went out is not sent again for the same approval: whoever
	// asked decides, with the syncs still paused.
	effect := s.cfg.Cluster.Effect(target.Reading{}, target.ClusterPaused)
	if sent, err := s.effectSent(ctx, op, effect, steps[stepCluster].At); !sent && err == nil && refusePause(op.Target.Name, cl) == "" {
		s.patchClusterPaused(ctx, log, op, cl, paused)
		return
	}
	s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: "The cluster was not paused (the process pausing it stopped before Atlas confirmed)." + stillPaused(paused)})
}

func stillPaused(aliases []string) string {
	if len(aliases) == 0 {
		return ""
	}
	return " Sync stays paused for " + messages.List(aliases) + " (paused by this request)."
}

func pausedList(aliases []string) string {
	if len(aliases) == 0 {
		return ""
	}
	return "; sync paused first for " + messages.List(aliases)
}

// changedSincePreview compares the apps on the cluster with those the card
// previewed: the same apps, and on a first run the same sync states.
func (s *Service) changedSincePreview(ctx context.Context, op store.Op, apps []target.AppOn, states bool) string {
	snap, err := s.store.Snapshot(ctx, op.Target)
	if err != nil || snap.OpID != op.ID {
		return "" // nothing was previewed (a journal of before): act on what is read
	}
	var p messages.ClusterPreview
	if json.Unmarshal(snap.Sync, &p) != nil {
		return ""
	}
	now := appSyncs(apps)
	if len(now) != len(p.Apps) {
		return "the apps on it"
	}
	for i := range now {
		if now[i].Alias != p.Apps[i].Alias || now[i].AppID != p.Apps[i].AppID {
			return "the apps on it"
		}
		if states && now[i].State != p.Apps[i].State {
			return "sync of " + now[i].Alias + ": " + messages.PlainState(p.Apps[i].State) + " → " + messages.PlainState(now[i].State)
		}
	}
	return ""
}

// clusterResume runs /sync cluster resume at once (it restores service):
// the cluster, a wait until it is IDLE, then the syncs its pause paused.
func (s *Service) clusterResume(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) {
	if s.noClusters(ctx, log, inv) {
		return
	}
	t, cl, err := s.readCluster(ctx, cmd.App)
	if err != nil {
		setOutcome(ctx, "failed")
		s.whisper(ctx, log, inv, messages.CouldNot("cluster resume", cmd.App, s.book.ClusterProblem(err, cmd.App)))
		return
	}
	if !cl.Paused {
		pause, _ := s.lastClusterPause(ctx, t, 0)
		if len(s.toResume(ctx, log, pause, nil)) == 0 {
			setOutcome(ctx, "noop")
			s.whisper(ctx, log, inv, messages.Text(messages.ClusterAlreadyRunning(t.Name)))
			return
		}
	} else if cl.StateName != atlasapi.StateIdle {
		setOutcome(ctx, "refused")
		s.whisper(ctx, log, inv, messages.Text(messages.ClusterBusy(t.Name, cl.StateName)))
		return
	}
	now := s.clock.Now()
	before := target.ClusterPaused
	if !cl.Paused {
		before = target.ClusterRunning
	}
	op, ok := s.run(ctx, log, inv, store.Op{Kind: store.Resume, App: cmd.App, Target: t, SyncKind: cl.InstanceSize,
		SyncBefore: before, SyncAfter: target.ClusterRunning}, now, "this command")
	if !ok {
		return
	}
	log = log.With("op", op.ID)
	defer s.hold(ctx, log, op)()
	op.MessageTS = s.say.Announce(ctx, log, op)
	s.resumeCluster(ctx, log, op)
}

// lastClusterPause is the newest cluster pause of t that took effect,
// before op id before (0: any).
func (s *Service) lastClusterPause(ctx context.Context, t store.Target, before int64) (*store.Op, error) {
	ops, err := s.store.ListOps(ctx, store.Filter{TargetKey: t.Key(), States: []store.State{store.Succeeded}})
	if err != nil {
		return nil, err
	}
	for _, op := range ops {
		if op.Kind == store.Pause && (before == 0 || op.ID < before) {
			return &op, nil
		}
		if op.Kind == store.Resume && (before == 0 || op.ID < before) {
			return nil, nil // resumed since: nothing of it left to resume
		}
	}
	return nil, nil
}

// pausedSync is a sync a cluster pause paused.
type pausedSync struct {
	step   string
	alias  string
	target store.Target
}

// toResume lists the syncs pause paused that are still paused (all of them
// when steps is not nil: the resume's own steps say which it did).
func (s *Service) toResume(ctx context.Context, log *slog.Logger, pause *store.Op, steps map[string]store.Step) []pausedSync {
	if pause == nil {
		return nil
	}
	list, err := s.store.Steps(ctx, pause.ID)
	if err != nil {
		log.Warn("reading the steps of the cluster pause failed", "op", pause.ID, "err", err)
		return nil
	}
	var out []pausedSync
	for _, st := range list {
		parts := strings.Split(st.Name, "/")
		if st.State != store.StepDone || len(parts) != 3 || parts[0] != "sync" {
			continue
		}
		p := pausedSync{step: st.Name, alias: st.Label, target: store.Target{Kind: target.KindSync, GroupID: parts[1], AppID: parts[2]}}
		if steps == nil {
			if r, err := s.sync.Read(ctx, p.target); err != nil || r.State != adminapi.StateDisabled {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

// resumeCluster runs an executing cluster resume from its last journaled
// step: the cluster PATCH, the wait until it is running and IDLE (its
// start journaled, so a wait continued elsewhere keeps its bound), then
// each sync its pause paused. op must be held by this process.
func (s *Service) resumeCluster(ctx context.Context, log *slog.Logger, op store.Op) {
	k := s.cfg.Cluster
	fail := func(why string) { s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: why}) }
	steps, err := s.steps(ctx, op)
	if err != nil {
		log.Error("reading the steps failed", "err", err)
		return
	}
	cl, err := k.Describe(ctx, op.Target)
	if err != nil {
		fail(s.book.ClusterProblem(err, op.App))
		return
	}
	if st := steps[stepCluster]; !doneOrSkipped(st) {
		switch {
		case cl.Paused && st.State == "":
			if !s.step(ctx, log, op, store.Step{Name: stepCluster, State: store.StepStarted}) ||
				!s.resumeClusterPatch(ctx, log, op, cl, fail) {
				return
			}
		case cl.Paused:
			// Started before a restart, and the read shows the cluster
			// still paused: the PATCH was not sent, or did not take
			// effect. A resume restores service, so it is sent (again).
			if !s.resumeClusterPatch(ctx, log, op, cl, fail) {
				return
			}
		case st.State == store.StepStarted:
			if !s.step(ctx, log, op, store.Step{Name: stepCluster, State: store.StepDone, Detail: "paused → running"}) {
				return
			}
		default:
			if !s.step(ctx, log, op, store.Step{Name: stepCluster, State: store.StepSkipped, Detail: "was running already"}) {
				return
			}
		}
	}
	if !s.waitForCluster(ctx, log, op, steps[stepWait]) {
		return
	}
	pause, err := s.lastClusterPause(ctx, op.Target, op.ID)
	if err != nil {
		fail("The cluster is running, but the journal could not say which syncs its pause paused; resume them with " + "`resume <app>`.")
		return
	}
	if _, warned := steps[stepOplog]; !warned && pause != nil {
		if h, ok, err := k.OplogHours(ctx, op.Target); err == nil && ok {
			if d := s.clock.Now().Sub(pause.UpdatedAt); d > time.Duration(h*float64(time.Hour)) {
				if !s.step(ctx, log, op, store.Step{Name: stepOplog, State: store.StepDone, Detail: messages.OutcomeOplog(d, h)}) {
					return
				}
			}
		}
	}
	var resumed, failed []string
	for _, p := range s.toResume(ctx, log, pause, steps) {
		st := steps[p.step]
		if doneOrSkipped(st) {
			if st.State == store.StepDone {
				resumed = append(resumed, p.alias)
			}
			continue
		}
		r, err := s.sync.ReadForChange(ctx, p.target)
		step := store.Step{Name: p.step, Label: p.alias}
		switch {
		case err != nil:
			step.State, step.Detail = store.StepFailed, s.book.Problem(err, p.alias)
			failed = append(failed, p.alias)
		case r.State == adminapi.StateEnabled && st.State == store.StepStarted:
			step.State, step.Detail = store.StepDone, messages.StepSyncResumed
			resumed = append(resumed, p.alias)
		case r.State != adminapi.StateDisabled:
			step.State, step.Detail = store.StepSkipped, messages.SyncStepSkipped(r.State)
		default:
			if !s.step(ctx, log, op, store.Step{Name: p.step, Label: p.alias, State: store.StepStarted}) {
				return
			}
			if !s.fence(ctx, log, op, s.sync.Effect(r, adminapi.StateEnabled)+" ("+p.alias+")") {
				return
			}
			if err := s.sync.Apply(ctx, p.target, r, adminapi.StateEnabled); err != nil {
				step.State, step.Detail = store.StepFailed, s.book.Problem(err, p.alias)
				failed = append(failed, p.alias)
			} else {
				step.State, step.Detail = store.StepDone, messages.StepSyncResumed
				resumed = append(resumed, p.alias)
			}
		}
		if !s.step(ctx, log, op, step) {
			return
		}
	}
	if len(failed) > 0 {
		fail(fmt.Sprintf("The cluster is running, but resuming sync failed for %s: resume them with `resume <app>`.", messages.List(failed)))
		return
	}
	out := "paused → running"
	if len(resumed) > 0 {
		out += "; sync resumed for " + messages.List(resumed)
	}
	s.conclude(ctx, log, op, announce.Ending{To: store.Succeeded, Outcome: out, Before: op.SyncBefore})
}

// resumeClusterPatch sends the resume PATCH of a started cluster step and
// journals how it went; false: stop (failed, or no longer held).
func (s *Service) resumeClusterPatch(ctx context.Context, log *slog.Logger, op store.Op, cl atlasapi.Cluster, fail func(string)) bool {
	k := s.cfg.Cluster
	r := target.Reading{State: target.ClusterPaused, Variant: cl.InstanceSize}
	if !s.fence(ctx, log, op, k.Effect(r, target.ClusterRunning)) {
		return false
	}
	if err := k.Apply(ctx, op.Target, r, target.ClusterRunning); err != nil {
		why := s.book.ClusterProblem(err, op.App)
		s.step(ctx, log, op, store.Step{Name: stepCluster, State: store.StepFailed, Detail: why})
		fail("Atlas did not resume the cluster: " + why)
		return false
	}
	return s.step(ctx, log, op, store.Step{Name: stepCluster, State: store.StepDone, Detail: "paused → running"})
}

// effectSent reports whether op's journal has effect after since: Fence
// writes it just before the request goes out, so without it the request
// was never sent.
func (s *Service) effectSent(ctx context.Context, op store.Op, effect string, since time.Time) (bool, error) {
	events, err := s.store.Events(ctx, op.ID)
	if err != nil {
		return true, err // unknown: assume it went out
	}
	for _, e := range events {
		if e.Action == "effect" && e.Detail == effect && !e.At.Before(since) {
			return true, nil
		}
	}
	return false, nil
}

// waitForCluster polls the cluster, with a doubling wait on the clock,
// until it is running and IDLE, within SYNC_CLUSTER_WAIT from the wait's
// journaled start. The lease is renewed meanwhile by hold. false: stop
// here (failed and concluded, or this process is going away).
func (s *Service) waitForCluster(ctx context.Context, log *slog.Logger, op store.Op, st store.Step) bool {
	if st.State == store.StepDone {
		return true
	}
	start := st.At
	if st.State == "" {
		start = s.clock.Now()
		if !s.step(ctx, log, op, store.Step{Name: stepWait, State: store.StepStarted, Detail: "waiting for the cluster"}) {
			return false
		}
	}
	pause := 5 * time.Second
	shown := ""
	for {
		cl, err := s.cfg.Cluster.Describe(ctx, op.Target)
		if ctx.Err() != nil {
			return false
		}
		now := s.clock.Now()
		if err == nil && cl.Running() {
			return s.step(ctx, log, op, store.Step{Name: stepWait, State: store.StepDone, Detail: "`IDLE` after " + messages.Ago(now.Sub(start))})
		}
		if now.Sub(start) >= s.cfg.ClusterWait {
			why := fmt.Sprintf("The cluster is not running and `IDLE` after %s (last state `%s`). Sync was not resumed.", messages.Ago(now.Sub(start)), cl.StateName)
			s.step(ctx, log, op, store.Step{Name: stepWait, State: store.StepFailed, Detail: why})
			s.conclude(ctx, log, op, announce.Ending{To: store.Failed, Outcome: why})
			return false
		}
		if d := fmt.Sprintf("waiting for the cluster: `%s`, %s so far", cl.StateName, messages.Ago(now.Sub(start))); d != shown && err == nil {
			if !s.step(ctx, log, op, store.Step{Name: stepWait, State: store.StepStarted, Detail: d}) {
				return false
			}
			shown = d
		}
		select {
		case <-ctx.Done():
			return false
		case <-s.clock.After(pause):
		}
		pause = min(2*pause, time.Minute)
	}
}

// Continue takes over a cluster operation another process left executing
// (the sweeper reclaimed it for this process) and runs it on from its last
// journaled step, in the background until it ends or ctx does (Wait waits
// for it). false: not a cluster operation.
func (s *Service) Continue(ctx context.Context, op store.Op) bool {
	if op.Target.Kind != target.KindCluster || s.cfg.Cluster == nil {
		return false
	}
	log := s.log.With("op", op.ID, "app", op.App)
	log.Info("continuing a cluster operation from its last journaled step", "kind", op.Kind)
	// ctx is the sweeper's: on shutdown the op stops where it is, its
	// lease runs out, and the next process continues it.
	s.running.Go(func() {
		defer s.hold(ctx, log, op)()
		if op.Kind == store.Resume {
			s.resumeCluster(ctx, log, op)
		} else {
			s.pauseCluster(ctx, log, op)
		}
	})
	return true
}

// Wait waits for the operations Continue runs in the background.
func (s *Service) Wait() { s.running.Wait() }
