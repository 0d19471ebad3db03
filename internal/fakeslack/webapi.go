package fakeslack

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// apiMethod answers one Web API method. It returns the fields to add to
// {"ok":true}, or a Slack error code such as "message_not_found".
type apiMethod func(form url.Values) (reply map[string]any, errCode string)

func (s *Server) apiMethods() map[string]apiMethod {
	return map[string]apiMethod{
		"auth.test":             s.authTest,
		"chat.postMessage":      s.postMessage,
		"chat.update":           s.updateMessage,
		"chat.postEphemeral":    s.postEphemeral,
		"users.info":            s.usersInfo,
		"usergroups.users.list": s.usergroupsUsersList,
		"conversations.info":    s.conversationsInfo,
	}
}

// handleAPI serves POST /api/<method>. Like Slack, it answers 200 with a
// JSON body whatever happens, unless a Fault says otherwise.
func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	if s.serveFault(w, method) {
		return
	}
	if method == "apps.connections.open" {
		s.handleConnectionsOpen(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	// slack-go sends the bot token as the token form field, never as a
	// header (slack-socketmode.md §5).
	if r.PostForm.Get("token") != s.opts.BotToken {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	fn, ok := s.api[method]
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "unknown_method"})
		return
	}
	reply, errCode := fn(r.PostForm)
	if errCode != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": errCode})
		return
	}
	if reply == nil {
		reply = map[string]any{}
	}
	reply["ok"] = true
	writeJSON(w, http.StatusOK, reply)
}

func (s *Server) authTest(url.Values) (map[string]any, string) {
	return map[string]any{
		"user_id": s.opts.BotUserID, "bot_id": botID, "team_id": s.opts.TeamID,
		"user": "syncbot", "team": "Fake", "url": "https://" + teamDomain + ".slack.com/",
	}, ""
}

func (s *Server) postMessage(f url.Values) (map[string]any, string) {
	channel, text := f.Get("channel"), f.Get("text")
	if channel == "" {
		return nil, "channel_not_found"
	}
	blocks, ok := formBlocks(f)
	if !ok {
		return nil, "invalid_blocks"
	}
	if text == "" && len(blocks) == 0 {
		return nil, "no_text"
	}
	if code := s.refusal(channel, text, blocks); code != "" {
		return nil, code
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Message{Channel: channel, TS: s.nextTSLocked(), User: s.opts.BotUserID, Text: text, Blocks: blocks, ThreadTS: f.Get("thread_ts")}
	s.addMessageLocked(m)
	return map[string]any{
		"channel": channel, "ts": m.TS,
		"message": map[string]any{
			"type": "message", "user": m.User, "bot_id": botID, "text": text, "ts": m.TS,
			"blocks": rawOrEmpty(blocks),
		},
	}, ""
}

// updateMessage edits an existing message. A field the call leaves out keeps
// its old value; slack-go sends blocks=[] to clear blocks.
func (s *Server) updateMessage(f url.Values) (map[string]any, string) {
	channel, ts := f.Get("channel"), f.Get("ts")
	blocks, ok := formBlocks(f)
	if !ok {
		return nil, "invalid_blocks"
	}
	if code := s.refusal(channel, f.Get("text"), blocks); code != "" {
		return nil, code
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, found := s.byTS[msgKey{channel, ts}]
	if !found {
		return nil, "message_not_found"
	}
	text := m.Text
	if f.Has("text") {
		text = f.Get("text")
	}
	if !f.Has("blocks") {
		blocks = m.Blocks
	}
	s.editMessageLocked(m, text, blocks)
	return map[string]any{"channel": channel, "ts": ts, "text": text}, ""
}

func (s *Server) postEphemeral(f url.Values) (map[string]any, string) {
	channel, user := f.Get("channel"), f.Get("user")
	if channel == "" {
		return nil, "channel_not_found"
	}
	if user == "" {
		return nil, "user_not_in_channel"
	}
	blocks, ok := formBlocks(f)
	if !ok {
		return nil, "invalid_blocks"
	}
	if code := s.refusal(channel, f.Get("text"), blocks); code != "" {
		return nil, code
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := Ephemeral{Channel: channel, User: user, Text: f.Get("text"), Blocks: blocks, At: time.Now(), TS: s.nextTSLocked()}
	s.ephemerals = append(s.ephemerals, e)
	s.notifyLocked(Event{Kind: KindEphemeral, Ephemeral: ptr(e.clone())})
	s.bumpLocked()
	return map[string]any{"message_ts": e.TS}, ""
}

func (s *Server) usersInfo(f url.Values) (map[string]any, string) {
	s.mu.Lock()
	u, ok := s.users[f.Get("user")]
	s.mu.Unlock()
	if !ok {
		return nil, "user_not_found"
	}
	return map[string]any{"user": map[string]any{
		"id": u.ID, "team_id": u.TeamID, "name": u.Name, "real_name": u.RealName,
		"profile": map[string]any{"real_name": u.RealName, "display_name": u.Name},
	}}, ""
}

func (s *Server) usergroupsUsersList(f url.Values) (map[string]any, string) {
	s.mu.Lock()
	users, ok := s.usergroups[f.Get("usergroup")]
	s.mu.Unlock()
	if !ok {
		return nil, "no_such_subteam"
	}
	if users == nil {
		users = []string{}
	}
	return map[string]any{"users": users}, ""
}

// conversationsInfo answers for any channel id: the fake has no membership
// model; use FailMethod for channel_not_found.
func (s *Server) conversationsInfo(f url.Values) (map[string]any, string) {
	id := f.Get("channel")
	if id == "" {
		return nil, "channel_not_found"
	}
	s.mu.Lock()
	name := s.channelNameLocked(id, "")
	s.mu.Unlock()
	return map[string]any{"channel": map[string]any{
		"id": id, "name": name, "is_channel": true, "is_member": true,
	}}, ""
}

// formBlocks reads the blocks form field, a JSON array sent as a string.
// It returns nil when the field is absent and false when it is not an array.
func formBlocks(f url.Values) (json.RawMessage, bool) {
	raw := f.Get("blocks")
	if raw == "" {
		return nil, true
	}
	var arr []json.RawMessage
	if json.Unmarshal([]byte(raw), &arr) != nil {
		return nil, false
	}
	var buf bytes.Buffer
	if json.Compact(&buf, []byte(raw)) != nil {
		return nil, false
	}
	return buf.Bytes(), true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
