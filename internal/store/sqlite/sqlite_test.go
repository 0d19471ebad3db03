package sqlite_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/store/sqlite"
	"github.com/syncbot/syncbot/internal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) func() (store.Store, error) {
		dir := t.TempDir()
		return func() (store.Store, error) { return sqlite.Open(t.Context(), dir) }
	})
}

// A second Open of a directory in use fails, whether from another process
// or (flock being per open file description) this one, until the first
// Store is closed.
func TestOpenLocksDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := sqlite.Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer first.Close()

	second, err := sqlite.Open(t.Context(), dir)
	if err == nil {
		second.Close()
		t.Fatal("a second Open of a directory in use succeeded")
	}
	if !errors.Is(err, sqlite.ErrLocked) {
		t.Errorf("second Open: err = %v, want ErrLocked", err)
	}
	if want := "another syncbot process is using " + dir; !strings.Contains(err.Error(), want) {
		t.Errorf("second Open: err = %q, want it to say %q", err, want)
	}
	if err := first.Ping(t.Context()); err != nil {
		t.Errorf("the first Store stopped answering after a refused Open: %v", err)
	}

	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	third, err := sqlite.Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	if err := third.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestOpenCreatesPrivateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "data")
	s, err := sqlite.Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("data directory mode %v, want 0700", perm)
	}
	for _, name := range []string{"syncbot.db", "LOCK"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A syncbot older than the schema refuses to run on it rather than write
// rows the newer one would misread.
func TestOpenRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "syncbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(t.Context(), `INSERT INTO schema_migrations (version) VALUES (9999)`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(t.Context(), dir)
	if err == nil {
		s.Close()
		t.Fatal("Open of a schema from a newer syncbot succeeded")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open: err = %v, want it to say the schema is newer", err)
	}
}

// A store made before migration 0005 (a journal in use, without the
// ops_by_state_app index) is brought up to date on open, its ops intact.
func TestOpenUpgradesFromBeforeTheLatestMigration(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i, app := range []string{"prod", "staging", "prod"} {
		if _, _, err := s.CreateOp(ctx, store.Op{Key: fmt.Sprintf("t%d", i), Kind: store.Pause, App: app, Requester: "U1",
			RequesterName: "ada", Channel: "C1", State: store.Succeeded, SyncAfter: "disabled"}, at); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	// Back to schema version 4, as a syncbot of before 0005 left it.
	db, err := sql.Open("sqlite", filepath.Join(dir, "syncbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP INDEX ops_by_state_app`, `DELETE FROM schema_migrations WHERE version >= 5`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s, err = sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	ops, err := s.ListOps(ctx, store.Filter{States: []store.State{store.Succeeded}, LatestPerApp: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, op := range ops {
		got = append(got, op.Key)
	}
	if strings.Join(got, ",") != "t2,t1" {
		t.Errorf("latest per app after the upgrade: %v, want t2 (prod), t1 (staging)", got)
	}
	db, err = sql.Open("sqlite", filepath.Join(dir, "syncbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'ops_by_state_app'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("index ops_by_state_app after the upgrade: %d (%v), want 1", n, err)
	}
}
