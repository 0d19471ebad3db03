// Package sqlstore implements store.Store over database/sql in the SQL that
// SQLite (modernc.org/sqlite) and PostgreSQL (pgx stdlib) both speak: $n
// placeholders, INSERT … ON CONFLICT DO NOTHING, UPDATE … RETURNING, partial
// unique indexes. store/sqlite and store/postgres open the database, hold
// their lock and supply a Dialect; everything else is here, once.
//
// Times are stored as int64 microseconds since the Unix epoch, NULL for the
// zero time, and come back in UTC: a time read back is the time written
// truncated to the microsecond.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/store"
)

// Dialect is what differs between the databases.
type Dialect struct {
	// Name prefixes errors: "sqlite", "postgres".
	Name string
	// Identity is the column definition of an auto-assigned int64 primary
	// key, substituted for {{identity}} in the migrations.
	Identity string
	// IsUniqueViolation reports whether err is a unique-constraint violation.
	IsUniqueViolation func(error) bool
}

// Store is a store.Store on a *sql.DB whose schema Migrate has brought up to
// date.
type Store struct {
	db *sql.DB
	d  Dialect
}

var _ store.Store = (*Store)(nil)

// New returns a Store on db; Close closes db.
func New(db *sql.DB, d Dialect) *Store { return &Store{db: db, d: d} }

// maxAttempts bounds the retries of a write that lost a race to a row which
// was gone again when we looked for it (PostgreSQL: the executing op on the
// target finished in between). Each retry means another op made progress.
const maxAttempts = 5

// Actor is the Event actor of what the store itself records (Reclaim).
const Actor = "syncbot"

const opColumns = `id, key, kind, app, requester, requester_name, channel, response_url,
	message_ts, reason, state, sync_kind, sync_before, sync_after, decided_by, outcome,
	holder, lease_until, created_at, updated_at, expires_at, shown, break_glass,
	reviewed_by, reviewed_at, target_kind, group_id, app_id, service_id, target_name, detail`

// finalStates lists, as SQL, every state no transition leaves
// (approval.State.Final): a message showing one is up to date.
var finalStates = func() string {
	var q []string
	for _, st := range []store.State{store.Pending, store.Approved, store.Executing, store.Succeeded,
		store.Failed, store.Denied, store.Cancelled, store.Expired, store.Unknown} {
		if st.Final() {
			q = append(q, "'"+string(st)+"'")
		}
	}
	return strings.Join(q, ", ")
}()

func (s *Store) errorf(format string, args ...any) error {
	return fmt.Errorf(s.d.Name+": "+format, args...)
}

