// Package store holds syncbot's journal: operations (pause, resume and
// terminate requests) with their state machine, the append-only audit log,
// and the sync configuration last seen per target. Every state change is a
// conditional write, so the store, not any process's memory, decides which
// of two racing clicks or replicas wins.
//
// An operation is bound to its target's identity (Target: group and app
// ids), fixed when it is requested; the SYNC_APPS alias it was asked by is
// only a label, because an alias can be re-pointed at another app while a
// request waits. Exclusion (one executing op per target) and saved
// configurations (snapshots) go by that identity too.
//
// The store enforces the state machine of package approval: a move not in
// approval.CanMove is refused (ErrForbiddenMove) and nothing is written.
// An executing op is held by one process under a lease: the holder renews
// it (Renew), proves it still holds it just before each effect (Fence), and
// names itself when it settles the op (Change.Fence), so a worker whose op
// was taken over by the sweeper (Reclaim) can neither act nor write.
//
// Rows from before targets existed name only an alias; AdoptLegacy binds
// them to what the alias names now, once SYNC_APPS is known.
//
// Implementations: store/sqlite (embedded, one process) and store/postgres
// (several replicas). Both pass storetest.Run, and storetest.Upgrade from
// a journal of before targets.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/syncbot/syncbot/internal/approval"
)

// Kind is what an operation does to an app's sync.
type Kind string

const (
	Pause     Kind = "pause"
	Resume    Kind = "resume"
	Terminate Kind = "terminate"
	// Kinds of trigger operations (target kind "trigger"): Resume there
	// resumes a suspended trigger with its resume token; ResumeSkip
	// without it, losing the missed events (a pending request).
	Disable    Kind = "disable"
	Enable     Kind = "enable"
	ResumeSkip Kind = "resume-skip"
)

// State is where an operation is in its life; the machine and who may move
// it live in package approval.
type State = approval.State

const (
	Pending   = approval.Pending
	Approved  = approval.Approved
	Executing = approval.Executing
	Succeeded = approval.Succeeded
	Failed    = approval.Failed
	Denied    = approval.Denied
	Cancelled = approval.Cancelled
	Expired   = approval.Expired
	Unknown   = approval.Unknown
)

// Target is what an operation changes, by identity, fixed when it is
// requested.
type Target struct {
	Kind      string // "sync" today; "cluster" and "trigger" come later
	GroupID   string // Atlas project id
	AppID     string // App Services app _id
	ServiceID string // the app's mongodb-atlas service id ("" if unknown)
	Name      string // kind-specific: cluster name, trigger id; "" for sync
}

// SyncTarget is the Kind of a Device Sync target.
const SyncTarget = "sync"

// TriggerTarget is the Kind of an Atlas Trigger target (Name: its _id).
const TriggerTarget = "trigger"

// legacyKind is the first segment of the exclusion key of a row journaled
// before targets existed ("alias/<app>"); no target may take it as its kind.
const legacyKind = "alias"

// Bound reports whether t names something: a kind, a project, and an app
// (or, for kinds without an app, a name). No field may contain "/", which
// keeps Key unambiguous.
func (t Target) Bound() bool {
	for _, f := range []string{t.Kind, t.GroupID, t.AppID, t.ServiceID, t.Name} {
		if strings.Contains(f, "/") {
			return false
		}
	}
	return t.Kind != "" && t.Kind != legacyKind && t.GroupID != "" && (t.AppID != "" || t.Name != "")
}

// Key is t's identity as one string, "<kind>/<group>/<app>", with
// "/<name>" after it when Name is set; "" when !t.Bound(). The service id
// is left out: it is a detail of the app, not part of what it is.
func (t Target) Key() string {
	if !t.Bound() {
		return ""
	}
	k := t.Kind + "/" + t.GroupID + "/" + t.AppID
	if t.Name != "" {
		k += "/" + t.Name
	}
	return k
}

// LegacyKey is the exclusion key of an op journaled before targets existed
// and not bound since (AdoptLegacy): its alias is all it has.
func LegacyKey(alias string) string { return legacyKind + "/" + alias }

