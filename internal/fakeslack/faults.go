package fakeslack

import (
	"net/http"
	"strconv"

	"github.com/syncbot/syncbot/internal/blocklimits"
)

// ResponseURLMethod is the method name FailMethod uses for response_url
// posts, which are not Web API methods.
const ResponseURLMethod = "response_url"

// Fault is an injected failure for one method.
type Fault struct {
	// Error is the Slack error code, e.g. "not_in_channel",
	// "channel_not_found". Empty: "ratelimited" for 429, "internal_error"
	// for other statuses.
	Error string
	// Status is the HTTP status; 0 means 200, Slack's usual way to fail.
	Status int
	// RetryAfter, in seconds, becomes a Retry-After header when > 0.
	RetryAfter int
	// Times is how many calls fail before the method recovers; 0 = forever.
	Times int
}

// FailMethod makes method fail as f describes, replacing any earlier fault
// for it. method is a Web API method ("chat.postMessage",
// "apps.connections.open", …) or ResponseURLMethod. Faults apply before the
// token check.
func (s *Server) FailMethod(method string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = &f
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[string]*Fault{}
	s.refusing = map[string]bool{}
	s.failing = map[string]string{}
}

// serveFault answers with method's fault, if one is armed, and reports
// whether it did.
func (s *Server) serveFault(w http.ResponseWriter, method string) bool {
	s.mu.Lock()
	f, ok := s.faults[method]
	var use Fault
	if ok {
		use = *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				delete(s.faults, method)
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		return false
	}

	status := use.Status
	if status == 0 {
		status = http.StatusOK
	}
	code := use.Error
	if code == "" {
		code = "internal_error"
		if status == http.StatusTooManyRequests {
			code = "ratelimited"
		}
	}
	if use.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(use.RetryAfter))
	}
	writeJSON(w, status, map[string]any{"ok": false, "error": code})
	return true
}

// RefuseBlocks makes every message with blocks in channel fail with
// invalid_blocks, as Slack answers blocks it cannot accept, until
// ClearFaults; a message of text alone still goes through.
func (s *Server) RefuseBlocks(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusing[channel] = true
}

// FailChannel makes every post and update in channel fail with the Slack
// error code (e.g. "channel_not_found", "is_archived"), while other
// channels, a user's DM among them, still work.
func (s *Server) FailChannel(channel, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing[channel] = code
}

// refusal is the error Slack answers for a message of text and blocks in
// channel, or "": blocks beyond Block Kit's documented limits are
// invalid_blocks, a text beyond 4000 characters msg_too_long, as the real
// Web API and response_url answer.
func (s *Server) refusal(channel, text string, blocks []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refusalLocked(channel, text, blocks)
}

func (s *Server) refusalLocked(channel, text string, blocks []byte) string {
	if code := s.failing[channel]; code != "" {
		return code
	}
	if s.refusing[channel] && len(blocks) > 0 && string(blocks) != "[]" {
		return blocklimits.InvalidBlocks
	}
	if err := blocklimits.Validate(text, blocks); err != nil {
		return err.(*blocklimits.Error).Code
	}
	return ""
}