// CreateOp implements store.Store.
func (s *Store) CreateOp(ctx context.Context, op store.Op, at time.Time) (store.Op, bool, error) {
	switch {
	case op.Key == "":
		return store.Op{}, false, s.errorf("create op: empty key")
	case !op.Target.Bound():
		return store.Op{}, false, s.errorf("create op %q: target %+v is not bound to an identity", op.Key, op.Target)
	case !approval.CanStart(op.State):
		return store.Op{}, false, s.errorf("create op %q in %q: %w", op.Key, op.State, store.ErrForbiddenMove)
	case op.State == store.Executing && (op.Holder == "" || op.LeaseUntil.IsZero()):
		return store.Op{}, false, s.errorf("create op %q: an executing op needs a holder and a lease", op.Key)
	case at.IsZero():
		return store.Op{}, false, s.errorf("create op: zero time")
	case op.BreakGlass && op.Kind != store.Terminate:
		return store.Op{}, false, s.errorf("create op: only a terminate can be break-glass, not a %s", op.Kind)
	}
	t := op.Target
	action := "requested"
	if op.BreakGlass {
		action = "break-glass"
	}
	for range maxAttempts {
		var (
			saved   store.Op
			created bool
		)
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			// DO NOTHING without a conflict target covers both unique
			// indexes: the key and the one executing op per target.
			var err error
			saved, err = scanOp(tx.QueryRowContext(ctx, `
				INSERT INTO ops (key, kind, app, requester, requester_name, channel,
					response_url, message_ts, reason, state, sync_kind, sync_before,
					sync_after, decided_by, outcome, holder, lease_until, created_at,
					updated_at, expires_at, break_glass, target_kind, group_id, app_id,
					service_id, target_name, target_key, detail)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
					$15, $16, $17, $18, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)
				ON CONFLICT DO NOTHING
				RETURNING `+opColumns,
				op.Key, string(op.Kind), op.App, op.Requester, op.RequesterName, op.Channel,
				op.ResponseURL, op.MessageTS, op.Reason, string(op.State), op.SyncKind,
				op.SyncBefore, op.SyncAfter, op.DecidedBy, op.Outcome, op.Holder,
				nullMicros(op.LeaseUntil), at.UnixMicro(), nullMicros(op.ExpiresAt), op.BreakGlass,
				t.Kind, t.GroupID, t.AppID, t.ServiceID, t.Name, t.Key(), op.Detail))
			if err == nil {
				created = true
				return insertEvent(ctx, tx, store.Event{
					OpID: saved.ID, At: at, Actor: op.Requester, Action: action,
					To: saved.State, Detail: op.Reason,
				})
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			// Nothing inserted: the key exists, or the target is busy.
			saved, err = scanOp(tx.QueryRowContext(ctx,
				`SELECT `+opColumns+` FROM ops WHERE key = $1`, op.Key))
			if err == nil {
				return nil // a replay: the existing op, nothing written
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if op.State == store.Executing {
				holder, err := executingOn(ctx, tx, t.Key())
				if err == nil {
					return &store.BusyError{Op: holder}
				}
				if !errors.Is(err, sql.ErrNoRows) {
					return err
				}
			}
			return errRetry
		})
		if errors.Is(err, errRetry) {
			continue
		}
		if err != nil {
			return store.Op{}, false, s.errorf("create op %q: %w", op.Key, err)
		}
		return saved, created, nil
	}
	return store.Op{}, false, s.errorf("create op %q: lost %d races in a row", op.Key, maxAttempts)
}

// errRetry rolls back a transaction whose conflict vanished before we could
// name it.
var errRetry = errors.New("retry")

// GetOp implements store.Store.
func (s *Store) GetOp(ctx context.Context, id int64) (store.Op, error) {
	op, err := getOp(ctx, s.db, id)
	if err != nil {
		return store.Op{}, s.errorf("get op %d: %w", id, err)
	}
	return op, nil
}

