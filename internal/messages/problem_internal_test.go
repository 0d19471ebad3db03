package messages

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/syncbot/syncbot/internal/adminapi"
)

// TestProblemEndsASentence: every text Problem gives ends with a
// full stop, so "… Nothing was changed." never runs into it, and the
// Admin API's own words are shown inert.
func TestProblemEndsASentence(t *testing.T) {
	timeout := &net.OpError{Op: "read", Net: "tcp", Err: timeoutErr{}}
	for name, err := range map[string]error{
		"draft":           adminapi.ErrDraftOpen,
		"outcome unknown": fmt.Errorf("x: %w", adminapi.ErrOutcomeUnknown),
		"not found":       adminapi.ErrNotFound,
		"sync gone":       adminapi.ErrSyncNotConfigured,
		"forbidden":       adminapi.ErrForbidden,
		"unauthorized":    adminapi.ErrUnauthorized,
		"deadline":        context.DeadlineExceeded,
		"cancelled":       context.Canceled,
		"503 bare":        &adminapi.APIError{Status: 503, Message: "service temporarily unavailable"},
		"503 with a stop": &adminapi.APIError{Status: 503, Message: "Service unavailable. "},
		"500 empty":       &adminapi.APIError{Status: 500},
		"500 long":        &adminapi.APIError{Status: 500, Message: strings.Repeat("x", 400)},
		"400 hostile":     &adminapi.APIError{Status: 400, Message: "bad <!channel> & <http://evil|here>"},
		"network":         &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")},
		"network timeout": timeout,
		"something else":  errors.New("boom"),
	} {
		t.Run(name, func(t *testing.T) {
			got := New("").Problem(err, "prod")
			if !strings.HasSuffix(got, ".") {
				t.Errorf("%q does not end with a full stop", got)
			}
			if strings.ContainsAny(strings.NewReplacer("<!date", "", eolLink, "").Replace(got), "<>") {
				t.Errorf("%q has live mrkdwn", got)
			}
		})
	}
	if got, want := New("").Problem(&adminapi.APIError{Status: 503, Message: "service temporarily unavailable"}, "prod"),
		"The Atlas Admin API answered 503: service temporarily unavailable."; got != want {
		t.Errorf("Problem = %q, want %q", got, want)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
