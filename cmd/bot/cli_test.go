package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/syncbot/syncbot/internal/fakeadmin"
)

// fullEnv sets every required variable, with both APIs pointed at servers
// that count any request, and the data folder in a temp dir. It returns
// that folder and the request count.
func fullEnv(t *testing.T) (dataDir string, requests *atomic.Int32) {
	t.Helper()
	requests = new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "no", http.StatusTeapot)
	}))
	t.Cleanup(srv.Close)
	dataDir = filepath.Join(t.TempDir(), "data")
	for k, v := range map[string]string{
		"SLACK_APP_TOKEN":       "xapp-1-SECRETAPP",
		"SLACK_BOT_TOKEN":       "xoxb-SECRETBOT",
		"ATLAS_PUBLIC_API_KEY":  "PUBSECRET",
		"ATLAS_PRIVATE_API_KEY": "PRIVSECRET",
		"SYNC_APPS":             "prod:5b2ec991973129243223a114/64b7f0c2a1b2c3d4e5f60718",
		"SLACK_API_URL":         srv.URL + "/api/",
		"ATLAS_ADMIN_API_URL":   srv.URL + "/admin",
		"SYNC_DATA_DIR":         dataDir,
		"SYNC_HTTP_ADDR":        "127.0.0.1:0",
	} {
		t.Setenv(k, v)
	}
	return dataDir, requests
}

// TestArgumentsTouchNothing runs every argument that must not start the
// bot, with a full environment: none may create the data folder or reach
// Slack or Atlas. The context is already cancelled, so a regression that
// starts the bot fails on the folder instead of hanging.
func TestArgumentsTouchNothing(t *testing.T) {
	tests := []struct {
		args       []string
		code       int
		stdout     []string // each must appear in stdout
		stderr     []string // each must appear in stderr
		quietOut   bool     // stdout must be empty
		quietError bool     // stderr must be empty
	}{
		{args: []string{"--help"}, stdout: []string{"Usage:", "syncbot check", "SYNC_APPROVAL_TTL", "(default 15m)", "SLACK_APP_TOKEN", "(required)", "README.md"}, quietError: true},
		{args: []string{"-h"}, stdout: []string{"Usage:", "SYNC_HTTP_ADDR"}, quietError: true},
		{args: []string{"-help"}, stdout: []string{"Usage:"}, quietError: true},
		{args: []string{"help"}, stdout: []string{"Usage:", "SYNC_DATA_DIR", "(default ./data)"}, quietError: true},
		{args: []string{"help", "check"}, stdout: []string{"Usage: syncbot check [-v]"}, quietError: true},
		{args: []string{"version"}, stdout: []string{"syncbot ", "commit ", runtime.Version()}, quietError: true},
		{args: []string{"check", "--help"}, stdout: []string{"Usage: syncbot check [-v]"}, quietError: true},
		{args: []string{"check", "-h"}, stdout: []string{"Usage: syncbot check [-v]"}, quietError: true},
		{args: []string{"--version"}, code: 2, stderr: []string{"flag provided but not defined: -version", "Usage:"}, quietOut: true},
		{args: []string{"start"}, code: 2, stderr: []string{`unknown command "start"`, "Usage:"}, quietOut: true},
		{args: []string{"-v"}, code: 2, stderr: []string{"flag provided but not defined: -v"}, quietOut: true},
		{args: []string{"help", "me"}, code: 2, stderr: []string{"help takes no argument"}, quietOut: true},
		{args: []string{"version", "--short"}, code: 2, stderr: []string{"version takes no arguments"}, quietOut: true},
		{args: []string{"check", "prod"}, code: 2, stderr: []string{`check takes no arguments (got "prod")`, "Usage: syncbot check"}, quietOut: true},
		{args: []string{"check", "--all"}, code: 2, stderr: []string{"flag provided but not defined: -all", "Usage: syncbot check"}, quietOut: true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			dataDir, requests := fullEnv(t)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			var stdout, stderr strings.Builder
			code := run(ctx, tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			if tt.quietOut && stdout.Len() > 0 {
				t.Errorf("stdout is not empty:\n%s", stdout.String())
			}
			if tt.quietError && stderr.Len() > 0 {
				t.Errorf("stderr is not empty:\n%s", stderr.String())
			}
			if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
				t.Errorf("the data folder was touched (stat: %v)", err)
			}
			if n := requests.Load(); n != 0 {
				t.Errorf("%d requests reached Slack or Atlas", n)
			}
			if out := stdout.String() + stderr.String(); strings.Contains(out, "SECRET") {
				t.Errorf("a secret was printed:\n%s", out)
			}
		})
	}
}

