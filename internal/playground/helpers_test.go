package playground_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/playground"
)

// start runs a playground for the test; its log is printed if the test
// fails.
func start(t *testing.T) *playground.Playground {
	t.Helper()
	logs := &syncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := playground.Start(ctx, playground.Options{Log: logs})
	if err != nil {
		t.Fatalf("start the playground: %v\nlog:\n%s", err, logs)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close the playground: %v", err)
		}
		if t.Failed() {
			t.Logf("playground log:\n%s", logs)
		}
		if strings.Contains(logs.String(), "panic") {
			t.Errorf("the playground's log has a panic:\n%s", logs)
		}
	})
	return p
}

// chromiumPath finds Debian's chromium. A missing browser fails the test:
// scripts/test (the README's test command, which .ci/run calls) installs it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	t.Fatal("Chromium is not installed: run the tests with scripts/test, which installs it (apt-get install chromium fonts-liberation fonts-noto-color-emoji)")
	return ""
}

// browser starts a fresh headless Chromium (its own profile in a temp
// dir) and returns a tab's context. JavaScript errors on the page fail the
// test.
func browser(t *testing.T, width, height int) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTime := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() {
		cancelTime()
		cancelTab()
		cancelAlloc() // waits for the browser to exit, before TempDir is removed
	})
	if err := chromedp.Do(ctx); err != nil { // launch it now, so a failure is clear
		t.Fatalf("start Chromium: %v", err)
	}
	var mu sync.Mutex
	var problems []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == "exception" || m.Type == "error" || m.Type == "assert" {
				mu.Lock()
				problems = append(problems, string(m.Type)+": "+m.Text)
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("the page's console: %s", p)
		}
	})
	return ctx
}

// do runs browser steps, failing the test with what was being done.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// waitJS waits until the JavaScript expression is truthy.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read the text of %s: %v", sel, err)
	}
	return s
}

func screenshot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// waitAdmin waits for a condition on the fake Admin API, re-checked on
// every call it answers.
func waitAdmin(t *testing.T, a *fakeadmin.Server, what string, cond func() bool) {
	t.Helper()
	changed := make(chan struct{}, 1)
	cancel := a.Subscribe(func(fakeadmin.Call) {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	defer cancel()
	deadline := time.After(20 * time.Second)
	for !cond() {
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("waiting for %s: timed out", what)
		}
	}
}

// patches counts the PATCHes the fake Admin API recorded for an app.
func patches(a *fakeadmin.Server, appID string) []fakeadmin.Patch {
	var out []fakeadmin.Patch
	for _, p := range a.Patches() {
		if p.AppID == appID {
			out = append(out, p)
		}
	}
	return out
}

func appID(alias string) string {
	for _, a := range playground.Apps {
		if a.Alias == alias {
			return a.ID
		}
	}
	panic("no demo app " + alias)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// shotDir is where a test saves its screenshots: the test's temp dir, or
// SYNCBOT_SCREENSHOT_DIR to keep them.
func shotDir(t *testing.T) string {
	if d := os.Getenv("SYNCBOT_SCREENSHOT_DIR"); d != "" {
		return d
	}
	return t.TempDir()
}
