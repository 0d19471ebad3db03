package service_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/demo"
	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/fakeatlas"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/service"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/store/postgres"
	"github.com/syncbot/syncbot/internal/store/sqlite"
	"github.com/syncbot/syncbot/internal/sweeper"
	"github.com/syncbot/syncbot/internal/target"
)

// The verbs run here against the real Admin API client, the fake Admin API
// and a real store, with no Slack socket: slack records what the service
// says. Each test takes a few milliseconds.

// The demo world's project and people; app A is its prod app, B its
// staging app, under whatever alias a test gives them.
const (
	groupID = demo.GroupID
	appA    = demo.ProdID
	appB    = demo.StagingID
	alice   = demo.Alice
	bob     = demo.Bob
	channel = demo.Channel
	lease   = 4 * time.Minute
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// stores are the journals every store-dependent promise is checked on.
var stores = map[string]func(t *testing.T) func() store.Store{
	"sqlite": func(t *testing.T) func() store.Store {
		dir := t.TempDir()
		return func() store.Store {
			st, err := sqlite.Open(t.Context(), dir)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
	},
	"postgres": func(t *testing.T) func() store.Store {
		url := postgresURL()
		db, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		schema := "service_test_" + hex.EncodeToString(b)
		t.Cleanup(func() {
			if _, err := db.Exec(`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`); err != nil {
				t.Errorf("drop schema %s: %v", schema, err)
			}
			db.Close()
		})
		return func() store.Store {
			st, err := postgres.Open(t.Context(), url, postgres.WithSchema(schema))
			if err != nil {
				t.Fatalf("PostgreSQL at %s (start it: .ci/run does): %v", url, err)
			}
			return st
		}
	},
}

func postgresURL() string {
	if u := os.Getenv("SYNC_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// world is one syncbot process over a store, with the fake Admin API.
type world struct {
	t     *testing.T
	clock *clock.Fake
	admin *fakeadmin.Server
	st    store.Store
	slack *recorder
	svc   *service.Service
	sw    *sweeper.Sweeper
	kind  target.Kind
}

type worldOptions struct {
	apps   map[string]string // alias → app _id; default prod → appA
	holder string            // default "p1"
	kind   func(target.Kind) target.Kind
	store  func(store.Store) store.Store
	admin  *fakeadmin.Server // shared with another process
	clock  *clock.Fake
	slack  *recorder // the same channel as another process
	maxAge time.Duration
	// atlas, if set, turns clusters on (cluster_test.go).
	atlas   *fakeatlas.Server
	cluster clusterOptions
}

// newAdmin is a fake Admin API with apps A and B, both running Flexible
// Sync.
func newAdmin(t *testing.T, clk *clock.Fake) *fakeadmin.Server {
	fake := fakeadmin.New(fakeadmin.Options{PublicKey: demo.PublicKey, PrivateKey: demo.PrivateKey, Clock: clk})
	t.Cleanup(fake.Close)
	fake.AddApp(fakeadmin.App{GroupID: groupID, ID: appA, Name: "alpha", SyncKind: adminapi.KindFlexible})
	fake.AddApp(fakeadmin.App{GroupID: groupID, ID: appB, Name: "beta", SyncKind: adminapi.KindFlexible})
	return fake
}

func newWorld(t *testing.T, st store.Store, o worldOptions) *world {
	t.Helper()
	if o.clock == nil {
		o.clock = clock.NewFake(t0)
	}
	if o.admin == nil {
		o.admin = newAdmin(t, o.clock)
	}
	if o.apps == nil {
		o.apps = map[string]string{"prod": appA}
	}
	if o.holder == "" {
		o.holder = "p1"
	}
	client, err := adminapi.New(adminapi.Options{BaseURL: o.admin.URL(), PublicKey: demo.PublicKey, PrivateKey: demo.PrivateKey, Clock: o.clock, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	apps, aliases := map[string]adminapi.App{}, []string{}
	for alias, id := range o.apps {
		apps[alias] = adminapi.App{GroupID: groupID, AppID: id}
		aliases = append(aliases, alias)
	}
	var kind target.Kind = target.Sync{Admin: client, Apps: apps}
	if o.kind != nil {
		kind = o.kind(kind)
	}
	if o.store != nil {
		st = o.store(st)
	}
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	rec := o.slack
	if rec == nil {
		rec = &recorder{updates: map[string]messages.Message{}}
	}
	policy := approval.NewPolicy(nil, 15*time.Minute)
	trig := target.Trigger{Admin: client, Apps: apps}
	cfg := service.Config{Aliases: aliases, Policy: policy, Holder: o.holder, Lease: lease, SnapshotMaxAge: o.maxAge, Triggers: trig}
	kinds := map[string]target.Kind{target.KindSync: kind, target.KindTrigger: trig}
	if o.atlas != nil {
		withClusters(t, &cfg, kinds, o, client, kind, apps)
	}
	svc := service.New(cfg, kind, st, rec, o.clock, log)
	sw := sweeper.New(sweeper.Config{Kinds: kinds, Holder: o.holder + "/sweeper", Lease: lease, TTL: 15 * time.Minute, Continue: svc.Continue},
		st, svc.Announcer(), o.clock, log)
	return &world{t: t, clock: o.clock, admin: o.admin, st: st, slack: rec, svc: svc, sw: sw, kind: kind}
}

// triggers numbers commands: each one is new to the journal.
var triggers atomic.Int64

// command runs /sync text as user, as Slack would deliver it.
func (w *world) command(user, text string) {
	w.t.Helper()
	w.svc.HandleCommand(w.t.Context(), service.Invocation{
		EnvelopeID: "e", ChannelID: channel, UserID: user, UserName: strings.ToLower(user[1:]), Text: text,
		TriggerID: fmt.Sprintf("trigger-%d", triggers.Add(1)), ResponseURL: "https://hooks.slack.invalid/r",
	})
}

// click presses a button of the card of op id as user.
func (w *world) click(user, action string, id int64) {
	w.svc.HandleAction(w.t.Context(), service.Click{
		EnvelopeID: "e", ChannelID: channel, UserID: user, ActionID: action, Value: messages.OpName(id),
	})
}

func (w *world) op(id int64) store.Op {
	w.t.Helper()
	op, err := w.st.GetOp(context.Background(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return op
}

func (w *world) state(app string) string {
	s, ok := w.admin.SyncState(groupID, app)
	if !ok {
		return "(none)"
	}
	return s
}

func (w *world) patches(app string) int {
	n := 0
	for _, p := range w.admin.Patches() {
		if p.AppID == app && p.Status < 300 {
			n++
		}
	}
	return n
}

// recorder is service.Slack keeping what was said. onPost, if set, runs
// before each channel post (to make Slack slow).
type recorder struct {
	mu         sync.Mutex
	posts      []messages.Message
	updates    map[string]messages.Message // ts → latest
	ephemerals []string
	blocks     []messages.Message // the private answers, whole
	onPost     func()
}

func (r *recorder) Post(_ context.Context, _ string, m messages.Message) (string, error) {
	r.mu.Lock()
	hook := r.onPost
	r.mu.Unlock()
	if hook != nil {
		hook()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.posts = append(r.posts, m)
	ts := fmt.Sprintf("1700000000.%06d", len(r.posts))
	r.updates[ts] = m
	return ts, nil
}

func (r *recorder) Update(_ context.Context, _, ts string, m messages.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates[ts] = m
	return nil
}

func (r *recorder) Ephemeral(_ context.Context, _, _ string, m messages.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ephemerals = append(r.ephemerals, m.Text)
	r.blocks = append(r.blocks, m)
	return nil
}

// lastBlocks is the latest private answer's blocks as JSON.
func (r *recorder) lastBlocks() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.blocks) == 0 {
		return ""
	}
	b, _ := json.Marshal(r.blocks[len(r.blocks)-1].Blocks)
	return string(b)
}

func (r *recorder) Respond(_ context.Context, _ string, m messages.Message, _ bool) error {
	return r.Ephemeral(context.Background(), "", "", m)
}

func (r *recorder) Replace(_ context.Context, _ string, m messages.Message) error {
	return r.Ephemeral(context.Background(), "", "", m)
}

func (r *recorder) UsergroupMembers(context.Context, string) ([]string, error) { return nil, nil }

// lastWhisper is the latest private answer.
func (r *recorder) lastWhisper() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ephemerals) == 0 {
		return ""
	}
	return r.ephemerals[len(r.ephemerals)-1]
}

// shown is the channel message of op as the channel shows it now.
func (r *recorder) shown(op store.Op) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.updates[op.MessageTS].Text
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
