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
	if code == 0 {
		t.Fatal("exit code 0")
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
