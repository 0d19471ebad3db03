package slackbot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// TestRetryPolicy is the retry rule as a table: what is retried, after how
// long, and what is not.
func TestRetryPolicy(t *testing.T) {
	const api = "https://slack.test/api/"
	p := RetryPolicy{}.withDefaults()
	h := &retryHandler{p: p, apiURL: api, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	status := func(code int, retryAfter string) *http.Response {
		r := &http.Response{StatusCode: code, Header: http.Header{}}
		if retryAfter != "" {
			r.Header.Set("Retry-After", retryAfter)
		}
		return r
	}
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	reset := &url.Error{Op: "Post", URL: api, Err: &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}}
	tests := []struct {
		name     string
		target   string // a Web API method, or a URL
		attempt  int
		resp     *http.Response
		err      error
		retry    bool
		min, max time.Duration
	}{
		{"429 waits Retry-After", "chat.update", 0, status(429, "3"), nil, true, 3 * time.Second, 3250 * time.Millisecond},
		{"429 without Retry-After waits 1s", "chat.postMessage", 0, status(429, ""), nil, true, time.Second, 1250 * time.Millisecond},
		{"429 with Retry-After 0 waits 1s", "chat.postMessage", 0, status(429, "0"), nil, true, time.Second, 1250 * time.Millisecond},
		{"429 longer than we wait fails now", "chat.postMessage", 0, status(429, "31"), nil, false, 0, 0},
		{"503 backs off", "chat.postMessage", 0, status(503, ""), nil, true, 125 * time.Millisecond, 250 * time.Millisecond},
		{"500 backs off more the second time", "chat.update", 1, status(500, ""), nil, true, 250 * time.Millisecond, 500 * time.Millisecond},
		{"backoff is capped", "chat.update", 2, status(502, ""), nil, true, 500 * time.Millisecond, time.Second},
		{"501 is an answer", "chat.update", 0, status(501, ""), nil, false, 0, 0},
		{"404 is an answer", "response_url", 0, status(404, ""), nil, false, 0, 0},
		{"200 is an answer", "chat.update", 0, status(200, ""), nil, false, 0, 0},
		{"no retries left", "chat.update", 3, status(503, ""), nil, false, 0, 0},
		{"dial error: never sent, so a post is retried", "chat.postMessage", 0, nil, dial, true, 125 * time.Millisecond, 250 * time.Millisecond},
		{"reset: a post may have landed, not resent", "chat.postMessage", 0, nil, reset, false, 0, 0},
		{"reset: an ephemeral may have landed, not resent", "chat.postEphemeral", 0, nil, reset, false, 0, 0},
		{"reset: a response_url post may have landed, not resent", "https://hooks.slack.test/commands/T1/1/x", 0, nil, reset, false, 0, 0},
		{"reset: an update is resent", "chat.update", 0, nil, reset, true, 125 * time.Millisecond, 250 * time.Millisecond},
		{"reset: a lookup is resent", "usergroups.users.list", 0, nil, reset, true, 125 * time.Millisecond, 250 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := tt.target
			if !strings.HasPrefix(target, "https://") {
				target = api + target
			}
			req, _ := http.NewRequest(http.MethodPost, target, nil)
			retry, wait := h.ShouldRetry(&slack.RetryState{Attempt: tt.attempt, MaxRetries: p.Retries}, req, tt.resp, tt.err)
			if retry != tt.retry || wait < tt.min || wait > tt.max {
				t.Errorf("ShouldRetry = %v, %v; want %v, in [%v, %v]", retry, wait, tt.retry, tt.min, tt.max)
			}
		})
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, api+"chat.update", nil)
	if retry, _ := h.ShouldRetry(&slack.RetryState{MaxRetries: p.Retries}, req, status(503, ""), nil); retry {
		t.Error("a call whose ctx is done is retried")
	}
}
