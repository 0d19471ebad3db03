package sqlite_test

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

// A journal of a syncbot from before targets (schema 5) is brought up to
// date on open, and AdoptLegacy carries its rows forward
// (storetest.Upgrade).
func TestOpenUpgradesFromBeforeTheLatestMigration(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, "syncbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// identity as dialect() has it.
	storetest.Upgrade(t, db, os.DirFS("../sqlstore/migrations"), "INTEGER PRIMARY KEY AUTOINCREMENT",
		func() (store.Store, error) { return sqlite.Open(t.Context(), dir) })
}