// Op is one journaled operation. A terminate request is an Op of kind
// Terminate that starts Pending; people refer to it as T-<ID>.
type Op struct {
	ID            int64
	Key           string // dedupe key (the command's trigger_id): unique
	Kind          Kind
	App           string // the SYNC_APPS alias it was asked by: a label, not what it changes
	Target        Target // what it changes; unbound only for an op journaled before targets and not yet adopted
	Requester     string // Slack user ID
	RequesterName string
	Channel       string
	ResponseURL   string // fallback when the bot cannot post in Channel
	MessageTS     string // the channel message that shows this op; "" if none
	Reason        string
	Detail        string // what its message says of the target beyond the alias (mrkdwn by package messages, e.g. the configuration a resume re-sends); set at creation or by Annotate
	State         State
	SyncKind      string // "flexible_sync" or "sync", as seen when requested; a trigger's name
	SyncBefore    string // sync state when requested: "enabled", "disabled" or ""; a trigger's ("suspended" too)
	SyncAfter     string // target sync state (or trigger state)
	DecidedBy     string // who approved, denied or cancelled (Slack user ID)
	Outcome       string // what happened, in words (an error text on failure)
	Holder        string // the process executing it; set whenever State is Executing
	LeaseUntil    time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	ExpiresAt     time.Time // pending requests expire at this time; zero otherwise
	Shown         State     // the final state its message was last marked as showing (MarkShown)
	// BreakGlass marks a terminate that a SYNC_BREAKGLASS user ran without
	// a second person's approval. It stays open for review until an
	// approver acknowledges it (Acknowledge).
	BreakGlass bool
	ReviewedBy string    // the approver who acknowledged a break-glass op; "" until then
	ReviewedAt time.Time // when; zero until then
}

// Change is one transition of an Op, applied only if the Op is still in the
// expected state. The zero value of a field leaves the column unchanged.
type Change struct {
	// Fence is the holder a transition from Executing expects: it applies
	// only while Fence holds the op, so a worker that lost its lease
	// cannot settle an op another process took over. Required from
	// Executing, ignored otherwise.
	Fence      string
	To         State
	Actor      string // Slack user ID, or "syncbot" for the bot itself
	At         time.Time
	Outcome    string
	DecidedBy  string
	SyncBefore string    // set when the state is re-read at execution
	Holder     string    // required when To is Executing
	LeaseUntil time.Time // required when To is Executing
	Note       string    // extra audit detail
	// Quiet says no channel message shows the op (it was answered to its
	// asker alone: a no-op, a refusal): it counts as shown in ch.To, so
	// Filter.Unshown never lists it.
	Quiet bool
}

// Amendment corrects how a finished operation ended (Store.Amend).
type Amendment struct {
	To      State
	Outcome string
	Actor   string
	At      time.Time
}

// Event is one audit record. The audit log is append-only.
type Event struct {
	ID    int64
	OpID  int64
	At    time.Time
	Actor string
	// Action is "requested" ("break-glass" for a break-glass op), the
	// state moved to, "reclaimed", "acknowledged", or "effect" (Fence: the
	// Actor is the holder about to act, the Detail the effect).
	Action string
	From   State // "" for the creating event
	To     State
	Detail string
}

// Snapshot is the last sync object seen for a target, kept so that resume
// can re-send it after a terminate.
type Snapshot struct {
	Target   Target // unbound only for a legacy snapshot (LegacySnapshot)
	App      string // the alias it was saved under: a label
	SyncKind string
	Sync     json.RawMessage
	OpID     int64
	SavedAt  time.Time
}

// Filter selects operations; the zero value selects all. Results are newest
// first (highest ID first).
type Filter struct {
	Key           string // only the op with this dedupe key
	App           string // only ops asked by this alias (history by alias)
	TargetKey     string // only ops on this target (Target.Key, or LegacyKey for unbound ones)
	States        []State
	ExpiresBefore time.Time // only ops whose ExpiresAt is set and before this
	LeaseBefore   time.Time // only ops whose LeaseUntil is set and before this
	UpdatedBefore time.Time // only ops last changed before this
	Limit         int       // 0 = no limit
	// Unshown: only final ops not marked as showing their state (MarkShown
	// or a Quiet transition): their channel message, or the lack of one
	// (its post failed), is behind the journal.
	Unshown bool
	// Unreviewed: only break-glass ops no approver has acknowledged yet.
	Unreviewed bool
	// LatestPerApp: of the ops the other conditions select, only each
	// alias's (App's) newest, whatever its target (the paused reminder
	// asks this of every app at once, in one query instead of one per
	// app).
	LatestPerApp bool
}

