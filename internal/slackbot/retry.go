package slackbot

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/retry"
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
	d := p.policy()
	return RetryPolicy{Retries: d.Attempts - 1, BaseDelay: d.BaseDelay, MaxDelay: d.MaxDelay, MaxRetryAfter: d.MaxRetryAfter}
}

// policy is p with the defaults filled in, as package retry takes it. A
// Retry-After gets up to 250ms of jitter, so replicas do not come back in
// step.
func (p RetryPolicy) policy() retry.Policy {
	attempts := 0 // unset: the default
	if p.Retries > 0 {
		attempts = 1 + p.Retries
	}
	return retry.Policy{Attempts: attempts, BaseDelay: p.BaseDelay, MaxDelay: p.MaxDelay, MaxRetryAfter: p.MaxRetryAfter}.Or(retry.Policy{
		Attempts: 1 + 3, BaseDelay: 250 * time.Millisecond, MaxDelay: 4 * time.Second,
		MaxRetryAfter: 30 * time.Second, AfterJitter: 250 * time.Millisecond,
	})
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

// ShouldRetry implements slack.RetryHandler. state.Attempt counts the
// retries already made, so this failure is attempt state.Attempt+1.
func (h *retryHandler) ShouldRetry(state *slack.RetryState, req *http.Request, resp *http.Response, err error) (bool, time.Duration) {
	if state.Attempt >= state.MaxRetries || req.Context().Err() != nil {
		return false, 0
	}
	method := h.method(req)
	var retryAfter time.Duration
	var why string
	switch {
	case resp != nil && resp.StatusCode == http.StatusTooManyRequests:
		// Missing, zero or unreadable means 1 s, Slack's shortest.
		retryAfter = max(retry.ParseRetryAfter(resp.Header.Get("Retry-After")), time.Second)
		why = "rate limited (429)"
	case resp != nil && resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		why = "HTTP " + strconv.Itoa(resp.StatusCode)
	case resp == nil && err != nil:
		if !idempotent(method) && !neverSent(err) {
			return false, 0
		}
		why = "network error"
	default:
		return false, 0
	}
	wait, stop := h.p.policy().Next(state.Attempt+1, retryAfter)
	if errors.Is(stop, retry.ErrRetryAfter) {
		h.log.Warn("slack web api: rate limited for longer than syncbot waits; giving up on this call",
			"method", method, "retry_after", retryAfter)
	}
	if stop != nil {
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
