package main_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEmptyEnvironmentNamesEveryMissingVariable runs the real binary with
// nothing set: it must exit non-zero, name all five required variables at
// once, and print nothing secret.
func TestEmptyEnvironmentNamesEveryMissingVariable(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	run := func(env ...string) (string, int) {
		cmd := exec.CommandContext(ctx, bin)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("want a non-zero exit, got %v\n%s", err, out.String())
		}
		return out.String(), exit.ExitCode()
	}
	out, code := run()
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	if first, _, _ := strings.Cut(out, "\n"); first != "syncbot: the configuration has 5 problems:" {
		t.Errorf("first line %q, want the missing variables announced:\n%s", first, out)
	}
	for _, v := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "ATLAS_PUBLIC_API_KEY", "ATLAS_PRIVATE_API_KEY", "SYNC_APPS"} {
		if !strings.Contains(out, v) {
			t.Errorf("output does not name %s:\n%s", v, out)
		}
	}
	// Malformed values: named, never printed.
	out, _ = run("SLACK_APP_TOKEN=xoxb-WRONGKIND-SECRET", "SLACK_BOT_TOKEN=xoxb-BOT-SECRET",
		"ATLAS_PUBLIC_API_KEY=PUB-SECRET", "ATLAS_PRIVATE_API_KEY=PRIV-SECRET", "SYNC_APPS=prod:nothex/app")
	if !strings.Contains(out, "SLACK_APP_TOKEN must be an app-level token") || !strings.Contains(out, `SYNC_APPS entry "prod:nothex/app"`) {
		t.Errorf("malformed settings not explained:\n%s", out)
	}
	if strings.Contains(out, "SECRET") {
		t.Errorf("a secret value was printed:\n%s", out)
	}
}

// TestHelpAndVersionExitZero runs the real binary: help and version exit 0
// with nothing set, and an unknown argument exits 2 with the usage.
func TestHelpAndVersionExitZero(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tt := range []struct {
		arg  string
		code int
		want string
	}{
		{"--help", 0, "SYNC_APPROVAL_TTL"},
		{"help", 0, "syncbot check [-v]"},
		{"version", 0, "syncbot "},
		{"--bogus", 2, "flag provided but not defined: -bogus"},
		{"bogus", 2, `unknown command "bogus"`},
	} {
		cmd := exec.CommandContext(ctx, bin, tt.arg)
		cmd.Env = []string{}
		out, err := cmd.CombinedOutput()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", tt.arg, err)
		}
		if code != tt.code || !strings.Contains(string(out), tt.want) {
			t.Errorf("bot %s: exit %d (want %d), output lacks %q?\n%s", tt.arg, code, tt.code, tt.want, out)
		}
	}
}
