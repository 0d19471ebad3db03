package playground_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/playground"
)

// stream is one page's event stream, read frame by frame.
type stream struct {
	t      *testing.T
	frames chan sseFrame
}

type sseFrame struct{ event, data string }

func openStream(t *testing.T, p *playground.Playground, as string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL()+"/events?as="+as, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("open the event stream: %v", err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("event stream: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	s := &stream{t: t, frames: make(chan sseFrame, 1024)}
	go func() {
		defer resp.Body.Close()
		defer close(s.frames)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 8<<20)
		var f sseFrame
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				f.event = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				f.data = line[len("data: "):]
			case line == "" && f.event != "":
				s.frames <- f
				f = sseFrame{}
			}
		}
	}()
	return s
}

// next returns the next frame's HTML (every fragment in it, joined).
func (s *stream) next() (event, html string) {
	s.t.Helper()
	select {
	case f, ok := <-s.frames:
		if !ok {
			s.t.Fatal("the event stream ended")
		}
		switch f.event {
		case "hello":
			var h map[string]string
			if err := json.Unmarshal([]byte(f.data), &h); err != nil {
				s.t.Fatalf("hello %s: %v", f.data, err)
			}
			return "hello", h["timeline"] + h["apps"] + h["calls"] + h["controls"]
		case "op":
			var ops []struct{ Op, Target, HTML string }
			if err := json.Unmarshal([]byte(f.data), &ops); err != nil {
				s.t.Fatalf("op %s: %v", f.data, err)
			}
			var b strings.Builder
			for _, o := range ops {
				b.WriteString(o.HTML)
			}
			return "op", b.String()
		}
		s.t.Fatalf("unknown event %q", f.event)
	case <-time.After(20 * time.Second):
		s.t.Fatal("no event within 20 s")
	}
	return "", ""
}

// until reads frames until one's HTML contains every want, and returns
// everything read up to and including it.
func (s *stream) until(want ...string) string {
	s.t.Helper()
	var seen strings.Builder
	for {
		_, h := s.next()
		seen.WriteString(h)
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(h, w)
		}
		if ok {
			return seen.String()
		}
	}
}

