package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/syncbot/syncbot/internal/store"
)

// SetStep implements store.Store: the lease check is Fence's, without
// extending the lease (the holder's renewals do that).
func (s *Store) SetStep(ctx context.Context, id int64, holder string, now time.Time, st store.Step) error {
	switch {
	case holder == "" || now.IsZero():
		return s.errorf("set step of op %d: empty holder or time", id)
	case st.Name == "":
		return s.errorf("set step of op %d: no name", id)
	}
	switch st.State {
	case store.StepStarted, store.StepDone, store.StepFailed, store.StepSkipped:
	default:
		return s.errorf("set step %q of op %d: unknown state %q", st.Name, id, st.State)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := proveHold(ctx, tx, id, holder, now, time.Time{}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO op_steps (op_id, name, seq, label, state, detail, at)
			VALUES ($1, $2, (SELECT COUNT(*) + 1 FROM op_steps WHERE op_id = $1), $3, $4, $5, $6)
			ON CONFLICT (op_id, name) DO UPDATE SET label = excluded.label, state = excluded.state,
				detail = excluded.detail, at = excluded.at`,
			id, st.Name, st.Label, string(st.State), st.Detail, now.UnixMicro()); err != nil {
			return err
		}
		return insertEvent(ctx, tx, store.Event{
			OpID: id, At: now, Actor: holder, Action: "step",
			From: store.Executing, To: store.Executing, Detail: st.Name + " " + string(st.State),
		})
	})
	if err != nil {
		return s.errorf("set step %q of op %d for %q: %w", st.Name, id, holder, err)
	}
	return nil
}

// Steps implements store.Store.
func (s *Store) Steps(ctx context.Context, id int64) ([]store.Step, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT name, label, state, detail, at FROM op_steps WHERE op_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, s.errorf("steps of op %d: %w", id, err)
	}
	defer rows.Close()
	out := []store.Step{}
	for rows.Next() {
		var st store.Step
		var state string
		var at int64
		if err := rows.Scan(&st.Name, &st.Label, &state, &st.Detail, &at); err != nil {
			return nil, s.errorf("steps of op %d: %w", id, err)
		}
		st.State, st.At = store.StepState(state), time.UnixMicro(at).UTC()
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("steps of op %d: %w", id, err)
	}
	return out, nil
}
