package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPrintsAddressAndStopsCleanly is the README's promise: the address is
// printed within 5 seconds, the page answers, and cancelling (Ctrl-C) stops
// everything with exit code 0.
func TestPrintsAddressAndStopsCleanly(t *testing.T) {
	logDir := tempLogDir(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	began := time.Now()
	go func() {
		code := run(ctx, []string{"-addr", "127.0.0.1:0"}, outW, &stderr)
		outW.Close()
		done <- code
	}()

	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var first string
	select {
	case first = <-lines:
	case <-time.After(5 * time.Second):
		t.Fatalf("no address within 5 s; stderr: %s", stderr.String())
	}
	m := regexp.MustCompile(`^syncbot playground: (http://127\.0\.0\.1:\d+)$`).FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("first line = %q", first)
	}
	t.Logf("address printed after %v", time.Since(began))
	var logLine string
	for logLine == "" {
		select {
		case l := <-lines:
			if rest, ok := strings.CutPrefix(l, "  the bot's log: "); ok {
				logLine = rest
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no log file named")
		}
	}
	if !strings.HasPrefix(logLine, logDir+"/syncbot-playground-") {
		t.Errorf("the log file is not in the temp dir %s: %s", logDir, logLine)
	}

	resp, err := http.Get(m[1])
	if err != nil {
		t.Fatalf("GET the page: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "# ops") || !strings.Contains(string(body), "/static/app.js") {
		t.Fatalf("page: %d %.200s", resp.StatusCode, body)
	}
	for _, asset := range []string{"/static/app.js", "/static/app.css"} {
		resp, err := http.Get(m[1] + asset)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", asset, err, resp)
		}
		resp.Body.Close()
	}

	cancel() // Ctrl-C
	go func() {
		for range lines { // keep the pipe drained
		}
	}()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d; stderr: %s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop within 30 s of Ctrl-C")
	}
	if _, err := http.Get(m[1]); err == nil {
		t.Error("the page still answers after stopping")
	}
}

func TestBadFlag(t *testing.T) {
	var stderr strings.Builder
	if code := run(context.Background(), []string{"-nope"}, io.Discard, &stderr); code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "-addr") {
		t.Errorf("usage not printed: %s", stderr.String())
	}
}

func TestBadAddress(t *testing.T) {
	tempLogDir(t)
	var stderr strings.Builder
	if code := run(context.Background(), []string{"-addr", "256.0.0.1:99999"}, io.Discard, &stderr); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "playground: listen on") || strings.Contains(stderr.String(), "goroutine") {
		t.Errorf("stderr: %s", stderr.String())
	}
}

// tempLogDir points the temp dir, where run puts the bot's log file without
// -v, at the test's own, so no test run leaves a log file behind.
func tempLogDir(t *testing.T) string {
	d := t.TempDir()
	t.Setenv("TMPDIR", d)
	return d
}