var (
	// ErrNotFound: no such operation or snapshot.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the op was not in the expected state; another click,
	// replica or the expiry sweeper got there first.
	ErrConflict = errors.New("state changed concurrently")
	// ErrLeaseLost: the caller no longer holds the executing op (another
	// process reclaimed it, or it was settled): it must not act on it.
	// It is also an ErrConflict, so code that handles a lost race
	// handles this one.
	ErrLeaseLost error = leaseLost{}
	// ErrForbiddenMove: a transition (or a creation in a state) that the
	// state machine of package approval does not have. A caller's bug,
	// not a race.
	ErrForbiddenMove = errors.New("not a move of the state machine")
)

type leaseLost struct{}

func (leaseLost) Error() string        { return "lease lost" }
func (leaseLost) Is(target error) bool { return target == ErrConflict }

// BusyError says another operation is executing on the same target.
type BusyError struct{ Op Op }

func (e *BusyError) Error() string {
	return fmt.Sprintf("%q (%s) is busy with %s T-%d", e.Op.App, e.Op.Target.Key(), e.Op.Kind, e.Op.ID)
}

// AdoptReport counts what AdoptLegacy did.
type AdoptReport struct {
	OpsBound int // ops given the target their alias names now
	OpsLeft  int // ops whose alias names nothing now: they stay unbound
	// OpsOpen: requests still pending or approved. They stay unbound even
	// when their alias resolves (it may name another app than when they
	// were asked for), so their approval is refused: ask again.
	OpsOpen int
	// OpsBusy: ops whose alias resolves but that stay unbound, because
	// another op executes on their target (or they started executing
	// during the adoption); a later AdoptLegacy binds them.
	OpsBusy    int
	Moved      int // legacy snapshots moved to their target
	Superseded int // legacy snapshots dropped: their target had a newer one
	Left       int // legacy snapshots whose alias names nothing now: unusable, kept for LegacySnapshot
	// Unresolved lists the aliases of the rows left behind, sorted.
	Unresolved []string
}