// TestConfigurationProblemsComeFirst: with a bad value and nothing else
// set, the bot and check print every problem, one per line, and exit 2.
func TestConfigurationProblemsComeFirst(t *testing.T) {
	for _, args := range [][]string{nil, {"check"}} {
		t.Run(strings.Join(append([]string{"syncbot"}, args...), " "), func(t *testing.T) {
			for _, v := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "ATLAS_PUBLIC_API_KEY", "ATLAS_PRIVATE_API_KEY", "SYNC_APPS"} {
				t.Setenv(v, "")
			}
			t.Setenv("SYNC_APPROVAL_TTL", "soon")
			t.Setenv("SYNC_DATA_DIR", filepath.Join(t.TempDir(), "data"))
			var stdout, stderr strings.Builder
			if code := run(context.Background(), args, &stdout, &stderr); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			want := `syncbot: the configuration has 6 problems:
  SLACK_APP_TOKEN: missing or empty
  SLACK_BOT_TOKEN: missing or empty
  ATLAS_PUBLIC_API_KEY: missing or empty
  ATLAS_PRIVATE_API_KEY: missing or empty
  SYNC_APPS: missing or empty (set it, SYNC_CLUSTERS, or both)
  SYNC_APPROVAL_TTL: "soon" is not a duration (e.g. 15m, 1h)
Every variable, with its default: syncbot help. What each means: the README, "Configuration".
`
			if stderr.String() != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), want)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout: %s", stdout.String())
			}
		})
	}
}

func TestVersionLine(t *testing.T) {
	if got := versionLine(); !strings.HasPrefix(got, "syncbot dev, commit ") || !strings.Contains(got, runtime.Version()) {
		t.Errorf("without ldflags: %q", got)
	}
	version, commit = "v1.2.3", "abc1234"
	t.Cleanup(func() { version, commit = "", "" })
	if got, want := versionLine(), "syncbot v1.2.3, commit abc1234, "+runtime.Version(); !strings.HasPrefix(got, want) {
		t.Errorf("release build: %q, want it to start %q", got, want)
	}
}

// TestCheckIsQuietUnlessVerbose: check prints its table on stdout and one
// summary line on stderr; the clients' logs (here the Admin API's login)
// appear only with -v.
func TestCheckIsQuietUnlessVerbose(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		name := "quiet"
		if verbose {
			name = "-v"
		}
		t.Run(name, func(t *testing.T) {
			fullEnv(t) // Slack answers 418 to everything: its rows fail
			fa := fakeadmin.New(fakeadmin.Options{PublicKey: "PUBSECRET", PrivateKey: "PRIVSECRET"})
			t.Cleanup(fa.Close)
			fa.AddApp(fakeadmin.App{GroupID: "5b2ec991973129243223a114", ID: "64b7f0c2a1b2c3d4e5f60718", ClientAppID: "prod-abcde",
				Name: "prod", SyncKind: "flexible_sync", Sync: fakeadmin.FlexibleSync("enabled")})
			t.Setenv("ATLAS_ADMIN_API_URL", fa.URL())
			args := []string{"check"}
			if verbose {
				args = append(args, "-v")
			}
			var stdout, stderr strings.Builder
			if code := run(context.Background(), args, &stdout, &stderr); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			for _, want := range []string{"CHECK", "Slack bot token (auth.test)", "FAIL", "Atlas Admin API login", "app prod", `state "enabled"`, "(SYNC_HTTP_ADDR)"} {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("table lacks %q:\n%s", want, stdout.String())
				}
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "syncbot: deployment check failed: ") {
				t.Errorf("last stderr line %q", last)
			}
			logged := strings.Contains(stderr.String(), "admin api: logged in")
			if verbose != logged || (!verbose && len(lines) != 1) {
				t.Errorf("verbose %v, stderr:\n%s", verbose, stderr.String())
			}
			if strings.Contains(stdout.String()+stderr.String(), "SECRET") {
				t.Errorf("a secret was printed")
			}
		})
	}
}
