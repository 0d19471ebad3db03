package sqlstore

import (
	"context"
	"time"
)

// ClaimReminder implements store.Store: an insert that only one caller wins.
func (s *Store) ClaimReminder(ctx context.Context, key string, at time.Time) (bool, error) {
	if key == "" {
		return false, s.errorf("claim reminder: empty key")
	}
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO reminders (key, claimed_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, at.UnixMicro())
	if err != nil {
		return false, s.errorf("claim reminder %q: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.errorf("claim reminder %q: %w", key, err)
	}
	return n == 1, nil
}