// Transition implements store.Store. Besides the contract, it refuses
// (with an error that is neither ErrConflict nor *BusyError) to enter
// Executing without a holder and a lease, or to be Quiet about a state that
// is not final: those are bugs in the caller, not races.
func (s *Store) Transition(ctx context.Context, id int64, from store.State, ch store.Change) (store.Op, error) {
	// The conditional write below checks that the op is in from, so
	// checking from → ch.To against the machine here checks the move the
	// database would make.
	switch {
	case !approval.CanMove(from, ch.To):
		return store.Op{}, s.errorf("transition op %d %s → %s: %w", id, from, ch.To, store.ErrForbiddenMove)
	case from == store.Executing && ch.Fence == "":
		return store.Op{}, s.errorf("transition op %d from executing: no fence (the holder it expects)", id)
	case ch.To == store.Executing && (ch.Holder == "" || ch.LeaseUntil.IsZero()):
		return store.Op{}, s.errorf("transition op %d to executing: no holder or lease", id)
	case ch.At.IsZero():
		return store.Op{}, s.errorf("transition op %d: zero time", id)
	case ch.Quiet && !ch.To.Final():
		return store.Op{}, s.errorf("transition op %d: only a final state can be quiet, not %s", id, ch.To)
	}

	// A zero field of ch leaves its column alone, so the SET list is built
	// from the fields that are set.
	args := []any{id, string(from), string(ch.To), ch.At.UnixMicro()}
	set := []string{"state = $3", "updated_at = $4"}
	if ch.Quiet {
		set = append(set, "shown = $3")
	}
	add := func(column string, v any) {
		args = append(args, v)
		set = append(set, fmt.Sprintf("%s = $%d", column, len(args)))
	}
	for _, f := range []struct{ column, v string }{
		{"outcome", ch.Outcome},
		{"decided_by", ch.DecidedBy},
		{"sync_before", ch.SyncBefore},
		{"holder", ch.Holder},
	} {
		if f.v != "" {
			add(f.column, f.v)
		}
	}
	if !ch.LeaseUntil.IsZero() {
		add("lease_until", ch.LeaseUntil.UnixMicro())
	}
	cond := `id = $1 AND state = $2`
	if from == store.Executing {
		args = append(args, ch.Fence)
		cond += fmt.Sprintf(" AND holder = $%d", len(args))
	}
	update := `UPDATE ops SET ` + strings.Join(set, ", ") + ` WHERE ` + cond + ` RETURNING ` + opColumns

	for range maxAttempts {
		var op store.Op
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			op, err = scanOp(tx.QueryRowContext(ctx, update, args...))
			if errors.Is(err, sql.ErrNoRows) {
				if op, err = getOp(ctx, tx, id); err != nil {
					return err
				}
				return notIn(op, from, ch.Fence)
			}
			if err != nil {
				return err
			}
			return insertEvent(ctx, tx, store.Event{
				OpID: id, At: ch.At, Actor: ch.Actor, Action: string(ch.To),
				From: from, To: ch.To, Detail: ch.Note,
			})
		})
		if err != nil && ch.To == store.Executing && s.d.IsUniqueViolation(err) {
			// Another op on the target is executing. The transaction is
			// rolled back (PostgreSQL aborts it), so look it up afresh.
			if op, err = getOp(ctx, s.db, id); err != nil {
				return store.Op{}, s.errorf("transition op %d: %w", id, err)
			}
			holder, err := scanOp(s.db.QueryRowContext(ctx, `
				SELECT `+opColumns+` FROM ops
				WHERE state = 'executing' AND id <> $1
					AND target_key = (SELECT target_key FROM ops WHERE id = $1)`, id))
			if errors.Is(err, sql.ErrNoRows) {
				continue // it finished meanwhile
			}
			if err != nil {
				return store.Op{}, s.errorf("transition op %d: %w", id, err)
			}
			return op, &store.BusyError{Op: holder}
		}
		if err != nil {
			return op, s.errorf("transition op %d %s → %s: %w", id, from, ch.To, err)
		}
		return op, nil
	}
	return store.Op{}, s.errorf("transition op %d: lost %d races in a row", id, maxAttempts)
}

// notIn says why a conditional write found op not in from (held by fence,
// when from is Executing).
func notIn(op store.Op, from store.State, fence string) error {
	switch {
	case from != store.Executing:
		return fmt.Errorf("op is %s, not %s: %w", op.State, from, store.ErrConflict)
	case op.State != store.Executing:
		// Settled by someone else: for the worker that is losing the op.
		return fmt.Errorf("op is %s, not executing: %w", op.State, store.ErrLeaseLost)
	}
	return fmt.Errorf("op is held by %q, not %q: %w", op.Holder, fence, store.ErrLeaseLost)
}

// Renew implements store.Store. The lease is extended even if it ran out,
// as long as nobody reclaimed the op: the holder still holds it then.
func (s *Store) Renew(ctx context.Context, id int64, holder string, until time.Time) error {
	switch {
	case holder == "":
		return s.errorf("renew lease of op %d: empty holder", id)
	case until.IsZero():
		return s.errorf("renew lease of op %d: zero time", id)
	}
	res, err := s.db.ExecContext(ctx,
		`UPDATE ops SET lease_until = $3 WHERE id = $1 AND state = 'executing' AND holder = $2`,
		id, holder, until.UnixMicro())
	if err == nil {
		err = oneRow(res)
	}
	if errors.Is(err, store.ErrNotFound) {
		// Say why; the op read here may be newer than the write's view,
		// which changes only the words.
		var op store.Op
		if op, err = getOp(ctx, s.db, id); err == nil {
			err = notIn(op, store.Executing, holder)
		}
	}
	if err != nil {
		return s.errorf("renew lease of op %d for %q: %w", id, holder, err)
	}
	return nil
}

