package atlasapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/syncbot/syncbot/internal/retry"
)

// Sentinels for errors.Is; an *APIError matches the one for its status.
var (
	ErrUnauthorized = errors.New("atlas api: unauthorized")
	ErrForbidden    = errors.New("atlas api: forbidden")
	ErrNotFound     = errors.New("atlas api: not found")
	ErrConflict     = errors.New("atlas api: conflict")
)

// APIError is a non-2xx answer: Atlas's {error, errorCode, detail, reason}.
type APIError struct {
	Op     string
	Status int
	Code   string // errorCode, e.g. CLUSTER_NOT_FOUND
	Detail string
	// RetryAfter is the server's Retry-After hint, 0 if none.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "atlas api: %s: %d %s", e.Op, e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Code != "" {
		b.WriteString(" (code " + e.Code + ")")
	}
	return b.String()
}

// Is matches the status sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	}
	return false
}

func newAPIError(op string, status int, h http.Header, body []byte, redact ...string) *APIError {
	e := &APIError{Op: op, Status: status, RetryAfter: retry.ParseRetryAfter(h.Get("Retry-After"))}
	var wire struct {
		Detail    string `json:"detail"`
		ErrorCode string `json:"errorCode"`
		Reason    string `json:"reason"`
	}
	if json.Unmarshal(body, &wire) == nil {
		e.Code, e.Detail = clip(wire.ErrorCode, 100), clip(wire.Detail, 500)
		if e.Detail == "" {
			e.Detail = clip(wire.Reason, 500)
		}
	}
	for _, s := range redact {
		if s != "" {
			e.Detail = strings.ReplaceAll(e.Detail, s, "[redacted]")
		}
	}
	return e
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// netError is an attempt that got no HTTP answer: its outcome is unknown.
type netError struct {
	op  string
	err error
}

func (e *netError) Error() string { return "atlas api: " + e.op + ": " + e.err.Error() }
func (e *netError) Unwrap() error { return e.err }
