package fakeslack

import (
	"encoding/json"
	"fmt"
)

// Click describes one press of a Block Kit button on a message this server
// holds (posted, or sent ephemerally). Empty TeamID/UserTeamID take the
// server's team; an empty BlockID is found from the stored message's blocks;
// an empty UserName is looked up (AddUser) or falls back to the ID.
type Click struct {
	UserID, UserName, UserTeamID, ChannelID, MessageTS, ActionID, BlockID, Value, TeamID string
}

// Click writes one block_actions interactive envelope to one connected
// socket and returns its envelope id. The payload follows
// slack-socketmode.md §2/§4 so slack-go decodes it: every action has a
// block_id, is_enterprise_install is a bool, there is no attachment_id, and
// message.blocks are the stored message's. Clicking a message this server
// does not hold is an error.
func (s *Server) Click(c Click) (envelopeID string, err error) {
	s.mu.Lock()
	if c.TeamID == "" {
		c.TeamID = s.opts.TeamID
	}
	if c.UserTeamID == "" {
		c.UserTeamID = c.TeamID
	}
	c.UserName = s.userNameLocked(c.UserID, c.UserName)
	channelName := s.channelNameLocked(c.ChannelID, "")

	var blocks json.RawMessage
	var message any // null for an ephemeral message, as Slack sends it
	ephemeral := false
	if m, ok := s.byTS[msgKey{c.ChannelID, c.MessageTS}]; ok {
		blocks = m.Blocks
		message = map[string]any{
			"type": "message", "user": m.User, "bot_id": botID,
			"text": m.Text, "ts": m.TS, "blocks": rawOrEmpty(m.Blocks),
		}
	} else if e, ok := s.ephemeralLocked(c.ChannelID, c.MessageTS); ok {
		blocks, ephemeral = e.Blocks, true
	} else {
		s.mu.Unlock()
		return "", fmt.Errorf("fakeslack: click: no message %s in channel %s", c.MessageTS, c.ChannelID)
	}

	elem := findElement(blocks, c.ActionID)
	if c.BlockID == "" {
		c.BlockID = elem.blockID
	}
	if c.BlockID == "" {
		// slack-go decodes an action without block_id as a legacy
		// attachment action and then fails the whole payload.
		c.BlockID = "actions"
	}
	actionType := elem.typ
	if actionType == "" {
		actionType = "button"
	}
	text := elem.text
	if text == nil {
		text, _ = json.Marshal(map[string]any{"type": "plain_text", "text": c.ActionID})
	}

	envelopeID = s.newEnvelopeIDLocked()
	triggerID := s.newTriggerIDLocked()
	actionTS := s.nextTSLocked()
	responseURL := s.newHookLocked(hookAction, c.TeamID, c.ChannelID, c.UserID, c.MessageTS)
	s.mu.Unlock()

	payload := map[string]any{
		"type": "block_actions",
		"user": map[string]any{
			"id": c.UserID, "username": c.UserName, "name": c.UserName, "team_id": c.UserTeamID,
		},
		"team":                  map[string]any{"id": c.TeamID, "domain": teamDomain},
		"enterprise":            nil,
		"is_enterprise_install": false, // must be a bool in interactive payloads
		"api_app_id":            s.opts.APIAppID,
		"token":                 verificationToken,
		"trigger_id":            triggerID,
		"container": map[string]any{
			"type": "message", "message_ts": c.MessageTS, "channel_id": c.ChannelID, "is_ephemeral": ephemeral,
		},
		"channel":      map[string]any{"id": c.ChannelID, "name": channelName},
		"message":      message,
		"state":        map[string]any{"values": map[string]any{}},
		"response_url": responseURL,
		"actions": []any{map[string]any{
			"action_id": c.ActionID, "block_id": c.BlockID, "type": actionType,
			"value": c.Value, "text": text, "action_ts": actionTS,
		}},
	}
	frame, err := json.Marshal(envelope{EnvelopeID: envelopeID, Type: "interactive", Payload: payload})
	if err != nil {
		return "", fmt.Errorf("fakeslack: encode click: %w", err)
	}
	if err := s.send(envelopeID, frame); err != nil {
		return "", err
	}
	return envelopeID, nil
}

// element is what a click needs to know about the button it presses.
type element struct {
	blockID, typ string
	text         json.RawMessage
}

// findElement looks through Block Kit JSON for the interactive element with
// actionID, in an actions block's elements or a section's accessory.
func findElement(blocks json.RawMessage, actionID string) element {
	type elem struct {
		ActionID string          `json:"action_id"`
		Type     string          `json:"type"`
		Text     json.RawMessage `json:"text"`
	}
	var bs []struct {
		BlockID   string `json:"block_id"`
		Elements  []elem `json:"elements"`
		Accessory *elem  `json:"accessory"`
	}
	if len(blocks) == 0 || json.Unmarshal(blocks, &bs) != nil {
		return element{}
	}
	for _, b := range bs {
		cands := b.Elements
		if b.Accessory != nil {
			cands = append(cands, *b.Accessory)
		}
		for _, e := range cands {
			if e.ActionID == actionID {
				return element{blockID: b.BlockID, typ: e.Type, text: normRaw(e.Text)}
			}
		}
	}
	return element{}
}

func rawOrEmpty(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("[]")
	}
	return b
}

// ephemeralLocked finds an ephemeral message by channel and ts.
func (s *Server) ephemeralLocked(channel, ts string) (Ephemeral, bool) {
	for _, e := range s.ephemerals {
		if e.Channel == channel && e.TS == ts {
			return e, true
		}
	}
	return Ephemeral{}, false
}