// Store is the journal. All methods are safe for concurrent use, including
// from several processes sharing one database (postgres).
type Store interface {
	// CreateOp inserts op (ID, CreatedAt, UpdatedAt assigned; CreatedAt =
	// at; ReviewedBy and ReviewedAt ignored) and appends a "requested"
	// audit event ("break-glass" for a BreakGlass op, which must be a
	// Terminate). op.Target must be Bound, and op.State an initial state
	// (approval.CanStart; else ErrForbiddenMove); an op created Executing
	// needs a Holder and a LeaseUntil. If an op with the same Key exists it
	// is returned with created == false and nothing is written. An op
	// created in Executing fails with *BusyError when another op on the
	// same target is executing.
	CreateOp(ctx context.Context, op Op, at time.Time) (saved Op, created bool, err error)
	// GetOp returns ErrNotFound for an unknown id.
	GetOp(ctx context.Context, id int64) (Op, error)
	// Transition moves op id from state from to ch.To and appends an audit
	// event, atomically. A move approval.CanMove does not allow fails with
	// ErrForbiddenMove, as does one from Executing without ch.Fence; both
	// write nothing. It returns ErrConflict (the current op is returned
	// too) when the op is not in from; from Executing, ErrLeaseLost (the
	// current op too) when ch.Fence does not hold it; and *BusyError when
	// ch.To is Executing and another op on the target is executing.
	Transition(ctx context.Context, id int64, from State, ch Change) (Op, error)
	// Reclaim hands an executing op whose lease ended before now to holder
	// (the reconciler), extending the lease to until. ErrConflict if the op is
	// not executing or its lease is still live.
	Reclaim(ctx context.Context, id int64, holder string, now, until time.Time) (Op, error)
	// Renew extends the lease of executing op id held by holder to until.
	// ErrLeaseLost when the op is not executing or another holder has it;
	// ErrNotFound for an unknown id. It writes no audit event.
	Renew(ctx context.Context, id int64, holder string, until time.Time) error
	// Fence proves, just before an effect, that holder still holds
	// executing op id with a live lease at now (lease_until > now),
	// extends the lease to until, and appends an audit event (action
	// "effect", detail effect, e.g. `PATCH sync state "disabled"`),
	// atomically. ErrLeaseLost otherwise (ErrNotFound for an unknown id);
	// nothing is written then.
	Fence(ctx context.Context, id int64, holder string, now, until time.Time, effect string) error
	// SetMessage records where the op is shown in Slack.
	SetMessage(ctx context.Context, id int64, channel, ts string) error
	ListOps(ctx context.Context, f Filter) ([]Op, error)
	// Events returns an op's audit events in the order they were written.
	Events(ctx context.Context, opID int64) ([]Event, error)
	// SaveSnapshot keeps s as the last one of s.Target, which must be
	// Bound; s.Sync must be valid JSON.
	SaveSnapshot(ctx context.Context, s Snapshot) error
	// Snapshot returns the last snapshot of t, which must be Bound;
	// ErrNotFound when none was saved for t. A legacy snapshot is never
	// returned here.
	Snapshot(ctx context.Context, t Target) (Snapshot, error)
	// LegacySnapshot returns the snapshot saved under alias before
	// snapshots had targets that AdoptLegacy could not bind to an app
	// (its Target is unbound); ErrNotFound if none. It must never be
	// restored, only reported: nobody knows which app it came from.
	LegacySnapshot(ctx context.Context, alias string) (Snapshot, error)
	// AdoptLegacy binds the rows journaled before targets existed to what
	// their alias names now, as resolve says (ok false: the alias names
	// nothing). An unbound op whose alias resolves gets the target (an
	// executing one only if no other op executes on the target); a legacy
	// snapshot whose alias resolves moves to its target unless the target
	// has a newer one (then it is dropped). Rows whose alias does not
	// resolve stay as they are: unbound ops, unusable snapshots. resolve
	// must not return ok with an unbound target. Idempotent, and safe for
	// several processes to run at once.
	AdoptLegacy(ctx context.Context, resolve func(alias string) (Target, bool)) (AdoptReport, error)
	// ClaimReminder claims the reminder named key (e.g. "expiry/42"): it
	// returns true for exactly one caller across every process sharing the
	// store, so each reminder is sent once.
	ClaimReminder(ctx context.Context, key string, at time.Time) (bool, error)
	// MarkShown records that op id's channel message shows st, if st is the
	// op's state and was not marked yet; it reports whether it wrote, so of
	// several callers exactly one gets true.
	MarkShown(ctx context.Context, id int64, st State) (bool, error)
	// Acknowledge records that by, an approver, reviewed break-glass op id
	// at at, and appends an "acknowledged" audit event, atomically; the
	// op's state and UpdatedAt are left alone. It returns ErrNotFound for
	// an unknown id, and ErrConflict (the current op is returned too) when
	// the op is not break-glass or was acknowledged already: of several
	// callers exactly one wins.
	Acknowledge(ctx context.Context, id int64, by string, at time.Time) (Op, error)
	// Annotate sets op id's Detail. It returns ErrNotFound for an unknown
	// id.
	Annotate(ctx context.Context, id int64, detail string) error
	// Amend corrects how finished op id ended, from state from to a.To
	// (approval.CanAmend: between succeeded and failed only, else
	// ErrForbiddenMove), rewriting its outcome and appending an "amended"
	// audit event, atomically; its message then counts as not shown. It
	// returns ErrConflict (the current op is returned too) when the op is
	// not in from. It is for a change that landed after its op was settled
	// as failed: the journal must say what is true.
	Amend(ctx context.Context, id int64, from State, a Amendment) (Op, error)
	Steps
	// Ping checks the store answers (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}

// Step is one journaled step of a multi-step operation: a cluster pause
// pauses each app's sync, then the cluster; a resume waits for the
// cluster, then resumes those syncs. A restart or another replica that
// takes the op over continues from its steps and never repeats an effect a
// step already made.
type Step struct {
	// Name is unique within the op: "sync/<group>/<app>", "cluster", "wait".
	Name string
	// Label is what people call it (the app's alias); "" for the op's own
	// target.
	Label  string
	State  StepState
	Detail string // what happened, in words (an error text on failure)
	At     time.Time
}

// StepState is where a step is.
type StepState string

const (
	// StepStarted: about to make the step's effect (or waiting, for a
	// wait); whether it took effect is for whoever continues to read.
	StepStarted StepState = "started"
	StepDone    StepState = "done"
	StepFailed  StepState = "failed"
	// StepSkipped: nothing to do (the sync was paused already).
	StepSkipped StepState = "skipped"
)

// Steps is the multi-step part of the journal. Every Store implements it.
type Steps interface {
	// SetStep records s on executing op id, inserting it or replacing the
	// step of that name (which keeps its place), and appends a "step"
	// audit event, atomically, only while holder holds the op with a live
	// lease at now (as Fence); ErrLeaseLost otherwise, ErrNotFound for an
	// unknown op; nothing is written then.
	SetStep(ctx context.Context, id int64, holder string, now time.Time, s Step) error
	// Steps returns op id's steps in the order they were first recorded
	// (none: an empty list).
	Steps(ctx context.Context, id int64) ([]Step, error)
}
