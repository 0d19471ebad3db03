package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The kill tests run the real cmd/bot binary, built once per test run.
// SYNC_KILL_RACE=1 builds it with -race too (slower to build and to run).
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func botBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "syncbot-kill-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "bot")
		args := []string{"build", "-o", binPath}
		if os.Getenv("SYNC_KILL_RACE") == "1" {
			args = append(args, "-race")
		}
		args = append(args, "github.com/syncbot/syncbot/cmd/bot")
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// botProc is one running bot binary.
type botProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	logs   *logBuffer
	exited chan struct{} // closed once the process is reaped
}

// startBot runs the binary with exactly env (nothing is inherited).
func startBot(t *testing.T, env []string) *botProc {
	t.Helper()
	p := &botProc{t: t, cmd: exec.Command(botBinary(t)), logs: newLogBuffer(), exited: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start the bot: %v", err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("bot (pid %d) output:\n%s", p.cmd.Process.Pid, p.logs.String())
		}
	})
	return p
}

func (p *botProc) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and returns once the process is gone (its sockets,
// database sessions and file locks with it).
func (p *botProc) kill() {
	if p.alive() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.exited
}

// terminate sends SIGTERM and checks the bot drains and exits 0.
func (p *botProc) terminate() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.t.Fatal("the bot did not exit within 30s of SIGTERM")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		p.t.Fatalf("the bot exited %d after SIGTERM", code)
	}
}

// logBuffer collects a process's JSON log lines and wakes waiters on every
// write, so tests wait for what the bot says it did instead of sleeping.
type logBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newLogBuffer() *logBuffer { return &logBuffer{changed: make(chan struct{})} }

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.changed)
	l.changed = make(chan struct{})
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// changes is closed at the next write.
func (l *logBuffer) changes() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

// records are the complete JSON lines logged so far.
func (l *logBuffer) records() []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil {
			out = append(out, rec)
		}
	}
	return out
}

// wait blocks until some record satisfies match, or ctx ends, or gone is
// closed (the process died: nothing more will be logged).
func (l *logBuffer) wait(ctx context.Context, gone <-chan struct{}, match func(map[string]any) bool) error {
	for {
		l.mu.Lock()
		ch := l.changed
		l.mu.Unlock()
		for _, r := range l.records() {
			if match(r) {
				return nil
			}
		}
		select {
		case <-ch:
		case <-gone:
			return fmt.Errorf("the process exited")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// finished matches the log line of op id reaching a final state.
func finished(id int64) func(map[string]any) bool {
	return func(r map[string]any) bool {
		return r["msg"] == "operation finished" && r["op"] == float64(id)
	}
}

// slackProxy sits between a bot binary and the fake Slack's Web API, so a
// test can act at the moment a given call arrives: kill the bot before the
// call is forwarded (Slack never sees it), or after Slack answered (the bot
// never hears back). Socket Mode itself does not pass through it.
type slackProxy struct {
	srv    *httptest.Server
	target string // the fake's API base, with a trailing slash

	mu   sync.Mutex
	hook func(method string, form url.Values) proxyAction
	kill func()
}

type proxyAction int

const (
	pass            proxyAction = iota
	dropAndKill                 // the hook kills the bot; the call never reaches Slack
	forwardThenKill             // Slack applies the call; the answer goes nowhere
)

func newSlackProxy(t *testing.T, target string) *slackProxy {
	p := &slackProxy{target: target}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		method := strings.TrimPrefix(r.URL.Path, "/api/")
		form, _ := url.ParseQuery(string(body))
		p.mu.Lock()
		hook, kill := p.hook, p.kill
		p.mu.Unlock()
		act := pass
		if hook != nil {
			act = hook(method, form)
		}
		if act == dropAndKill {
			kill()
			return
		}
		req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, p.target+method, bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		if act == forwardThenKill {
			kill()
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(answer)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// apiURL is what the bot gets as SLACK_API_URL.
func (p *slackProxy) apiURL() string { return p.srv.URL + "/api/" }

// arm sets the hook and what kills the bot; the hook is cleared after the
// first call it does not pass.
func (p *slackProxy) arm(kill func(), hook func(method string, form url.Values) proxyAction) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.kill = kill
	p.hook = func(method string, form url.Values) proxyAction {
		act := hook(method, form)
		if act != pass {
			p.mu.Lock()
			p.hook = nil
			p.mu.Unlock()
		}
		return act
	}
}
