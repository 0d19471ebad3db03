package adminapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"time"

	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/retry"
)

// RetryPolicy bounds how hard one call tries. Zero fields take the defaults.
type RetryPolicy struct {
	Attempts  int           // most attempts of one call, the first included (default 4)
	BaseDelay time.Duration // wait before the first retry, doubled for each next one (default 200ms)
	MaxDelay  time.Duration // cap on one computed wait (default 5s); a Retry-After is not capped by it
	Total     time.Duration // bound on one call from its first attempt, waits included (default 30s)
}

// policy is p with the defaults filled in. A Retry-After is honoured as
// given, however long: the Total bound is what refuses one too long.
func (p RetryPolicy) policy() retry.Policy {
	return retry.Policy{Attempts: p.Attempts, BaseDelay: p.BaseDelay, MaxDelay: p.MaxDelay, Total: p.Total}.Or(retry.Policy{
		Attempts: 4, BaseDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second, Total: 30 * time.Second,
	})
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
