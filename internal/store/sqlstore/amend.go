package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/store"
)

// Amend implements store.Store: a conditional write on the op's current
// final state, with an "amended" audit event, atomically. The op's message
// no longer counts as shown, so the sweeper heals it if its updater fails.
func (s *Store) Amend(ctx context.Context, id int64, from store.State, a store.Amendment) (store.Op, error) {
	switch {
	case !approval.CanAmend(from, a.To):
		return store.Op{}, s.errorf("amend op %d: %s → %s: %w", id, from, a.To, store.ErrForbiddenMove)
	case a.At.IsZero() || a.Actor == "" || a.Outcome == "":
		return store.Op{}, s.errorf("amend op %d: time, actor and outcome are required", id)
	}
	var op store.Op
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		op, err = scanOp(tx.QueryRowContext(ctx, `
			UPDATE ops SET state = $3, outcome = $4, updated_at = $5, shown = ''
			WHERE id = $1 AND state = $2
			RETURNING `+opColumns, id, string(from), string(a.To), a.Outcome, a.At.UnixMicro()))
		if errors.Is(err, sql.ErrNoRows) {
			if op, err = getOp(ctx, tx, id); err != nil {
				return err
			}
			return fmt.Errorf("op is %s, not %s: %w", op.State, from, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		return insertEvent(ctx, tx, store.Event{OpID: id, At: a.At, Actor: a.Actor, Action: "amended", From: from, To: a.To, Detail: a.Outcome})
	})
	if err != nil {
		return op, s.errorf("amend op %d: %w", id, err)
	}
	return op, nil
}

// Annotate implements store.Store.
func (s *Store) Annotate(ctx context.Context, id int64, detail string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE ops SET detail = $2 WHERE id = $1`, id, detail)
	if err == nil {
		err = oneRow(res)
	}
	if err != nil {
		return s.errorf("annotate op %d: %w", id, err)
	}
	return nil
}