// Fence implements store.Store. The audit event's actor is the holder: the
// log then says which process sent the effect.
func (s *Store) Fence(ctx context.Context, id int64, holder string, now, until time.Time, effect string) error {
	switch {
	case holder == "":
		return s.errorf("fence op %d: empty holder", id)
	case now.IsZero() || !until.After(now):
		return s.errorf("fence op %d: lease must end after now", id)
	case effect == "":
		return s.errorf("fence op %d: no effect named", id)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := proveHold(ctx, tx, id, holder, now, until); err != nil {
			return err
		}
		return insertEvent(ctx, tx, store.Event{
			OpID: id, At: now, Actor: holder, Action: "effect",
			From: store.Executing, To: store.Executing, Detail: effect,
		})
	})
	if err != nil {
		return s.errorf("fence op %d for %q: %w", id, holder, err)
	}
	return nil
}

// Reclaim implements store.Store. An executing op with no lease counts as
// one whose lease has ended. The audit event is "reclaimed", by Actor.
func (s *Store) Reclaim(ctx context.Context, id int64, holder string, now, until time.Time) (store.Op, error) {
	switch {
	case holder == "":
		return store.Op{}, s.errorf("reclaim op %d: empty holder", id)
	case now.IsZero() || !until.After(now):
		return store.Op{}, s.errorf("reclaim op %d: lease must end after now", id)
	}
	var op store.Op
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		before, err := getOp(ctx, tx, id)
		if err != nil {
			return err
		}
		op, err = scanOp(tx.QueryRowContext(ctx, `
			UPDATE ops SET holder = $2, lease_until = $4, updated_at = $3
			WHERE id = $1 AND state = 'executing' AND (lease_until IS NULL OR lease_until < $3)
			RETURNING `+opColumns,
			id, holder, now.UnixMicro(), until.UnixMicro()))
		if errors.Is(err, sql.ErrNoRows) {
			if op, err = getOp(ctx, tx, id); err != nil {
				return err
			}
			if op.State != store.Executing {
				return fmt.Errorf("op is %s, not executing: %w", op.State, store.ErrConflict)
			}
			return fmt.Errorf("lease of %q is live until %s: %w", op.Holder, stamp(op.LeaseUntil), store.ErrConflict)
		}
		if err != nil {
			return err
		}
		return insertEvent(ctx, tx, store.Event{
			OpID: id, At: now, Actor: Actor, Action: "reclaimed",
			From: store.Executing, To: store.Executing,
			Detail: fmt.Sprintf("holder %q (lease until %s) → %q (lease until %s)",
				before.Holder, stamp(before.LeaseUntil), holder, stamp(until)),
		})
	})
	if err != nil {
		return op, s.errorf("reclaim op %d: %w", id, err)
	}
	return op, nil
}

// SetMessage implements store.Store. It leaves UpdatedAt alone and writes no
// audit event: where a card is shown is not a change of the op.
func (s *Store) SetMessage(ctx context.Context, id int64, channel, ts string) error {
	res, err := s.db.ExecContext(ctx,
		`UPDATE ops SET channel = $2, message_ts = $3 WHERE id = $1`, id, channel, ts)
	if err == nil {
		err = oneRow(res)
	}
	if err != nil {
		return s.errorf("set message of op %d: %w", id, err)
	}
	return nil
}

// ListOps implements store.Store. A Limit below 1 means no limit.
func (s *Store) ListOps(ctx context.Context, f store.Filter) ([]store.Op, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Key != "" {
		where = append(where, "key = "+arg(f.Key))
	}
	if f.App != "" {
		where = append(where, "app = "+arg(f.App))
	}
	if f.TargetKey != "" {
		where = append(where, "target_key = "+arg(f.TargetKey))
	}
	if len(f.States) > 0 {
		ps := make([]string, len(f.States))
		for i, st := range f.States {
			ps[i] = arg(string(st))
		}
		where = append(where, "state IN ("+strings.Join(ps, ", ")+")")
	}
	if !f.ExpiresBefore.IsZero() {
		where = append(where, "expires_at < "+arg(f.ExpiresBefore.UnixMicro()))
	}
	if !f.LeaseBefore.IsZero() {
		where = append(where, "lease_until < "+arg(f.LeaseBefore.UnixMicro()))
	}
	if !f.UpdatedBefore.IsZero() {
		where = append(where, "updated_at < "+arg(f.UpdatedBefore.UnixMicro()))
	}
	if f.Unshown {
		where = append(where, `state IN (`+finalStates+`) AND shown <> state`)
	}
	if f.Unreviewed {
		where = append(where, `break_glass AND reviewed_by = ''`)
	}
	cond := ""
	if len(where) > 0 {
		cond = ` WHERE ` + strings.Join(where, " AND ")
	}
	if f.LatestPerApp {
		cond = ` WHERE id IN (SELECT MAX(id) FROM ops` + cond + ` GROUP BY app)`
	}
	q := `SELECT ` + opColumns + ` FROM ops` + cond + ` ORDER BY id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ` + arg(int64(f.Limit))
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.errorf("list ops: %w", err)
	}
	defer rows.Close()
	var ops []store.Op
	for rows.Next() {
		op, err := scanOp(rows)
		if err != nil {
			return nil, s.errorf("list ops: %w", err)
		}
		ops = append(ops, op)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("list ops: %w", err)
	}
	return ops, nil
}

