// Package retry is what syncbot's HTTP clients (the Admin API client and
// the Slack Web API wrapper) share about retrying a failed call: a policy
// as data, the doubling backoff with jitter, Retry-After parsing, and the
// decision "try again after this long, or give up".
//
// Which failures may be retried at all stays with each client: only it
// knows which of its calls are safe to send twice.
package retry

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Policy bounds how hard one call tries. A zero field means "none" where
// that makes sense (MaxRetryAfter, AfterJitter, Total); clients fill the
// others with Or.
type Policy struct {
	Attempts  int           // most attempts of one call, the first included
	BaseDelay time.Duration // wait before the first retry, doubled for each next one
	MaxDelay  time.Duration // cap on one computed wait; a Retry-After is not capped by it
	// MaxRetryAfter is the longest Retry-After waited for: a longer one
	// gives up at once rather than hold the caller (0: any).
	MaxRetryAfter time.Duration
	// AfterJitter is the most random time added to a Retry-After, so that
	// replicas told the same time do not come back in step (0: honoured
	// to the letter).
	AfterJitter time.Duration
	// Total bounds one call from its first attempt, waits included; a wait
	// that would end past it is not started (0: no bound). Only a Budget
	// knows when the call began, so only it applies Total.
	Total time.Duration
}

// Or returns p with every zero or negative field taken from d.
func (p Policy) Or(d Policy) Policy {
	return Policy{
		Attempts:      or(p.Attempts, d.Attempts),
		BaseDelay:     or(p.BaseDelay, d.BaseDelay),
		MaxDelay:      or(p.MaxDelay, d.MaxDelay),
		MaxRetryAfter: or(p.MaxRetryAfter, d.MaxRetryAfter),
		AfterJitter:   or(p.AfterJitter, d.AfterJitter),
		Total:         or(p.Total, d.Total),
	}
}

func or[T int | time.Duration](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

// Why a call gives up; Next returns one of these instead of a wait.
var (
	ErrAttempts   = errors.New("retry: no attempts left")
	ErrRetryAfter = errors.New("retry: Retry-After is longer than the policy waits")
	ErrTotal      = errors.New("retry: the wait would end past the call's total bound")
)

// Backoff is the wait before retry number n (1 for the first retry):
// BaseDelay doubled n-1 times, capped at MaxDelay, then jittered down to
// somewhere in [d/2, d] so that replicas hit by the same outage do not
// retry in step.
func (p Policy) Backoff(n int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	half := d / 2
	return half + rand.N(d-half+1)
}

// Next decides, after failed attempts (1 after the first), whether to try
// again and after how long. retryAfter is the server's Retry-After (0 when
// it sent none): it replaces the backoff and is honoured as given, plus
// AfterJitter. The error says why not (ErrAttempts, ErrRetryAfter).
func (p Policy) Next(failed int, retryAfter time.Duration) (time.Duration, error) {
	if failed >= p.Attempts {
		return 0, ErrAttempts
	}
	if retryAfter <= 0 {
		return p.Backoff(failed), nil
	}
	if p.MaxRetryAfter > 0 && retryAfter > p.MaxRetryAfter {
		return 0, ErrRetryAfter
	}
	if p.AfterJitter > 0 {
		retryAfter += rand.N(p.AfterJitter)
	}
	return retryAfter, nil
}

// Budget is one call's attempts against a Policy, for a caller that runs
// its own loop (a slack-go RetryHandler is told the attempt instead).
type Budget struct {
	p        Policy
	deadline time.Time // zero: no Total
	failed   int
}

// Begin starts a call at now.
func (p Policy) Begin(now time.Time) *Budget {
	b := &Budget{p: p}
	if p.Total > 0 {
		b.deadline = now.Add(p.Total)
	}
	return b
}

// Attempts is how many attempts have failed so far.
func (b *Budget) Attempts() int { return b.failed }

// Next records a failed attempt and says how long to wait before the next
// one, or why not. A wait that would end past the Total bound gives up now
// (ErrTotal) rather than wait for a retry it may not make.
func (b *Budget) Next(now time.Time, retryAfter time.Duration) (time.Duration, error) {
	b.failed++
	wait, err := b.p.Next(b.failed, retryAfter)
	if err != nil {
		return 0, err
	}
	if !b.deadline.IsZero() && now.Add(wait).After(b.deadline) {
		return 0, ErrTotal
	}
	return wait, nil
}

// ParseRetryAfter reads Retry-After in its delta-seconds form; 0 means
// none, zero, negative or unreadable. The HTTP-date form reads as 0: it
// would need the server's clock to agree with ours, and neither Slack nor
// the Admin API sends it. Absurd values are capped at a day, so the result
// cannot overflow and a MaxRetryAfter still refuses it.
func ParseRetryAfter(v string) time.Duration {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	const most = int64(24 * time.Hour / time.Second)
	return time.Duration(min(n, most)) * time.Second
}
