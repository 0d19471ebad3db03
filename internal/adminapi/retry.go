package adminapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/syncbot/syncbot/internal/clock"
)

// RetryPolicy bounds how hard one call tries. Zero fields take the defaults.
type RetryPolicy struct {
	Attempts  int           // most attempts of one call, the first included (default 4)
	BaseDelay time.Duration // wait before the first retry, doubled for each next one (default 200ms)
	MaxDelay  time.Duration // cap on one computed wait (default 5s); a Retry-After is not capped by it
	Total     time.Duration // bound on one call from its first attempt, waits included (default 30s)
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 4
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 200 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 5 * time.Second
	}
	if p.Total <= 0 {
		p.Total = 30 * time.Second
	}
	return p
}

// backoff is the wait before retry number n (1 for the first retry):
// BaseDelay doubled n-1 times, capped at MaxDelay, then jittered down to
// somewhere in [d/2, d] so that replicas hit by the same outage do not retry
// in step.
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	half := d / 2
	return half + rand.N(d-half+1)
}

// verdict is what to do after a failed attempt.
type verdict int

const (
	// stop: the answer is definite (or retrying cannot help); return it.
	stop verdict = iota
	// again: the call is safe to send again (idempotent, or never processed).
	again
	// readBack: a state change whose outcome is unknown; read the state
	// before deciding to send it again.
	readBack
)

func (v verdict) String() string {
	switch v {
	case again:
		return "again"
	case readBack:
		return "readBack"
	}
	return "stop"
}

// classify is the retry policy. idempotent calls (GETs, and the login and
// refresh POSTs, which only mint a new session) are retried on network
// errors, 429 and 5xx other than 501. A non-idempotent call (the config
// PATCH) is never blindly resent: when the server may or may not have
// applied it, the caller reads the state back first. 501 and every other
// 4xx are definite answers. The parent context being done is checked by
// the caller before this.
func classify(idempotent bool, err error) verdict {
	var f final
	if errors.As(err, &f) {
		return stop
	}
	unknown := readBack
	if idempotent {
		unknown = again
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		switch s := apiErr.Status; {
		case s == http.StatusTooManyRequests:
			// Rate limited means not processed, but reading back first
			// costs one GET and keeps the PATCH rule simple: never resend
			// without looking.
			return unknown
		case s >= 500 && s != http.StatusNotImplemented:
			return unknown
		default:
			return stop
		}
	}
	var nErr *netError
	if errors.As(err, &nErr) {
		if permanentNetError(nErr.err) {
			return stop
		}
		return unknown
	}
	return stop
}

// final marks an error that must not be retried by an outer loop, because
// the inner one (a login under a GET) already spent the policy on it.
type final struct{ error }

func (f final) Unwrap() error { return f.error }

// permanentNetError reports transport failures that will fail the same way
// on every attempt: a certificate the system does not trust.
func permanentNetError(err error) bool {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknownAuthority) || errors.As(err, &hostname) || errors.As(err, &verify)
}

// budget tracks one call's attempts against the policy.
type budget struct {
	p        RetryPolicy
	deadline time.Time
	attempts int // attempts made so far
}

func (p RetryPolicy) begin(now time.Time) *budget {
	return &budget{p: p, deadline: now.Add(p.Total)}
}

// next records a failed attempt and says how long to wait before the next
// one, or false when the policy is spent. A server's Retry-After is honoured
// as given; if it (or the backoff) would end past the total bound, the call
// gives up now rather than wait for a retry it may not make.
func (b *budget) next(now time.Time, retryAfter time.Duration) (time.Duration, bool) {
	b.attempts++
	if b.attempts >= b.p.Attempts {
		return 0, false
	}
	wait := b.p.backoff(b.attempts)
	if retryAfter > 0 {
		wait = retryAfter
	}
	if now.Add(wait).After(b.deadline) {
		return 0, false
	}
	return wait, true
}

// parseRetryAfter reads Retry-After in its delta-seconds form. The HTTP-date
// form is ignored (the backoff applies): no Admin API source shows the header
// at all, and a date would need the server's clock to agree with ours.
func parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	const most = int64(24 * time.Hour / time.Second)
	return time.Duration(min(n, most)) * time.Second
}

// sleep waits d on clk unless ctx ends first.
func sleep(ctx context.Context, clk clock.Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-clk.After(d):
		return nil
	}
}
