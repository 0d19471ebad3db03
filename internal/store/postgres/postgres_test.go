package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/store/postgres"
	"github.com/syncbot/syncbot/internal/store/storetest"
)

// databaseURL is the test server: SYNC_TEST_DATABASE_URL, else the local
// one. There is no skip: a missing PostgreSQL fails the tests.
func databaseURL() string {
	if u := os.Getenv("SYNC_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// admin connects to the test server to create and drop schemas.
func admin(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", databaseURL())
	if err != nil {
		t.Fatalf("PostgreSQL (SYNC_TEST_DATABASE_URL): %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.PingContext(t.Context()); err != nil {
		t.Fatalf("PostgreSQL (SYNC_TEST_DATABASE_URL) is required and does not answer: %v\n"+
			"start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start", err)
	}
	return db
}

// schema returns the name of a schema no other test uses, and drops it
// (whoever created it) when t ends.
func schema(t *testing.T, db *sql.DB) string {
	t.Helper()
	name := "syncbot_test_" + strings.ToLower(rand.Text())
	t.Cleanup(func() {
		// t.Context() is done by now.
		if _, err := db.ExecContext(context.Background(),
			`DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

func TestStore(t *testing.T) {
	db := admin(t)
	storetest.Run(t, func(t *testing.T) func() (store.Store, error) {
		name := schema(t, db)
		if _, err := db.ExecContext(t.Context(), `CREATE SCHEMA `+pgx.Identifier{name}.Sanitize()); err != nil {
			t.Fatalf("create schema: %v", err)
		}
		return func() (store.Store, error) {
			return postgres.Open(t.Context(), databaseURL(), postgres.WithSchema(name))
		}
	})
}

// Replicas starting together all come up, and the schema is migrated once.
func TestConcurrentOpen(t *testing.T) {
	db := admin(t)
	name := schema(t, db) // not created: Open creates it
	const n = 4
	var (
		stores [n]*postgres.Store
		errs   [n]error
		wg     sync.WaitGroup
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = postgres.Open(t.Context(), databaseURL(), postgres.WithSchema(name))
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open #%d: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		t.FailNow()
	}

	var versions, applied int
	err := db.QueryRowContext(t.Context(), fmt.Sprintf(
		`SELECT COUNT(*), COUNT(DISTINCT version) FROM %s.schema_migrations`, pgx.Identifier{name}.Sanitize()),
	).Scan(&applied, &versions)
	if err != nil {
		t.Fatal(err)
	}
	if applied != versions || applied == 0 {
		t.Errorf("schema_migrations has %d rows for %d versions, want each version once", applied, versions)
	}

	// Every replica sees the others' writes.
	op, created, err := stores[0].CreateOp(t.Context(), store.Op{
		Key: "trigger-1", Kind: store.Pause, App: "prod", State: store.Executing,
		Target: store.Target{Kind: store.SyncTarget, GroupID: "g1", AppID: "a1"},
		Holder: "replica-1", LeaseUntil: time.Now().Add(time.Minute),
	}, time.Now())
	if err != nil || !created {
		t.Fatalf("CreateOp = created %v, %v", created, err)
	}
	for i, s := range stores {
		if _, err := s.GetOp(t.Context(), op.ID); err != nil {
			t.Errorf("replica %d: GetOp(T-%d): %v", i, op.ID, err)
		}
	}
}

// A journal of a syncbot from before targets (schema 5) is brought up to
// date on open, and AdoptLegacy carries its rows forward
// (storetest.Upgrade).
func TestOpenUpgradesFromBeforeTheLatestMigration(t *testing.T) {
	name := schema(t, admin(t))
	cfg, err := pgx.ParseConfig(databaseURL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = pgx.Identifier{name}.Sanitize()
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	if _, err := db.ExecContext(t.Context(), `CREATE SCHEMA `+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	// identity as dialect() has it.
	storetest.Upgrade(t, db, os.DirFS("../sqlstore/migrations"), "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
		func() (store.Store, error) {
			return postgres.Open(t.Context(), databaseURL(), postgres.WithSchema(name))
		})
}

// The database URL may carry a password; no error may repeat it.
func TestOpenErrorsHideTheURL(t *testing.T) {
	const secret = "hunter2-s3cret"
	for _, url := range []string{
		"postgres://syncbot:" + secret + "@127.0.0.1:1/test?sslmode=disable&connect_timeout=2", // nothing listens
		"postgres://syncbot:" + secret + "@[::1/test",                                          // unparsable
		"postgres://syncbot:" + secret + "@127.0.0.1:5432/test?sslmode=bogus",
	} {
		s, err := postgres.Open(t.Context(), url)
		if err == nil {
			s.Close()
			t.Errorf("Open(a broken URL) succeeded")
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Open error repeats the password: %v", err)
		}
	}
}
