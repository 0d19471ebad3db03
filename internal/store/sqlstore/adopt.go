package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/syncbot/syncbot/internal/store"
)

// AdoptLegacy implements store.Store. It runs in one transaction of
// conditional writes: a row is taken only while it is still legacy
// (an empty target_kind, or a row of the old snapshots table), so of two
// processes adopting at once each row goes to one, and the other counts
// nothing for it.
func (s *Store) AdoptLegacy(ctx context.Context, resolve func(alias string) (store.Target, bool)) (store.AdoptReport, error) {
	aliases, err := s.legacyAliases(ctx)
	if err != nil {
		return store.AdoptReport{}, s.errorf("adopt legacy rows: %w", err)
	}
	if len(aliases) == 0 {
		return store.AdoptReport{}, nil // the usual start: nothing from before
	}
	// resolve is the caller's code: call it before the transaction, which
	// then holds SQLite's write lock only for the writes.
	targets := map[string]store.Target{}
	for _, a := range aliases {
		t, ok := resolve(a)
		if !ok {
			continue
		}
		if !t.Bound() {
			return store.AdoptReport{}, s.errorf("adopt legacy rows: alias %q resolves to an unbound target %+v", a, t)
		}
		targets[a] = t
	}
	var rep store.AdoptReport
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		rep = store.AdoptReport{}
		for _, alias := range aliases {
			t, ok := targets[alias]
			if !ok {
				continue
			}
			n, err := adoptOps(ctx, tx, alias, t, s.d)
			if err != nil {
				return fmt.Errorf("bind ops of %q to %s: %w", alias, t.Key(), err)
			}
			rep.OpsBound += n
			moved, superseded, err := adoptSnapshot(ctx, tx, alias, t)
			if err != nil {
				return fmt.Errorf("move snapshot of %q to %s: %w", alias, t.Key(), err)
			}
			rep.Moved += moved
			rep.Superseded += superseded
		}
		return countLeft(ctx, tx, targets, &rep)
	})
	if err != nil {
		return store.AdoptReport{}, s.errorf("adopt legacy rows: %w", err)
	}
	return rep, nil
}

// legacyAliases returns the aliases of unbound ops and legacy snapshots,
// sorted. No new ones appear: CreateOp and SaveSnapshot write bound rows.
func (s *Store) legacyAliases(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT app FROM ops WHERE target_kind = ''
		UNION SELECT app FROM snapshots`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var aliases []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		aliases = append(aliases, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Sort(aliases)
	return aliases, nil
}

// adoptOps binds the unbound ops of alias to t. The executing one, if any
// (the old per-alias index allowed one), goes last under a savepoint: if
// another op executes on t, the unique index refuses it, and it stays on
// its legacy key rather than failing the whole adoption.
func adoptOps(ctx context.Context, tx *sql.Tx, alias string, t store.Target, d Dialect) (int, error) {
	const bind = `UPDATE ops SET target_kind = $2, group_id = $3, app_id = $4, service_id = $5,
		target_name = $6, target_key = $7 WHERE app = $1 AND target_kind = ''`
	args := []any{alias, t.Kind, t.GroupID, t.AppID, t.ServiceID, t.Name, t.Key()}
	// Open requests stay unbound: the alias may name another app than the
	// one they were asked for, so their approval is refused (ask again).
	res, err := tx.ExecContext(ctx, bind+` AND state NOT IN ('executing', 'pending', 'approved')`, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT adopt_executing`); err != nil {
		return 0, err
	}
	res, err = tx.ExecContext(ctx, bind+` AND state = 'executing'`, args...)
	if err != nil {
		if !d.IsUniqueViolation(err) {
			return 0, err
		}
		_, err = tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT adopt_executing`)
		return int(n), err
	}
	m, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT adopt_executing`); err != nil {
		return 0, err
	}
	return int(n + m), nil
}

// adoptSnapshot moves alias's legacy snapshot, if any, to t, unless t has
// a newer one (or one as new: a bound snapshot is the surer of the two).
func adoptSnapshot(ctx context.Context, tx *sql.Tx, alias string, t store.Target) (moved, superseded int, err error) {
	// Deleting first takes the row: a concurrent adopter finds it gone.
	var (
		syncKind, sync string
		opID, savedAt  int64 // opID is dropped: see the INSERT
	)
	err = tx.QueryRowContext(ctx,
		`DELETE FROM snapshots WHERE app = $1 RETURNING sync_kind, sync, op_id, saved_at`, alias,
	).Scan(&syncKind, &sync, &opID, &savedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO target_snapshots (target_key, target_kind, group_id, app_id, service_id,
			target_name, app, sync_kind, sync, op_id, saved_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (target_key) DO UPDATE SET service_id = excluded.service_id,
			app = excluded.app, sync_kind = excluded.sync_kind, sync = excluded.sync,
			op_id = excluded.op_id, saved_at = excluded.saved_at
		WHERE target_snapshots.saved_at < excluded.saved_at`,
		// No op id: whether the alias named this app when the row was saved
		// cannot be known, so a resume asks for --saved before re-sending it.
		t.Key(), t.Kind, t.GroupID, t.AppID, t.ServiceID, t.Name,
		alias, syncKind, sync, 0, savedAt)
	if err != nil {
		return 0, 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, 0, err
	}
	if n == 0 {
		return 0, 1, nil
	}
	return 1, 0, nil
}

// countLeft counts the legacy rows still there: ops and snapshots whose
// alias names nothing, and ops of an alias that does whose binding was
// refused (busy) or raced (it started executing meanwhile).
func countLeft(ctx context.Context, tx *sql.Tx, targets map[string]store.Target, rep *store.AdoptReport) error {
	unresolved := map[string]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT app, CASE WHEN state IN ('pending', 'approved') THEN 1 ELSE 0 END, COUNT(*)
		FROM ops WHERE target_kind = '' GROUP BY app, CASE WHEN state IN ('pending', 'approved') THEN 1 ELSE 0 END`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			alias   string
			open, n int
		)
		if err := rows.Scan(&alias, &open, &n); err != nil {
			return err
		}
		_, resolves := targets[alias]
		switch {
		case resolves && open == 1:
			rep.OpsOpen += n
		case resolves:
			rep.OpsBusy += n
		default:
			rep.OpsLeft += n
			unresolved[alias] = true
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	rows, err = tx.QueryContext(ctx, `SELECT app FROM snapshots`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var alias string
		if err := rows.Scan(&alias); err != nil {
			return err
		}
		rep.Left++
		unresolved[alias] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for a := range unresolved {
		rep.Unresolved = append(rep.Unresolved, a)
	}
	slices.Sort(rep.Unresolved)
	return nil
}
