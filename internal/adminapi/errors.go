package adminapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/syncbot/syncbot/internal/retry"
)

// Sentinels for errors.Is. An *APIError matches the one for its status.
var (
	ErrNotFound     = errors.New("admin api: not found")
	ErrUnauthorized = errors.New("admin api: unauthorized")
	ErrForbidden    = errors.New("admin api: forbidden")

	// ErrSyncNotConfigured means the app has no linked cluster, or its
	// service config carries neither a flexible_sync nor a sync object. Since
	// Device Sync's end of life this is also what a removed feature looks
	// like, so the text says both. It is meant to be shown to users as is.
	ErrSyncNotConfigured = errors.New("Device Sync is not configured (or no longer available) for this app") //nolint:staticcheck // user-facing sentence, worded by the design
)

// Error-body limits. The body is read through maxErrorBody (as go-github
// does) so a misbehaving proxy cannot make us buffer an unbounded page;
// the text kept from it is capped so it fits in a Slack message.
const (
	maxErrorBody   = 1 << 20
	maxRawMessage  = 200  // a non-JSON body: usually an HTML error page
	maxJSONMessage = 1000 // the API's own "error" text
)

// APIError is a non-2xx answer from the Admin API.
type APIError struct {
	Op      string // what the client was doing, e.g. "get sync config"
	Status  int    // HTTP status code
	Code    string // the API's error_code, e.g. "InvalidSession"; may be empty
	Message string // the API's error text, or the status text for an empty body
	// RetryAfter is the server's Retry-After hint (429/503), 0 if none.
	RetryAfter time.Duration
}

// Error reads like "admin api: get sync config: 403 Forbidden: <message> (code X)".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "admin api: %s: %d", e.Op, e.Status)
	if t := http.StatusText(e.Status); t != "" {
		b.WriteString(" " + t)
	}
	if e.Message != "" && e.Message != http.StatusText(e.Status) {
		b.WriteString(": " + e.Message)
	}
	if e.Code != "" {
		b.WriteString(" (code " + e.Code + ")")
	}
	if e.RetryAfter > 0 {
		b.WriteString(" (retry after " + e.RetryAfter.String() + ")")
	}
	return b.String()
}

// Is lets errors.Is match the status sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	}
	return false
}

// codeInvalidSession is the error_code that means "refresh your token"
// (realm-cli refreshes on it whatever the status; adminapi.md 2.4).
const codeInvalidSession = "InvalidSession"

// newAPIError builds an *APIError from an answer whose body was read through
// maxErrorBody. redact lists values that must never reach the text: for the
// auth calls, the keys and tokens, in case a server ever echoes them.
func newAPIError(op string, status int, header http.Header, body []byte, redact ...string) *APIError {
	e := &APIError{Op: op, Status: status, RetryAfter: retry.ParseRetryAfter(header.Get("Retry-After"))}
	text := strings.TrimSpace(string(body))
	var wire struct {
		Error     string `json:"error"`
		ErrorCode string `json:"error_code"`
	}
	// Redact before cutting: a secret straddling the cut would otherwise
	// keep its prefix, no longer matching the whole value.
	switch {
	case text == "":
		e.Message = http.StatusText(status)
	case json.Unmarshal(body, &wire) == nil && (wire.Error != "" || wire.ErrorCode != ""):
		e.Message = capText(redactAll(strings.TrimSpace(wire.Error), redact), maxJSONMessage)
		e.Code = capText(redactAll(wire.ErrorCode, redact), 100)
	default:
		// Not our JSON shape (an HTML page from a proxy, or a body cut by
		// the limit): keep the start of the raw text, as realm-cli does.
		e.Message = capText(redactAll(text, redact), maxRawMessage)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// redactAll replaces every non-empty value of secrets in s.
func redactAll(s string, secrets []string) string {
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}

// capText cuts s to at most n runes, marking the cut, without splitting a
// UTF-8 sequence.
func capText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return strings.TrimSpace(s[:pos]) + "…"
		}
		i++
	}
	return s
}

// netError is a call that got no HTTP answer: a transport failure or the
// per-attempt timeout. Its outcome is unknown to the client.
type netError struct {
	op  string
	err error
}

func (e *netError) Error() string { return "admin api: " + e.op + ": " + e.err.Error() }
func (e *netError) Unwrap() error { return e.err }

// opError names the operation on an error that does not already name it.
func opError(op string, err error) error {
	var apiErr *APIError
	var nErr *netError
	if errors.As(err, &apiErr) || errors.As(err, &nErr) {
		return err
	}
	return fmt.Errorf("admin api: %s: %w", op, err)
}
