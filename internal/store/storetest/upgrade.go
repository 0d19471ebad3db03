package storetest

import (
	"database/sql"
	"encoding/json"
	"errors"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/syncbot/syncbot/internal/store"
)

// beforeTargets is the last schema version without targets.
const beforeTargets = 5

// Upgrade checks that a journal written by a syncbot from before targets
// (schema version 5) is carried forward: open upgrades it, its rows keep
// the exclusion they had, and AdoptLegacy binds the rows whose alias
// resolves, leaves the others unusable, is safe to run twice at once, and
// changes nothing when run again.
//
// db is a connection to the empty location open opens, which Upgrade
// closes before it opens the store; migrations holds
// the store's migration files, and identity is what the dialect puts for
// {{identity}} in them: the schema is built from the very files that built
// it then.
func Upgrade(t *testing.T, db *sql.DB, migrations fs.FS, identity string, open Opener) {
	ctx := t.Context()
	buildSchema(t, db, migrations, identity, beforeTargets)

	// Legacy rows, as that syncbot wrote them: prod and qa still name apps,
	// gone names nothing any more.
	type legacyOp struct {
		key, kind, app, state, holder string
	}
	legacy := []legacyOp{
		{"old-1", "pause", "prod", "succeeded", "replica-1"},
		{"old-2", "terminate", "prod", "pending", ""},
		{"old-3", "pause", "prod", "executing", "replica-1"},
		{"old-4", "resume", "gone", "succeeded", "replica-1"},
		{"old-5", "pause", "qa", "executing", "replica-1"},
	}
	opIDs := map[string]int64{}
	for _, o := range legacy {
		var id int64
		err := db.QueryRowContext(ctx, `
			INSERT INTO ops (key, kind, app, requester, requester_name, channel, response_url,
				message_ts, reason, state, sync_kind, sync_before, sync_after, decided_by,
				outcome, holder, lease_until, created_at, updated_at, expires_at, shown)
			VALUES ($1, $2, $3, 'U1', 'ada', 'C1', '', '', 'old', $4, 'flexible_sync', 'enabled',
				'disabled', '', '', $5, $6, $7, $7, NULL, '')
			RETURNING id`,
			o.key, o.kind, o.app, o.state, o.holder, at(time.Minute).UnixMicro(), at(0).UnixMicro(),
		).Scan(&id)
		if err != nil {
			t.Fatalf("insert legacy op %s: %v", o.key, err)
		}
		opIDs[o.key] = id
	}
	legacySnaps := map[string]string{
		"prod":    `{"state":"enabled","queryable_fields_names":["owner_id"]}`,
		"staging": `{"state":"enabled","old":true}`,
		"gone":    `{"state":"enabled","from":"an app nobody names"}`,
	}
	for app, sync := range legacySnaps {
		if _, err := db.ExecContext(ctx, `
			INSERT INTO snapshots (app, sync_kind, sync, op_id, saved_at) VALUES ($1, 'flexible_sync', $2, $3, $4)`,
			app, sync, opIDs["old-2"], at(0).UnixMicro()); err != nil {
			t.Fatalf("insert legacy snapshot of %s: %v", app, err)
		}
	}

	// That syncbot is gone before this one opens the location.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, open)
	prod, staging, qa := target("prod"), target("staging"), target("qa")

	// Upgraded but not adopted: the rows are there, unbound, and keep the
	// per-alias exclusion.
	old3 := get(t, s, opIDs["old-3"])
	if old3.Target != (store.Target{}) || old3.App != "prod" || old3.State != store.Executing || old3.Holder != "replica-1" {
		t.Errorf("legacy executing op after the upgrade = %+v, want it unbound on alias prod, executing", old3)
	}
	if got, want := ids(list(t, s, store.Filter{TargetKey: store.LegacyKey("prod")})),
		[]int64{opIDs["old-3"], opIDs["old-2"], opIDs["old-1"]}; !slices.Equal(got, want) {
		t.Errorf("ops on %s = %v, want %v", store.LegacyKey("prod"), got, want)
	}
	transition(t, s, opIDs["old-2"], store.Pending, store.Change{To: store.Approved, Actor: "U2", DecidedBy: "U2", At: at(time.Minute)})
	_, err := s.Transition(ctx, opIDs["old-2"], store.Approved,
		store.Change{To: store.Executing, Actor: bot, At: at(time.Minute), Holder: "replica-2", LeaseUntil: at(2 * time.Minute)})
	checkBusy(t, err, old3)
	if _, err := s.Snapshot(ctx, prod); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Snapshot(prod) before AdoptLegacy: err = %v, want ErrNotFound (a legacy row is never restored)", err)
	}
	if sn, err := s.LegacySnapshot(ctx, "prod"); err != nil || string(sn.Sync) != legacySnaps["prod"] || sn.Target.Bound() {
		t.Errorf("LegacySnapshot(prod) before AdoptLegacy = %+v, %v; want the old row, unbound", sn, err)
	}
	// Meanwhile: staging got a newer snapshot, and an op runs on qa's app.
	newer := store.Snapshot{Target: staging, App: "staging", SyncKind: "sync", SavedAt: at(time.Hour), Sync: json.RawMessage(`{"state":"disabled"}`)}
	if err := s.SaveSnapshot(ctx, newer); err != nil {
		t.Fatal(err)
	}
	running := create(t, s, pause("new-1", "qa"))

	resolve := func(alias string) (store.Target, bool) {
		switch alias {
		case "prod", "staging", "qa":
			return target(alias), true
		}
		return store.Target{}, false
	}

	// Two replicas starting together: each row is adopted once.
	var reports [2]store.AdoptReport
	var errs [2]error
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range reports {
		wg.Go(func() {
			<-start
			reports[i], errs[i] = s.AdoptLegacy(ctx, resolve)
		})
	}
	close(start)
	wg.Wait()
	var sum store.AdoptReport
	for i, r := range reports {
		if errs[i] != nil {
			t.Fatalf("AdoptLegacy #%d: %v", i, errs[i])
		}
		sum.OpsBound += r.OpsBound
		sum.Moved += r.Moved
		sum.Superseded += r.Superseded
		// What is left is left for both.
		want := store.AdoptReport{OpsBound: r.OpsBound, Moved: r.Moved, Superseded: r.Superseded,
			OpsLeft: 1, OpsOpen: 1, OpsBusy: 1, Left: 1, Unresolved: []string{"gone"}}
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("AdoptLegacy #%d: what is left (-want +got):\n%s", i, diff)
		}
	}
	if want := (store.AdoptReport{OpsBound: 2, Moved: 1, Superseded: 1}); !cmp.Equal(sum, want) {
		t.Errorf("AdoptLegacy twice at once: bound %d ops, moved %d and dropped %d snapshots in all; want %d, %d, %d",
			sum.OpsBound, sum.Moved, sum.Superseded, want.OpsBound, want.Moved, want.Superseded)
	}

	for _, key := range []string{"old-1", "old-3"} {
		if got := get(t, s, opIDs[key]).Target; got != prod {
			t.Errorf("%s after AdoptLegacy: target %+v, want %+v", key, got, prod)
		}
	}
	// An open request is never bound: prod may name another app than the
	// one it was asked for, so its approval is refused.
	if got := get(t, s, opIDs["old-2"]).Target; got.Bound() {
		t.Errorf("open request bound by AdoptLegacy: %+v", got)
	}
	if got := get(t, s, opIDs["old-4"]); got.Target.Bound() {
		t.Errorf("op of an alias that names nothing was bound: %+v", got.Target)
	}
	if got := get(t, s, opIDs["old-5"]); got.Target.Bound() {
		t.Errorf("executing op bound onto a busy target: %+v", got.Target)
	}
	if got, want := ids(list(t, s, store.Filter{TargetKey: prod.Key()})),
		[]int64{opIDs["old-3"], opIDs["old-1"]}; !slices.Equal(got, want) {
		t.Errorf("ops on %s = %v, want %v", prod.Key(), got, want)
	}
	if got, want := ids(list(t, s, store.Filter{TargetKey: store.LegacyKey("gone")})), []int64{opIDs["old-4"]}; !slices.Equal(got, want) {
		t.Errorf("ops on %s = %v, want %v", store.LegacyKey("gone"), got, want)
	}
	// The exclusion now holds by target.
	_, _, err = s.CreateOp(ctx, pause("new-2", "prod"), at(time.Minute))
	checkBusy(t, err, get(t, s, opIDs["old-3"]))

	got, err := s.Snapshot(ctx, prod)
	if err != nil {
		t.Fatalf("Snapshot(prod) after AdoptLegacy: %v", err)
	}
	checkSnapshot(t, "Snapshot(prod) moved from the legacy table", store.Snapshot{Target: prod, App: "prod",
		SyncKind: "flexible_sync", Sync: json.RawMessage(legacySnaps["prod"]), OpID: 0, SavedAt: at(0).UTC()}, got) // no op id: it may be another app's
	if got, err := s.Snapshot(ctx, staging); err != nil {
		t.Errorf("Snapshot(staging): %v", err)
	} else {
		checkSnapshot(t, "Snapshot(staging), newer than the legacy one", newer, got)
	}
	for _, alias := range []string{"prod", "staging"} {
		if _, err := s.LegacySnapshot(ctx, alias); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LegacySnapshot(%s) after AdoptLegacy: err = %v, want ErrNotFound", alias, err)
		}
	}
	if sn, err := s.LegacySnapshot(ctx, "gone"); err != nil || sn.Target.Bound() || sn.App != "gone" || string(sn.Sync) != legacySnaps["gone"] {
		t.Errorf("LegacySnapshot(gone) = %+v, %v; want the old row, unbound", sn, err)
	}

	// Once qa's app is free, its legacy op is bound too.
	transition(t, s, running.ID, store.Executing, store.Change{To: store.Succeeded, Actor: bot, At: at(time.Minute), Fence: "replica-1"})
	rep, err := s.AdoptLegacy(ctx, resolve)
	if err != nil {
		t.Fatalf("AdoptLegacy (qa free): %v", err)
	}
	if diff := cmp.Diff(store.AdoptReport{OpsBound: 1, OpsLeft: 1, OpsOpen: 1, Left: 1, Unresolved: []string{"gone"}}, rep); diff != "" {
		t.Errorf("AdoptLegacy once qa is free (-want +got):\n%s", diff)
	}
	if got := get(t, s, opIDs["old-5"]).Target; got != qa {
		t.Errorf("old-5 once qa is free: target %+v, want %+v", got, qa)
	}

	// Again: nothing to do, nothing changed.
	before := list(t, s, store.Filter{})
	rep, err = s.AdoptLegacy(ctx, resolve)
	if err != nil {
		t.Fatalf("AdoptLegacy (again): %v", err)
	}
	if diff := cmp.Diff(store.AdoptReport{OpsLeft: 1, OpsOpen: 1, Left: 1, Unresolved: []string{"gone"}}, rep); diff != "" {
		t.Errorf("AdoptLegacy run again (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, list(t, s, store.Filter{}), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("AdoptLegacy run again changed ops (-before +after):\n%s", diff)
	}
	if _, err := s.AdoptLegacy(ctx, func(string) (store.Target, bool) { return store.Target{Kind: "sync"}, true }); err == nil {
		t.Error("AdoptLegacy with a resolve that returns unbound targets succeeded")
	}
}

// buildSchema applies the migrations up to version to db, as the syncbot
// of that version did.
func buildSchema(t *testing.T, db *sql.DB, migrations fs.FS, identity string, version int64) {
	t.Helper()
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY)`); err != nil {
		t.Fatalf("create schema_migrations: %v", err)
	}
	names, err := fs.Glob(migrations, "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("migrations: %v, %d files", err, len(names))
	}
	slices.Sort(names)
	applied := int64(0)
	for _, name := range names {
		prefix, _, _ := strings.Cut(path.Base(name), "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", name, err)
		}
		if v > version {
			continue
		}
		b, err := fs.ReadFile(migrations, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, strings.ReplaceAll(string(b), "{{identity}}", identity)); err != nil {
			t.Fatalf("migration %s: %v", name, err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v); err != nil {
			t.Fatal(err)
		}
		applied = v
	}
	if applied != version {
		t.Fatalf("built the schema up to version %d, want %d", applied, version)
	}
}
