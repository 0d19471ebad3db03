package slackbot

import (
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// RetryPolicy bounds how Web API calls (and response_url posts) are
// retried. Zero fields take the defaults. Every wait ends early when the
// call's ctx does.
//
//   - 429: after Slack's Retry-After (at least 1 s, plus a little jitter so
//     replicas do not come back in step). A Retry-After above MaxRetryAfter
//     is not waited for: the call fails at once, and the message is shown
//     from the journal on the next chance instead of holding a worker.
//   - 5xx other than 501: after a backoff that doubles from BaseDelay up to
//     MaxDelay.
//   - a network error: after the same backoff, except that a call which
//     posts something new (chat.postMessage, chat.postEphemeral, a
//     response_url) is retried only when it cannot have reached Slack (the
//     connection was never made): a post that may have landed is not sent
//     twice.
//
// Slack's own errors in a 200 answer ("not_in_channel", …) are answers,
// not faults, and are never retried.
type RetryPolicy struct {
	Retries       int           // most retries after the first attempt (default 3)
	BaseDelay     time.Duration // first backoff (default 250ms)
	MaxDelay      time.Duration // cap on one backoff (default 4s)
	MaxRetryAfter time.Duration // longest Retry-After waited for (default 30s)
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Retries <= 0 {
		p.Retries = 3
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 250 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 4 * time.Second
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 30 * time.Second
	}
	return p
}

// retryConfig is p as slack-go's retrying HTTP client takes it.
func (p RetryPolicy) retryConfig(apiURL string, log *slog.Logger) slack.RetryConfig {
	return slack.RetryConfig{
		MaxRetries: p.Retries,
		Handlers:   []slack.RetryHandler{&retryHandler{p: p, apiURL: apiURL, log: log}},
	}
}

// retryHandler is RetryPolicy as a slack.RetryHandler.
type retryHandler struct {
	p      RetryPolicy
	apiURL string
	log    *slog.Logger
}

// ShouldRetry implements slack.RetryHandler.
func (h *retryHandler) ShouldRetry(state *slack.RetryState, req *http.Request, resp *http.Response, err error) (bool, time.Duration) {
	if state.Attempt >= state.MaxRetries || req.Context().Err() != nil {
		return false, 0
	}
	method := h.method(req)
	var wait time.Duration
	var why string
	switch {
	case resp != nil && resp.StatusCode == http.StatusTooManyRequests:
		wait = retryAfter(resp.Header.Get("Retry-After"))
		if wait > h.p.MaxRetryAfter {
			h.log.Warn("slack web api: rate limited for longer than syncbot waits; giving up on this call",
				"method", method, "retry_after", wait)
			return false, 0
		}
		wait += rand.N(250 * time.Millisecond)
		why = "rate limited (429)"
	case resp != nil && resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		wait, why = h.p.backoff(state.Attempt), "HTTP "+strconv.Itoa(resp.StatusCode)
	case resp == nil && err != nil:
		if !idempotent(method) && !neverSent(err) {
			return false, 0
		}
		wait, why = h.p.backoff(state.Attempt), "network error"
	default:
		return false, 0
	}
	h.log.Warn("slack web api: retrying", "method", method, "why", why, "attempt", state.Attempt+2, "wait", wait)
	return true, wait
}

// method names a call for logs and for the retry rule: the Web API method,
// or "response_url" (the URL itself is a capability and never logged).
func (h *retryHandler) method(req *http.Request) string {
	u := req.URL.String()
	if m, ok := strings.CutPrefix(u, h.apiURL); ok {
		m, _, _ = strings.Cut(m, "?")
		return m
	}
	return "response_url"
}

// idempotent reports whether sending method twice does no more than once.
func idempotent(method string) bool {
	switch method {
	case "chat.postMessage", "chat.postEphemeral", "response_url":
		return false
	}
	return true
}

// neverSent reports whether err means the request cannot have reached the
// server: the connection was never made.
func neverSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// backoff is the wait before retry n+1 (n = 0 for the first): BaseDelay
// doubled n times, capped at MaxDelay, then jittered down into [d/2, d].
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.BaseDelay
	for range n {
		if d >= p.MaxDelay {
			break
		}
		d *= 2
	}
	d = min(d, p.MaxDelay)
	return d/2 + rand.N(d/2+1)
}

// retryAfter reads Retry-After in seconds; missing, zero or unreadable
// means 1 s, Slack's shortest.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return time.Second
	}
	return time.Duration(n) * time.Second
}
