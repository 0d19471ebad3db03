package app_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/syncbot/syncbot/internal/app"
	"github.com/syncbot/syncbot/internal/config"
	"github.com/syncbot/syncbot/internal/store/sqlite"
)

func TestCheckPassesAndPostsNothing(t *testing.T) {
	e := newEnvWithoutBot(t)
	var out strings.Builder
	if err := app.Check(context.Background(), e.cfg, discardLogger(), &out); err != nil {
		t.Fatalf("Check: %v\n%s", err, out.String())
	}
	for _, want := range []string{"Slack bot token (auth.test)", "ok: bot user UBOT", "Socket Mode is enabled", "Atlas Admin API login", "app prod", `state "enabled" (running)`, "app staging", `"disabled" (paused)`, "app legacy", "sync, state", "triggers of prod", "ok: 2 triggers: 1 enabled, 1 suspended", "triggers of staging", "ok: no triggers"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if n := len(e.slack.Messages("")) + len(e.slack.Ephemerals()); n != 0 {
		t.Errorf("check posted %d messages", n)
	}
	if n := len(e.admin.Patches()); n != 0 {
		t.Errorf("check sent %d PATCHes", n)
	}
}

func TestCheckFailsOnEveryBadPart(t *testing.T) {
	e := newEnvWithoutBot(t, func(c *config.Config) {
		c.SlackAppToken = "xapp-WRONG"
		c.Apps = append(c.Apps, config.App{Alias: "ghost", GroupID: group, AppID: "64b7f0c2a1b2c3d4e5f6ffff"})
	})
	var out strings.Builder
	err := app.Check(context.Background(), e.cfg, discardLogger(), &out)
	if !errors.Is(err, app.ErrCheckFailed) {
		t.Fatalf("Check = %v, want ErrCheckFailed", err)
	}
	got := out.String()
	if !regexp.MustCompile(`(?m)^Slack app token \(apps.connections.open\) +FAIL`).MatchString(got) || !strings.Contains(got, "app ghost") || strings.Count(got, "FAIL") != 2 {
		t.Errorf("output:\n%s", got)
	}
	if strings.Contains(got, "WRONG") || strings.Contains(got, "SECRET") {
		t.Errorf("a secret was printed:\n%s", got)
	}
	e2 := newEnvWithoutBot(t, func(c *config.Config) { c.AtlasPrivateKey = "PRIVKEY-WRONG-SECRET" })
	out.Reset()
	if err := app.Check(context.Background(), e2.cfg, discardLogger(), &out); !errors.Is(err, app.ErrCheckFailed) || !strings.Contains(out.String(), "Atlas Admin API login") || strings.Contains(out.String(), "WRONG") {
		t.Errorf("bad key: %v\n%s", err, out.String())
	}
}

func TestCheckLooksUpUserGroupsAndTheWorkspace(t *testing.T) {
	e := newEnvWithoutBot(t, func(c *config.Config) {
		c.Approvers = []string{carol, "SAPPROVE"}
		c.Operators = []string{"SAPPROVE", "SGONE"}
		c.SlackTeamID = "T1"
	})
	e.slack.SetUsergroup("SAPPROVE", []string{carol, bob})
	var out strings.Builder
	err := app.Check(context.Background(), e.cfg, discardLogger(), &out)
	if !errors.Is(err, app.ErrCheckFailed) {
		t.Fatalf("Check = %v, want ErrCheckFailed", err)
	}
	got := out.String()
	for _, want := range []string{
		"SYNC_SLACK_TEAM_ID T1", "ok: the bot's workspace",
		"ok: 2 members", "FAIL: slackbot: usergroups.users.list SGONE: no_such_subteam",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "SAPPROVE") != 1 || strings.Count(got, "FAIL") != 1 {
		t.Errorf("output:\n%s", got)
	}

	e2 := newEnvWithoutBot(t, func(c *config.Config) { c.SlackTeamID = "TOTHER" })
	out.Reset()
	if err := app.Check(context.Background(), e2.cfg, discardLogger(), &out); !errors.Is(err, app.ErrCheckFailed) ||
		!strings.Contains(out.String(), "FAIL: the bot is installed in workspace T1: every envelope would be ignored") {
		t.Errorf("wrong workspace: %v\n%s", err, out.String())
	}
}

// checkRows runs Check and returns its output as row label -> result.
func checkRows(t *testing.T, cfg config.Config) (map[string]string, string, error) {
	t.Helper()
	var out strings.Builder
	err := app.Check(context.Background(), cfg, discardLogger(), &out)
	rows := map[string]string{}
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n")[1:] {
		// Columns are separated by two spaces or more; labels have single ones.
		parts := regexp.MustCompile(`\s{2,}`).Split(l, 2)
		if len(parts) != 2 {
			t.Fatalf("row %q has no result column:\n%s", l, out.String())
		}
		rows[parts[0]] = parts[1]
	}
	return rows, out.String(), err
}

func TestCheckListsEveryAppWhenTheLoginFails(t *testing.T) {
	e := newEnvWithoutBot(t, func(c *config.Config) { c.AtlasPrivateKey = "PRIVKEY-WRONG-SECRET" })
	rows, out, err := checkRows(t, e.cfg)
	if !errors.Is(err, app.ErrCheckFailed) {
		t.Fatalf("Check = %v, want ErrCheckFailed", err)
	}
	if !strings.HasPrefix(rows["Atlas Admin API login"], "FAIL: ") {
		t.Errorf("login row: %q", rows["Atlas Admin API login"])
	}
	for _, a := range []string{"prod", "staging", "legacy"} {
		if got := rows["app "+a]; got != "not checked: login failed" {
			t.Errorf("app %s: %q, want not checked\n%s", a, got, out)
		}
	}
	if strings.Count(out, "FAIL") != 1 || strings.Contains(out, "WRONG") {
		t.Errorf("one failure, no secret:\n%s", out)
	}
	if want := "deployment check failed: 1 of "; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
}

