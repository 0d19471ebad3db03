package sqlstore

import (
	"context"

	"github.com/syncbot/syncbot/internal/store"
)

// MarkShown implements store.Store: a conditional write that only the first
// caller for the op's current state wins.
func (s *Store) MarkShown(ctx context.Context, id int64, st store.State) (bool, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE ops SET shown = $2 WHERE id = $1 AND state = $2 AND shown <> $2`, id, string(st))
	if err != nil {
		return false, s.errorf("mark op %d shown: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.errorf("mark op %d shown: %w", id, err)
	}
	return n == 1, nil
}
