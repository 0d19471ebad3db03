package fakeslack

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxHookUses is Slack's limit: a response_url takes up to 5 posts (within
// 30 minutes; the fake does not expire them).
const maxHookUses = 5

const (
	hookCommand = "commands"
	hookAction  = "actions"
)

// hook is one response_url handed out in a payload.
type hook struct {
	kind          string // hookCommand or hookAction
	channel, user string
	messageTS     string // the clicked message, for replace/delete_original
	uses          int
}

// newHookLocked registers a fresh response_url and returns it.
func (s *Server) newHookLocked(kind, team, channel, user, messageTS string) string {
	path := fmt.Sprintf("/hooks/%s/%s/%d/%s", kind, team, s.nextIDLocked(), rand.Text())
	s.hooks[path] = &hook{kind: kind, channel: channel, user: user, messageTS: messageTS}
	return s.base + path
}

// responseBody is what slack-go posts to a response_url.
type responseBody struct {
	Text            string          `json:"text"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	Blocks          json.RawMessage `json:"blocks"`
}

// handleHook serves a response_url post. Replies are JSON with an explicit
// Content-Type: slack-go parses by Content-Type and fails without one.
func (s *Server) handleHook(w http.ResponseWriter, r *http.Request) {
	if s.serveFault(w, ResponseURLMethod) {
		return
	}
	var body responseBody
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_payload"})
		return
	}
	body.Blocks = normRaw(body.Blocks)

	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hooks[r.URL.Path]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "no_service"})
		return
	}
	if h.uses >= maxHookUses {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "used_up"})
		return
	}
	if code := s.refusalLocked(h.channel, body.Text, body.Blocks); code != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
		return
	}
	h.uses++

	rp := ResponsePost{
		URL: s.base + r.URL.Path, ResponseType: body.ResponseType, Text: body.Text, Blocks: body.Blocks,
		ReplaceOriginal: body.ReplaceOriginal, DeleteOriginal: body.DeleteOriginal, At: time.Now(),
	}
	s.responses = append(s.responses, rp)
	s.notifyLocked(Event{Kind: KindResponse, Response: ptr(rp.clone())})
	s.applyResponseLocked(h, body)
	s.bumpLocked()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// applyResponseLocked makes a response post visible the way Slack would:
// replace/delete the clicked message, or show an in_channel reply.
func (s *Server) applyResponseLocked(h *hook, body responseBody) {
	if orig, ok := s.byTS[msgKey{h.channel, h.messageTS}]; ok && h.messageTS != "" {
		switch {
		case body.DeleteOriginal:
			orig.Deleted = true
			s.editMessageLocked(orig, orig.Text, orig.Blocks)
			return
		case body.ReplaceOriginal:
			s.editMessageLocked(orig, body.Text, body.Blocks)
			return
		}
	}
	if body.ResponseType == "in_channel" {
		s.addMessageLocked(&Message{
			Channel: h.channel, TS: s.nextTSLocked(), User: s.opts.BotUserID,
			Text: body.Text, Blocks: body.Blocks, FromResponseURL: true,
		})
	}
}