// Events implements store.Store. An unknown op has no events.
func (s *Store) Events(ctx context.Context, opID int64) ([]store.Event, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT id, op_id, at, actor, action, from_state, to_state, detail
		FROM events WHERE op_id = $1 ORDER BY id`, opID)
	if err != nil {
		return nil, s.errorf("events of op %d: %w", opID, err)
	}
	defer rows.Close()
	var evs []store.Event
	for rows.Next() {
		var (
			e        store.Event
			at       int64
			from, to string
		)
		if err := rows.Scan(&e.ID, &e.OpID, &at, &e.Actor, &e.Action, &from, &to, &e.Detail); err != nil {
			return nil, s.errorf("events of op %d: %w", opID, err)
		}
		e.At, e.From, e.To = fromMicros(at), store.State(from), store.State(to)
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("events of op %d: %w", opID, err)
	}
	return evs, nil
}

// SaveSnapshot implements store.Store. OpID 0 means no op.
func (s *Store) SaveSnapshot(ctx context.Context, sn store.Snapshot) error {
	t := sn.Target
	switch {
	case !t.Bound():
		return s.errorf("save snapshot of %q: target %+v is not bound to an identity", sn.App, t)
	case !json.Valid(sn.Sync):
		return s.errorf("save snapshot of %s: sync is not valid JSON", t.Key())
	case sn.SavedAt.IsZero():
		return s.errorf("save snapshot of %s: zero time", t.Key())
	}
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO target_snapshots (target_key, target_kind, group_id, app_id, service_id,
			target_name, app, sync_kind, sync, op_id, saved_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (target_key) DO UPDATE SET service_id = excluded.service_id,
			app = excluded.app, sync_kind = excluded.sync_kind, sync = excluded.sync,
			op_id = excluded.op_id, saved_at = excluded.saved_at`,
		t.Key(), t.Kind, t.GroupID, t.AppID, t.ServiceID, t.Name,
		sn.App, sn.SyncKind, string(sn.Sync), sn.OpID, sn.SavedAt.UnixMicro())
	if err != nil {
		return s.errorf("save snapshot of %s: %w", t.Key(), err)
	}
	return nil
}

// Snapshot implements store.Store.
func (s *Store) Snapshot(ctx context.Context, t store.Target) (store.Snapshot, error) {
	if !t.Bound() {
		return store.Snapshot{}, s.errorf("snapshot of %+v: target not bound to an identity", t)
	}
	sn, err := scanSnapshot(s.db.QueryRowContext(ctx, `
		SELECT target_kind, group_id, app_id, service_id, target_name, app,
			sync_kind, sync, op_id, saved_at
		FROM target_snapshots WHERE target_key = $1`, t.Key()))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Snapshot{}, s.errorf("snapshot of %s: %w", t.Key(), err)
	}
	return sn, nil
}

// LegacySnapshot implements store.Store.
func (s *Store) LegacySnapshot(ctx context.Context, alias string) (store.Snapshot, error) {
	sn, err := scanSnapshot(s.db.QueryRowContext(ctx, `
		SELECT '', '', '', '', '', app, sync_kind, sync, op_id, saved_at
		FROM snapshots WHERE app = $1`, alias))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Snapshot{}, s.errorf("legacy snapshot of %q: %w", alias, err)
	}
	return sn, nil
}

