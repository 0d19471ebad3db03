// Package sqlite is the embedded store: one SQLite file (pure Go,
// modernc.org/sqlite) in a data directory that serves one process. Open takes
// an exclusive lock on the directory for the life of the Store, so a second
// syncbot on the same directory refuses to start instead of racing the first.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/store/sqlstore"
)

// ErrLocked says another Store (in this process or another) has the data
// directory open.
var ErrLocked = errors.New("data directory is locked")

// Store is the SQLite store.
type Store struct {
	*sqlstore.Store
	lock      *os.File
	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	busyTimeout time.Duration
}

// WithBusyTimeout sets how long a write waits for another connection's
// write transaction to finish before failing with SQLITE_BUSY. Default 5s.
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) { o.busyTimeout = d }
}

// maxConns bounds the pool: WAL lets readers run beside the one writer, and
// immediate transactions queue writers on SQLite's lock (busy_timeout)
// instead of failing when a read turns into a write.
const maxConns = 4

// Open opens (creating it if needed, mode 0700) the store in dir: the
// database file syncbot.db, and the lock file LOCK. It fails with ErrLocked
// when another Store holds dir.
func Open(ctx context.Context, dir string, opts ...Option) (*Store, error) {
	o := options{busyTimeout: 5 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create data directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s, err := open(ctx, dir, o)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

func open(ctx context.Context, dir string, o options) (*Store, error) {
	abs, err := filepath.Abs(filepath.Join(dir, "syncbot.db"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// A file: URI, so that any character in the path is escaped rather
	// than read as the start of the parameters.
	q := url.Values{}
	q.Set("_txlock", "immediate")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	dsn := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", abs, err)
	}
	return &Store{Store: sqlstore.New(db, dialect())}, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return sqlstore.Migrate(ctx, conn, dialect())
}

func dialect() sqlstore.Dialect {
	return sqlstore.Dialect{
		Name:              "sqlite",
		Identity:          "INTEGER PRIMARY KEY AUTOINCREMENT", // ids are never reused
		IsUniqueViolation: isUniqueViolation,
	}
}

func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// Close closes the database, then releases the directory lock. Calling it
// again returns the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = errors.Join(s.Store.Close(), s.lock.Close())
	})
	return s.closeErr
}
