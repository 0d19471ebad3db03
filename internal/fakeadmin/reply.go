package fakeadmin

import (
	"encoding/json"
	"net/http"
)

// reply is an answer computed under s.mu and written after it is released:
// writing the status records the call and runs subscribers, which may call
// back into the Server.
type reply struct {
	status int    // 0 = no reply yet (a lookup succeeded)
	body   []byte // JSON; nil = empty body
}

func jsonReply(status int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		return errReply(http.StatusInternalServerError, "fakeadmin: "+err.Error(), "")
	}
	return reply{status: status, body: b}
}

// errReply is the Admin API error shape; code "" omits error_code.
func errReply(status int, msg, code string) reply {
	body := map[string]string{"error": msg}
	if code != "" {
		body["error_code"] = code
	}
	return jsonReply(status, body)
}

func (rp reply) write(w http.ResponseWriter) {
	if rp.body != nil {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(rp.status)
	_, _ = w.Write(rp.body)
}

// answer computes a reply under the lock and writes it after.
func (s *Server) answer(w http.ResponseWriter, fn func() reply) {
	s.mu.Lock()
	rp := fn()
	s.mu.Unlock()
	rp.write(w)
}

func writeJSON(w http.ResponseWriter, status int, v any) { jsonReply(status, v).write(w) }

func writeError(w http.ResponseWriter, status int, msg, code string) {
	errReply(status, msg, code).write(w)
}