// scanSnapshot reads target kind, group, app id, service id, name, alias,
// sync kind, sync, op id and time, in that order.
func scanSnapshot(row interface{ Scan(...any) error }) (store.Snapshot, error) {
	var (
		sn      store.Snapshot
		t       = &sn.Target
		sync    string
		savedAt int64
	)
	err := row.Scan(&t.Kind, &t.GroupID, &t.AppID, &t.ServiceID, &t.Name, &sn.App,
		&sn.SyncKind, &sync, &sn.OpID, &savedAt)
	if err != nil {
		return store.Snapshot{}, err
	}
	sn.Sync, sn.SavedAt = json.RawMessage(sync), fromMicros(savedAt)
	return sn, nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return s.errorf("ping: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// getOp returns store.ErrNotFound for an unknown id.
func getOp(ctx context.Context, q querier, id int64) (store.Op, error) {
	op, err := scanOp(q.QueryRowContext(ctx, `SELECT `+opColumns+` FROM ops WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Op{}, store.ErrNotFound
	}
	return op, err
}

// executingOn returns sql.ErrNoRows when no op on the target with key
// targetKey is executing.
func executingOn(ctx context.Context, q querier, targetKey string) (store.Op, error) {
	return scanOp(q.QueryRowContext(ctx,
		`SELECT `+opColumns+` FROM ops WHERE target_key = $1 AND state = 'executing'`, targetKey))
}

func insertEvent(ctx context.Context, tx *sql.Tx, e store.Event) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO events (op_id, at, actor, action, from_state, to_state, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		e.OpID, e.At.UnixMicro(), e.Actor, e.Action, string(e.From), string(e.To), e.Detail)
	if err != nil {
		return fmt.Errorf("append %s event: %w", e.Action, err)
	}
	return nil
}

func scanOp(row interface{ Scan(...any) error }) (store.Op, error) {
	var (
		op                   store.Op
		kind, state, shown   string
		lease, expires       sql.NullInt64
		reviewed             sql.NullInt64
		createdAt, updatedAt int64
	)
	err := row.Scan(&op.ID, &op.Key, &kind, &op.App, &op.Requester, &op.RequesterName,
		&op.Channel, &op.ResponseURL, &op.MessageTS, &op.Reason, &state, &op.SyncKind,
		&op.SyncBefore, &op.SyncAfter, &op.DecidedBy, &op.Outcome, &op.Holder,
		&lease, &createdAt, &updatedAt, &expires, &shown, &op.BreakGlass,
		&op.ReviewedBy, &reviewed, &op.Target.Kind, &op.Target.GroupID, &op.Target.AppID,
		&op.Target.ServiceID, &op.Target.Name, &op.Detail)
	if err != nil {
		return store.Op{}, err
	}
	op.Kind, op.State, op.Shown = store.Kind(kind), store.State(state), store.State(shown)
	op.LeaseUntil, op.ExpiresAt = fromNullMicros(lease), fromNullMicros(expires)
	op.ReviewedAt = fromNullMicros(reviewed)
	op.CreatedAt, op.UpdatedAt = fromMicros(createdAt), fromMicros(updatedAt)
	return op, nil
}

func oneRow(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromNullMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMicros(n.Int64)
}

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// stamp formats t for audit details.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// proveHold proves, inside tx, that holder holds executing op id with a
// live lease at now, and extends the lease to until (zero: leaves it). Its
// row lock (PostgreSQL) orders it against a Reclaim. ErrLeaseLost when the
// lease ran out, or another holder or state has the op.
func proveHold(ctx context.Context, tx *sql.Tx, id int64, holder string, now, until time.Time) error {
	set, args := "lease_until = lease_until", []any{id, holder, now.UnixMicro()}
	if !until.IsZero() {
		set, args = "lease_until = $4", append(args, until.UnixMicro())
	}
	res, err := tx.ExecContext(ctx, `UPDATE ops SET `+set+`
		WHERE id = $1 AND state = 'executing' AND holder = $2 AND lease_until > $3`, args...)
	if err == nil {
		err = oneRow(res)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	op, err := getOp(ctx, tx, id)
	if err != nil {
		return err
	}
	if op.State == store.Executing && op.Holder == holder {
		return fmt.Errorf("lease ran out at %s: %w", stamp(op.LeaseUntil), store.ErrLeaseLost)
	}
	return notIn(op, store.Executing, holder)
}
