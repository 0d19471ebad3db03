// Package postgres is the store for several replicas: PostgreSQL through
// pgx's database/sql driver. Every decision (dedupe, one executing op per target,
// which click wins) is a constraint or a conditional write in the database,
// so replicas share nothing else.
//
// The database URL may hold a password: no error of this package contains it.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/store/sqlstore"
)

// Store is the PostgreSQL store.
type Store struct {
	*sqlstore.Store
}

var _ store.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	schema   string
	maxConns int
}

// WithSchema keeps syncbot's tables in schema, created if missing, by
// putting it first in the search_path of every connection. Default: the
// server's search_path (usually public).
func WithSchema(schema string) Option {
	return func(o *options) { o.schema = schema }
}

// WithMaxConns bounds the connections this replica opens (n < 1: no
// bound). Default 10.
func WithMaxConns(n int) Option {
	return func(o *options) { o.maxConns = n }
}

// Open connects to the database at url and brings the schema up to date.
// Several replicas may Open at once: migrations run under an advisory lock.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	o := options{maxConns: 10}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// The parse error quotes the URL, and its password is masked only
		// on a best-effort basis: say nothing of it.
		return nil, errors.New("postgres: cannot parse the database URL")
	}
	if o.schema != "" {
		cfg.RuntimeParams["search_path"] = pgx.Identifier{o.schema}.Sanitize()
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(o.maxConns)
	db.SetMaxIdleConns(o.maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := migrate(ctx, db, o.schema); err != nil {
		db.Close() // also ends the session holding the advisory lock, if any
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &Store{Store: sqlstore.New(db, dialect())}, nil
}

// migrate runs the migrations on one connection holding an advisory lock
// keyed by the schema, so replicas starting together migrate one at a time
// and the later ones find nothing to do.
func migrate(ctx context.Context, db *sql.DB, schema string) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	key := lockKey(schema)
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	if schema != "" {
		if _, err := conn.ExecContext(ctx,
			`CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	if err := sqlstore.Migrate(ctx, conn, dialect()); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
		return fmt.Errorf("release migration lock: %w", err)
	}
	return nil
}

func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("syncbot migrations\x00" + schema))
	return int64(h.Sum64())
}

func dialect() sqlstore.Dialect {
	return sqlstore.Dialect{
		Name:              "postgres",
		Identity:          "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
		IsUniqueViolation: isUniqueViolation,
	}
}

func isUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505" // unique_violation
}
