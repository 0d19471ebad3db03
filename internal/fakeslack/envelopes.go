package fakeslack

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// SlashCommand describes one slash command a user types. Empty TeamID and
// APIAppID take the server's; an empty TriggerID gets a fresh unique one;
// empty names are looked up (AddUser, AddChannel) or fall back to the ID.
type SlashCommand struct {
	UserID, UserName, ChannelID, ChannelName, Text, TeamID, APIAppID, TriggerID string
	// Command defaults to "/sync".
	Command string
	// Text is what the user typed; Slack HTML-escapes &, < and > in it and
	// so does the fake. Verbatim sends Text as is, for mention markup such
	// as "<@U1|alice>" that Slack itself produces.
	Verbatim bool
}

// slashPayload is the slash_commands payload as Slack sends it in Socket
// Mode (slack-socketmode.md §2).
type slashPayload struct {
	Token       string `json:"token"`
	TeamID      string `json:"team_id"`
	TeamDomain  string `json:"team_domain"`
	ChannelID   string `json:"channel_id"`
	ChannelName string `json:"channel_name"`
	UserID      string `json:"user_id"`
	UserName    string `json:"user_name"`
	Command     string `json:"command"`
	Text        string `json:"text"`
	APIAppID    string `json:"api_app_id"`
	// A string here, as Slack sends it; slack-go accepts both forms for
	// slash commands (but not for interactive payloads).
	IsEnterpriseInstall string `json:"is_enterprise_install"`
	ResponseURL         string `json:"response_url"`
	TriggerID           string `json:"trigger_id"`
}

type envelope struct {
	EnvelopeID             string `json:"envelope_id"`
	Type                   string `json:"type"`
	AcceptsResponsePayload bool   `json:"accepts_response_payload"`
	Payload                any    `json:"payload"`
}

// SlashCommand writes one slash_commands envelope to one connected socket
// (round-robin) and returns its envelope id. The payload's response_url is
// served by this server.
func (s *Server) SlashCommand(c SlashCommand) (envelopeID string, err error) {
	s.mu.Lock()
	if c.TeamID == "" {
		c.TeamID = s.opts.TeamID
	}
	if c.APIAppID == "" {
		c.APIAppID = s.opts.APIAppID
	}
	if c.TriggerID == "" {
		c.TriggerID = s.newTriggerIDLocked()
	}
	if c.Command == "" {
		c.Command = "/sync"
	}
	c.UserName = s.userNameLocked(c.UserID, c.UserName)
	c.ChannelName = s.channelNameLocked(c.ChannelID, c.ChannelName)
	if !c.Verbatim {
		c.Text = escapeText(c.Text)
	}
	envelopeID = s.newEnvelopeIDLocked()
	responseURL := s.newHookLocked(hookCommand, c.TeamID, c.ChannelID, c.UserID, "")
	s.mu.Unlock()

	frame, err := json.Marshal(envelope{
		EnvelopeID:             envelopeID,
		Type:                   "slash_commands",
		AcceptsResponsePayload: true,
		Payload: slashPayload{
			Token: verificationToken, TeamID: c.TeamID, TeamDomain: teamDomain,
			ChannelID: c.ChannelID, ChannelName: c.ChannelName,
			UserID: c.UserID, UserName: c.UserName,
			Command: c.Command, Text: c.Text, APIAppID: c.APIAppID,
			IsEnterpriseInstall: "false",
			ResponseURL:         responseURL, TriggerID: c.TriggerID,
		},
	})
	if err != nil {
		return "", fmt.Errorf("fakeslack: encode slash command: %w", err)
	}
	if err := s.send(envelopeID, frame); err != nil {
		return "", err
	}
	return envelopeID, nil
}

// escapeText escapes what Slack escapes in slash-command text: only &, <
// and >, not quotes (so html.EscapeString would be wrong).
func escapeText(t string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(t)
}

// SendRaw writes frame verbatim to one connected socket, for malformed-frame
// tests. If the frame has a readable envelope_id its write time is recorded,
// so the ack gets a latency.
func (s *Server) SendRaw(frame []byte) error {
	var probe struct {
		EnvelopeID string `json:"envelope_id"`
	}
	_ = json.Unmarshal(frame, &probe) // best effort: the frame may be anything
	return s.send(probe.EnvelopeID, frame)
}

// send writes frame to the next routable socket, round-robin, the way
// Slack hands each envelope to exactly one of an app's connections.
func (s *Server) send(envelopeID string, frame []byte) error {
	s.mu.Lock()
	if len(s.live) == 0 {
		s.mu.Unlock()
		return ErrNotConnected
	}
	c := s.live[s.rr%len(s.live)]
	s.rr++
	s.mu.Unlock()

	err := c.write(frame, func() {
		if envelopeID == "" {
			return
		}
		s.mu.Lock()
		s.sentAt[envelopeID] = time.Now()
		s.mu.Unlock()
	})
	if err != nil {
		return fmt.Errorf("fakeslack: write envelope %q: %w", envelopeID, err)
	}
	return nil
}

func (s *Server) newEnvelopeIDLocked() string {
	return fmt.Sprintf("e-%d", s.nextIDLocked())
}

func (s *Server) newTriggerIDLocked() string {
	n := s.nextIDLocked()
	return fmt.Sprintf("%d.%d.%012x", 1000+n, 1700000000, n)
}

func (s *Server) userNameLocked(id, name string) string {
	if name != "" {
		return name
	}
	if u, ok := s.users[id]; ok && u.Name != "" {
		return u.Name
	}
	return strings.ToLower(id)
}

func (s *Server) channelNameLocked(id, name string) string {
	if name != "" {
		if _, known := s.channels[id]; !known && id != "" {
			s.channels[id] = name // learnt, so conversations.info agrees
		}
		return name
	}
	if n, ok := s.channels[id]; ok {
		return n
	}
	return strings.ToLower(id)
}
