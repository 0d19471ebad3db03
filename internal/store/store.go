// Package store holds syncbot's journal: operations (pause, resume and
// terminate requests) with their state machine, the append-only audit log,
// and the sync configuration last seen per app. Every state change is a
// conditional write, so the store, not any process's memory, decides which
// of two racing clicks or replicas wins.
//
// Implementations: store/sqlite (embedded, one process) and store/postgres
// (several replicas). Both pass storetest.Run.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/syncbot/syncbot/internal/approval"
)

// Kind is what an operation does to an app's sync.
type Kind string

const (
	Pause     Kind = "pause"
	Resume    Kind = "resume"
	Terminate Kind = "terminate"
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
)

// Op is one journaled operation. A terminate request is an Op of kind
// Terminate that starts Pending; people refer to it as T-<ID>.
type Op struct {
	ID            int64
	Key           string // dedupe key (the command's trigger_id): unique
	Kind          Kind
	App           string // alias from SYNC_APPS
	Requester     string // Slack user ID
	RequesterName string
	Channel       string
	ResponseURL   string // fallback when the bot cannot post in Channel
	MessageTS     string // the channel message that shows this op; "" if none
	Reason        string
	State         State
	SyncKind      string // "flexible_sync" or "sync", as seen when requested
	SyncBefore    string // sync state when requested: "enabled", "disabled" or ""
	SyncAfter     string // target sync state
	DecidedBy     string // who approved, denied or cancelled (Slack user ID)
	Outcome       string // what happened, in words (an error text on failure)
	Holder        string // the process executing it
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
	To         State
	Actor      string // Slack user ID, or "syncbot" for the bot itself
	At         time.Time
	Outcome    string
	DecidedBy  string
	SyncBefore string // set when the state is re-read at execution
	Holder     string
	LeaseUntil time.Time
	Note       string // extra audit detail
	// Quiet says no channel message shows the op (it was answered to its
	// asker alone: a no-op, a refusal): it counts as shown in ch.To, so
	// Filter.Unshown never lists it.
	Quiet bool
}

// Event is one audit record. The audit log is append-only.
type Event struct {
	ID     int64
	OpID   int64
	At     time.Time
	Actor  string
	Action string // "requested" ("break-glass" for a break-glass op), the state moved to, "reclaimed" or "acknowledged"
	From   State  // "" for the creating event
	To     State
	Detail string
}

// Snapshot is the last sync object seen for an app, kept so that resume can
// re-send it after a terminate.
type Snapshot struct {
	App      string
	SyncKind string
	Sync     json.RawMessage
	OpID     int64
	SavedAt  time.Time
}

// Filter selects operations; the zero value selects all. Results are newest
// first (highest ID first).
type Filter struct {
	Key           string // only the op with this dedupe key
	App           string
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
	// app's newest (the paused reminder asks this of every app at once,
	// in one query instead of one per app).
	LatestPerApp bool
}

var (
	// ErrNotFound: no such operation or snapshot.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the op was not in the expected state; another click,
	// replica or the expiry sweeper got there first.
	ErrConflict = errors.New("state changed concurrently")
)

// BusyError says another operation is executing on the same app.
type BusyError struct{ Op Op }

func (e *BusyError) Error() string {
	return fmt.Sprintf("app %q is busy with %s T-%d", e.Op.App, e.Op.Kind, e.Op.ID)
}

// Store is the journal. All methods are safe for concurrent use, including
// from several processes sharing one database (postgres).
type Store interface {
	// CreateOp inserts op (ID, CreatedAt, UpdatedAt assigned; CreatedAt =
	// at; ReviewedBy and ReviewedAt ignored) and appends a "requested"
	// audit event ("break-glass" for a BreakGlass op, which must be a
	// Terminate). If an op with the same Key
	// exists it is returned with created == false and nothing is written.
	// An op created in Executing fails with *BusyError when another op on the
	// same app is executing.
	CreateOp(ctx context.Context, op Op, at time.Time) (saved Op, created bool, err error)
	// GetOp returns ErrNotFound for an unknown id.
	GetOp(ctx context.Context, id int64) (Op, error)
	// Transition moves op id from state from to ch.To and appends an audit
	// event, atomically. It returns ErrConflict (the current op is returned
	// too) when the op is not in from, and *BusyError when ch.To is
	// Executing and another op on the app is executing.
	Transition(ctx context.Context, id int64, from State, ch Change) (Op, error)
	// Reclaim hands an executing op whose lease ended before now to holder
	// (the reconciler), extending the lease to until. ErrConflict if the op is
	// not executing or its lease is still live.
	Reclaim(ctx context.Context, id int64, holder string, now, until time.Time) (Op, error)
	// SetMessage records where the op is shown in Slack.
	SetMessage(ctx context.Context, id int64, channel, ts string) error
	ListOps(ctx context.Context, f Filter) ([]Op, error)
	// Events returns an op's audit events in the order they were written.
	Events(ctx context.Context, opID int64) ([]Event, error)
	SaveSnapshot(ctx context.Context, s Snapshot) error
	// Snapshot returns ErrNotFound when none was saved for app.
	Snapshot(ctx context.Context, app string) (Snapshot, error)
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
	// Ping checks the store answers (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}