func postJSON(t *testing.T, p *playground.Playground, path string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(p.URL()+path, "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("POST %s answered %d with non-JSON %q", path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// TestEventStreamShowsEachPersonTheirOwn: the page's stream starts with the
// whole state, then live fragments; an ephemeral reply goes only to the
// person it is for.
func TestEventStreamShowsEachPersonTheirOwn(t *testing.T) {
	p := start(t)
	alice := openStream(t, p, playground.Alice)
	bob := openStream(t, p, playground.Bob)
	if ev, h := alice.next(); ev != "hello" || !strings.Contains(h, `data-app="prod" data-state="running"`) || !strings.Contains(h, "socket connected") {
		t.Fatalf("first frame: %s %s", ev, h)
	}
	if ev, _ := bob.next(); ev != "hello" {
		t.Fatalf("bob's first frame is %s", ev)
	}

	if code, out := postJSON(t, p, "/api/command", map[string]string{"as": playground.Alice, "text": "/sync status prod"}); code != 200 || out["ok"] != true {
		t.Fatalf("command: %d %v", code, out)
	}
	got := alice.until("Only visible to you", "Device Sync is")
	if !strings.Contains(got, `class="slash">/sync status prod</span>`) {
		t.Errorf("alice's stream did not show her typed command first:\n%s", got)
	}

	// Something everyone sees, after the ephemeral: bob gets it, and did
	// not get alice's reply before it.
	if code, out := postJSON(t, p, "/api/control", map[string]any{"control": "advance", "minutes": 5}); code != 200 {
		t.Fatalf("advance: %d %v", code, out)
	}
	got = bob.until("The clock jumped ahead 5 min")
	if strings.Contains(got, "Only visible to you") || strings.Contains(got, "Device Sync is") || strings.Contains(got, "/sync status prod") {
		t.Errorf("bob saw alice's private messages:\n%s", got)
	}
	if off := p.Clock.Offset(); off != 5*time.Minute {
		t.Errorf("clock offset = %v, want 5m", off)
	}

	// A fresh page for alice gets everything she saw so far in its hello.
	again := openStream(t, p, playground.Alice)
	if _, h := again.next(); !strings.Contains(h, "Device Sync is") || !strings.Contains(h, "The clock jumped ahead 5 min") {
		t.Errorf("a new page's hello lacks the history:\n%s", h)
	}
}

// TestHostileTextStaysInert: what a person types reaches the page as
// text, never as markup, through the bot's escaping and the renderer.
func TestHostileTextStaysInert(t *testing.T) {
	p := start(t)
	alice := openStream(t, p, playground.Alice)
	alice.next()
	evil := `<script>alert(1)</script> <!channel> <@UBOB> & <http://evil.example|Approve>`
	if code, out := postJSON(t, p, "/api/command", map[string]string{"as": playground.Alice, "text": "/sync pause staging " + evil}); code != 200 {
		t.Fatalf("command: %d %v", code, out)
	}
	got := alice.until("Only visible to you", "staging") // staging is paused already: a private answer
	if strings.Contains(got, "<script") || strings.Contains(got, `href="http://evil`) || strings.Contains(got, `class="bk-mention bk-broadcast"`) {
		t.Errorf("typed markup became HTML:\n%s", got)
	}
	if code, _ := postJSON(t, p, "/api/command", map[string]string{"as": playground.Alice, "text": "/sync pause prod " + evil}); code != 200 {
		t.Fatal("second command failed")
	}
	got = alice.until(`class="msg-updated"`) // the channel post, updated in place with the outcome
	if !strings.Contains(got, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(got, "&lt;!channel&gt;") || strings.Contains(got, "<script") || strings.Contains(got, `data-user="UBOB"`) {
		t.Errorf("the reason is not shown as typed text:\n%s", got)
	}
}

// TestAPIAnswersPlainly: bad input gets a short JSON error a person can
// read, never a stack trace; an unknown slash command gets Slack's notice.
func TestAPIAnswersPlainly(t *testing.T) {
	p := start(t)
	for _, tc := range []struct {
		path string
		body any
		want string
	}{
		{"/api/command", map[string]string{"as": "UEVE", "text": "/sync help"}, "Unknown person"},
		{"/api/command", map[string]string{"as": playground.Alice, "text": "hello"}, "Only slash commands"},
		{"/api/command", map[string]string{"as": playground.Alice, "text": "  "}, "Type a command"},
		{"/api/click", map[string]string{"as": playground.Bob}, "no message"},
		{"/api/click", map[string]string{"as": playground.Bob, "ts": "1.2", "action_id": "approve"}, "could not be sent"},
		{"/api/control", map[string]any{"control": "advance", "minutes": -3}, "1 minute to 7 days"},
		{"/api/control", map[string]any{"control": "reboot"}, "Unknown control"},
		{"/api/control", "not an object", "not the JSON"},
	} {
		code, out := postJSON(t, p, tc.path, tc.body)
		msg, _ := out["error"].(string)
		if code < 400 || code >= 500 || out["ok"] != false || !strings.Contains(msg, tc.want) {
			t.Errorf("POST %s %v = %d %v, want a 4xx saying %q", tc.path, tc.body, code, out, tc.want)
		}
		for _, bad := range []string{"goroutine", "panic", ".go:", "runtime."} {
			if strings.Contains(msg, bad) {
				t.Errorf("error %q looks like a stack trace", msg)
			}
		}
	}

	alice := openStream(t, p, playground.Alice)
	alice.next()
	if code, _ := postJSON(t, p, "/api/command", map[string]string{"as": playground.Alice, "text": "/deploy prod"}); code != 200 {
		t.Fatalf("unknown command: %d", code)
	}
	alice.until("Slackbot", "/deploy is not a valid command")

	resp, err := http.Get(p.URL() + "/api/command")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/command = %d", resp.StatusCode)
	}
	resp, err = http.Get(p.URL() + "/events?as=nobody")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("events for nobody = %d", resp.StatusCode)
	}
}

// TestControlsWorkTheFakes: slow and failing reach the fake Admin API and
// the page; the bot reports a failing Admin API in the channel.
func TestControlsWorkTheFakes(t *testing.T) {
	p := start(t)
	page := openStream(t, p, playground.Alice)
	page.next()

	postJSON(t, p, "/api/control", map[string]string{"control": "failing"})
	page.until(`data-control="failing" aria-pressed="true"`)
	postJSON(t, p, "/api/command", map[string]string{"as": playground.Alice, "text": "/sync status legacy"})
	page.until("503")                           // the calls panel shows the failures
	page.until("legacy", "Only visible to you") // and the bot answers
	postJSON(t, p, "/api/control", map[string]string{"control": "failing"})
	page.until(`data-control="failing" aria-pressed="false"`)

	postJSON(t, p, "/api/control", map[string]string{"control": "slow"})
	page.until(`data-control="slow" aria-pressed="true"`, "✓ Slow")
	start := time.Now()
	postJSON(t, p, "/api/command", map[string]string{"as": playground.Alice, "text": "/sync status staging"})
	page.until("staging", "Only visible to you")
	if d := time.Since(start); d < 2*time.Second {
		t.Errorf("status with a slow Admin API took %v, want at least 2 s", d)
	}
	postJSON(t, p, "/api/control", map[string]string{"control": "slow"})
	page.until(`data-control="slow" aria-pressed="false"`)
}