func TestCheckOpensTheStore(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, c *config.Config)
		row     string
		want    string // the result column starts with it
		failure bool
	}{
		{
			name:  "SQLite folder free",
			setup: func(t *testing.T, c *config.Config) { c.DataDir = filepath.Join(t.TempDir(), "new") },
			row:   "store: SQLite in %s (SYNC_DATA_DIR)",
			want:  "ok: writable, not in use by another syncbot, schema up to date",
		},
		{
			name: "SQLite folder held by a running bot",
			setup: func(t *testing.T, c *config.Config) {
				// A running bot holds the folder's lock the way this store does.
				st, err := sqlite.Open(context.Background(), c.DataDir)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
			},
			row:     "store: SQLite in %s (SYNC_DATA_DIR)",
			want:    "FAIL: another syncbot process is using it",
			failure: true,
		},
		{
			name: "SQLite folder is a file",
			setup: func(t *testing.T, c *config.Config) {
				c.DataDir = filepath.Join(t.TempDir(), "data")
				if err := os.WriteFile(c.DataDir, nil, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			row:     "store: SQLite in %s (SYNC_DATA_DIR)",
			want:    "FAIL: open the embedded store in SYNC_DATA_DIR: sqlite: create data directory",
			failure: true,
		},
		{
			name:  "PostgreSQL",
			setup: func(t *testing.T, c *config.Config) { c.DatabaseURL = config.Secret(pgSchema(t)) },
			row:   "store: PostgreSQL (SYNC_DATABASE_URL)",
			want:  "ok: reachable, schema up to date",
		},
		{
			name: "PostgreSQL not answering",
			setup: func(t *testing.T, c *config.Config) {
				// A port nobody listens on: taken, then released.
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				ln.Close()
				c.DatabaseURL = config.Secret("postgres://syncbot:DBPASSWORD@" + ln.Addr().String() + "/ops?sslmode=disable")
			},
			row:     "store: PostgreSQL (SYNC_DATABASE_URL)",
			want:    "FAIL: open the PostgreSQL store (SYNC_DATABASE_URL)",
			failure: true,
		},
		{
			name:    "PostgreSQL role that may not create the tables",
			setup:   func(t *testing.T, c *config.Config) { c.DatabaseURL = config.Secret(pgRoleWithoutCreate(t)) },
			row:     "store: PostgreSQL (SYNC_DATABASE_URL)",
			want:    "FAIL: open the PostgreSQL store (SYNC_DATABASE_URL): postgres: create schema_migrations",
			failure: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWithoutBot(t, func(c *config.Config) { tt.setup(t, c) })
			rows, out, err := checkRows(t, e.cfg)
			row := tt.row
			if strings.Contains(row, "%s") {
				row = strings.Replace(row, "%s", e.cfg.DataDir, 1)
			}
			if got := rows[row]; !strings.HasPrefix(got, tt.want) {
				t.Errorf("row %q = %q, want it to start %q\n%s", row, got, tt.want, out)
			}
			wantFails := 0
			if tt.failure {
				wantFails = 1
			}
			if tt.failure != errors.Is(err, app.ErrCheckFailed) || strings.Count(out, "FAIL") != wantFails {
				t.Errorf("Check = %v, want failure %v:\n%s", err, tt.failure, out)
			}
			if strings.Contains(out, "DBPASSWORD") {
				t.Errorf("the database password was printed:\n%s", out)
			}
		})
	}
}

// pgRoleWithoutCreate returns a SYNC_DATABASE_URL for a new role that may
// use a fresh schema but not create anything in it.
func pgRoleWithoutCreate(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(pgSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	schema := strings.TrimPrefix(u.Query().Get("options"), "-csearch_path=")
	db, err := sql.Open("pgx", testDatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	role := pgx.Identifier{schema + "_ro"}.Sanitize()
	for _, q := range []string{
		`CREATE ROLE ` + role + ` LOGIN`,
		`GRANT USAGE ON SCHEMA ` + pgx.Identifier{schema}.Sanitize() + ` TO ` + role,
	} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			db.Close()
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Registered after pgSchema's cleanup, so it runs first: the role
	// goes before its schema.
	t.Cleanup(func() {
		defer db.Close()
		for _, q := range []string{`DROP OWNED BY ` + role, `DROP ROLE ` + role} {
			if _, err := db.ExecContext(context.Background(), q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	u.User = url.User(schema + "_ro")
	return u.String()
}

func TestCheckNamesTheHTTPAddress(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, tt := range []struct{ addr, want string }{
		{"127.0.0.1:0", "ok: /healthz, /readyz, /metrics for this machine only"},
		{":0", "ok: /healthz, /readyz, /metrics, unauthenticated, on every interface (SYNC_HTTP_ADDR=127.0.0.1:8080: this machine only)"},
		{taken.Addr().String(), "FAIL: the bot could not listen there: listen tcp " + taken.Addr().String()},
	} {
		e := newEnvWithoutBot(t, func(c *config.Config) { c.HTTPAddr = tt.addr })
		rows, out, _ := checkRows(t, e.cfg)
		if got := rows["HTTP endpoints on "+tt.addr+" (SYNC_HTTP_ADDR)"]; !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: %q, want it to start %q\n%s", tt.addr, got, tt.want, out)
		}
	}
}
