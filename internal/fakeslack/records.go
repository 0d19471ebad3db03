package fakeslack

import (
	"encoding/json"
	"slices"
	"time"
)

// User is a workspace member, answered by users.info.
type User struct{ ID, Name, RealName, TeamID string }

// Message is a channel message the bot posted (chat.postMessage, or an
// in_channel response_url post), with its history of edits.
type Message struct {
	Channel, TS, User, Text string
	Blocks                  json.RawMessage
	ThreadTS                string    // set on a reply in a thread
	Updates                 int       // how many times it was edited
	Versions                []Version // every text+blocks it had, oldest first
	// FromResponseURL marks a message that came from an in_channel
	// response_url post rather than chat.postMessage (Slack gives the app
	// no ts for those; the fake gives one so a UI can show it).
	FromResponseURL bool
	// Deleted is set by a response_url post with delete_original.
	Deleted bool
}

// Version is one state of a message.
type Version struct {
	Text   string
	Blocks json.RawMessage
	At     time.Time
}

func (m *Message) clone() Message {
	c := *m
	c.Blocks = cloneRaw(m.Blocks)
	c.Versions = make([]Version, len(m.Versions))
	for i, v := range m.Versions {
		v.Blocks = cloneRaw(v.Blocks)
		c.Versions[i] = v
	}
	return c
}

// Ephemeral is a chat.postEphemeral message: seen by User only.
type Ephemeral struct {
	Channel, User, Text string
	Blocks              json.RawMessage
	At                  time.Time
	TS                  string // the message_ts returned, so it can be clicked
}

func (e Ephemeral) clone() Ephemeral {
	e.Blocks = cloneRaw(e.Blocks)
	return e
}

// ResponsePost is one accepted post to a response_url.
type ResponsePost struct {
	URL, ResponseType, Text string
	Blocks                  json.RawMessage
	ReplaceOriginal         bool
	DeleteOriginal          bool
	At                      time.Time
}

func (r ResponsePost) clone() ResponsePost {
	r.Blocks = cloneRaw(r.Blocks)
	return r
}

type msgKey struct{ channel, ts string }

// AddUser makes u known to users.info and gives payloads its name.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.TeamID == "" {
		u.TeamID = s.opts.TeamID
	}
	s.users[u.ID] = u
}

// AddChannel names a channel for conversations.info and payloads.
func (s *Server) AddChannel(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = name
}

// SetUsergroup sets the members usergroups.users.list answers for id.
func (s *Server) SetUsergroup(id string, users []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.usergroups[id] = slices.Clone(users)
}

// Messages returns the messages in channel in posting order; channel ""
// returns every channel's.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if channel == "" || m.Channel == channel {
			out = append(out, m.clone())
		}
	}
	return out
}

// Message returns one message by channel and ts.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.byTS[msgKey{channel, ts}]
	if !ok {
		return Message{}, false
	}
	return m.clone(), true
}

// Ephemerals returns every ephemeral message in posting order.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Ephemeral, len(s.ephemerals))
	for i, e := range s.ephemerals {
		out[i] = e.clone()
	}
	return out
}

// ResponsePosts returns every accepted response_url post in order.
func (s *Server) ResponsePosts() []ResponsePost {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ResponsePost, len(s.responses))
	for i, r := range s.responses {
		out[i] = r.clone()
	}
	return out
}

// addMessageLocked stores a new channel message and announces it.
func (s *Server) addMessageLocked(m *Message) {
	m.Versions = []Version{{Text: m.Text, Blocks: cloneRaw(m.Blocks), At: time.Now()}}
	s.messages = append(s.messages, m)
	s.byTS[msgKey{m.Channel, m.TS}] = m
	s.notifyLocked(Event{Kind: KindPost, Message: ptr(m.clone())})
	s.bumpLocked()
}

// editMessageLocked records a new version of m and announces it.
func (s *Server) editMessageLocked(m *Message, text string, blocks json.RawMessage) {
	m.Text, m.Blocks = text, blocks
	m.Updates++
	m.Versions = append(m.Versions, Version{Text: text, Blocks: cloneRaw(blocks), At: time.Now()})
	s.notifyLocked(Event{Kind: KindUpdate, Message: ptr(m.clone())})
	s.bumpLocked()
}
