package app_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// testDatabaseURL is the PostgreSQL the replica tests share:
// SYNC_TEST_DATABASE_URL, else the local one. There is no skip: a missing
// PostgreSQL fails the tests.
func testDatabaseURL() string {
	if u := os.Getenv("SYNC_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// pgSchema creates a schema no other test uses and returns a
// SYNC_DATABASE_URL whose search_path is that schema, the way an operator
// would keep syncbot apart from other tables. The schema is dropped when t
// ends (after the replicas, whose cleanups run first).
func pgSchema(t *testing.T) string {
	t.Helper()
	db, err := sql.Open("pgx", testDatabaseURL())
	if err != nil {
		t.Fatalf("PostgreSQL (SYNC_TEST_DATABASE_URL): %v", err)
	}
	if err := db.PingContext(t.Context()); err != nil {
		db.Close()
		t.Fatalf("PostgreSQL (SYNC_TEST_DATABASE_URL) is required and does not answer: %v\n"+
			"scripts/test starts an installed cluster that is down; by hand: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start", err)
	}
	name := "syncbot_app_" + strings.ToLower(rand.Text())
	if _, err := db.ExecContext(t.Context(), `CREATE SCHEMA `+pgx.Identifier{name}.Sanitize()); err != nil {
		db.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(testDatabaseURL())
	if err != nil {
		t.Fatalf("SYNC_TEST_DATABASE_URL is not a URL")
	}
	q := u.Query()
	q.Set("options", "-csearch_path="+name)
	u.RawQuery = q.Encode()
	return u.String()
}
