package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/syncbot/syncbot/internal/store"
)

// Acknowledge implements store.Store: a conditional write that only the
// first caller wins, with its audit event in the same transaction.
func (s *Store) Acknowledge(ctx context.Context, id int64, by string, at time.Time) (store.Op, error) {
	switch {
	case by == "":
		return store.Op{}, s.errorf("acknowledge op %d: empty reviewer", id)
	case at.IsZero():
		return store.Op{}, s.errorf("acknowledge op %d: zero time", id)
	}
	var op store.Op
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		op, err = scanOp(tx.QueryRowContext(ctx, `
			UPDATE ops SET reviewed_by = $2, reviewed_at = $3
			WHERE id = $1 AND break_glass AND reviewed_by = ''
			RETURNING `+opColumns, id, by, at.UnixMicro()))
		if errors.Is(err, sql.ErrNoRows) {
			if op, err = getOp(ctx, tx, id); err != nil {
				return err
			}
			if !op.BreakGlass {
				return fmt.Errorf("op is not break-glass: %w", store.ErrConflict)
			}
			return fmt.Errorf("already acknowledged by %q: %w", op.ReviewedBy, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		return insertEvent(ctx, tx, store.Event{
			OpID: id, At: at, Actor: by, Action: "acknowledged",
			From: op.State, To: op.State, Detail: "break-glass reviewed",
		})
	})
	if err != nil {
		return op, s.errorf("acknowledge op %d: %w", id, err)
	}
	return op, nil
}
