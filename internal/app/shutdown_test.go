package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/store/sqlite"
)

// binaryEnv is the environment that points the real binary at e's fakes.
func (e *env) binaryEnv() []string {
	return []string{
		"SLACK_APP_TOKEN=" + appToken, "SLACK_BOT_TOKEN=" + botToken, "SLACK_API_URL=" + e.cfg.SlackAPIURL,
		"ATLAS_PUBLIC_API_KEY=" + pubKey, "ATLAS_PRIVATE_API_KEY=" + privKey, "ATLAS_ADMIN_API_URL=" + e.cfg.AdminAPIURL,
		"SYNC_APPS=prod:" + group + "/" + prodID + ",staging:" + group + "/" + stageID,
		"SYNC_DATA_DIR=" + e.cfg.DataDir, "SYNC_HTTP_ADDR=127.0.0.1:0", "SYNC_LOG_FORMAT=json",
	}
}

// TestSIGTERMFinishesInFlightWork: SIGTERM while the Admin API is slow; the
// bot stops taking envelopes, the pause completes and is journaled and
// shown, and the process exits 0.
func TestSIGTERMFinishesInFlightWork(t *testing.T) {
	e := newEnvWithoutBot(t)
	var logs bytes.Buffer
	cmd := exec.Command(botBinary(t))
	cmd.Env = e.binaryEnv()
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("bot output:\n%s", logs.String())
		}
	}()
	e.wait("the binary to connect", func() bool { return e.slack.Connections() == 1 })

	release := e.admin.Hold()
	defer release()
	held := e.admin.Held()
	e.command(alice, "pause prod")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.admin.WaitHeld(ctx, held+1); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	e.wait("the bot to stop taking envelopes", func() bool { return e.slack.Connections() == 0 })
	release()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the bot did not exit")
	}
	if s, _ := e.admin.SyncState(group, prodID); s != "disabled" {
		t.Errorf("state = %q, want the pause applied", s)
	}
	if m := e.channelMessage("Paused"); m.Updates < 1 {
		t.Errorf("result message not updated in place")
	}
	st, err := sqlite.Open(context.Background(), e.cfg.DataDir)
	if err != nil {
		t.Fatalf("the store is still locked after exit: %v", err)
	}
	defer st.Close()
	op, err := st.GetOp(context.Background(), 1)
	if err != nil || op.State != store.Succeeded {
		t.Fatalf("journal: %+v, %v", op, err)
	}
	if strings.Contains(logs.String(), "SECRET") {
		t.Error("a secret reached the log")
	}
}

// TestShutdownWaitsForCancelledWorkBeforeClosingTheStore: a pause whose
// PATCH stalls past the drain bound is cancelled, and Run returns (and
// closes the store) only after the handler has returned, so its journal
// writes never meet a closed store.
func TestShutdownWaitsForCancelledWorkBeforeClosingTheStore(t *testing.T) {
	e := newEnvWithoutBot(t)
	e.opts.SlackDrainTimeout = 100 * time.Millisecond
	// The handler is held just after its cancelled PATCH returns, before
	// it journals the outcome: a handler still writing.
	failed, release := make(chan struct{}), make(chan struct{})
	waiting := make(chan struct{})
	var failedOnce, releaseOnce, waitingOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	defer unblock()
	e.logHook = func(r slog.Record) {
		switch r.Message {
		case "change failed":
			failedOnce.Do(func() { close(failed) })
			<-release
		case "shutdown: waiting for cancelled handler work to return":
			waitingOnce.Do(func() { close(waiting) })
		}
	}
	e.start()
	e.admin.Inject(fakeadmin.Fault{Method: http.MethodPatch, PathContains: "/config", Stall: true})

	e.command(alice, "pause prod")
	e.channelMessage("Paus") // announced: the PATCH goes out next
	stopped := make(chan error, 1)
	go func() { stopped <- e.stop() }()
	select {
	case <-failed:
	case <-time.After(20 * time.Second):
		t.Fatal("the stalled PATCH was never cancelled")
	}
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) while a cancelled handler was still running; the store is closed under it", err)
	case <-waiting:
	case <-time.After(20 * time.Second):
		t.Fatal("Run neither returned nor waited for the handler")
	}
	unblock()
	if err := <-stopped; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if strings.Contains(e.logs.String(), "database is closed") {
		t.Errorf("a handler met a closed store:\n%s", e.logs.String())
	}
}
