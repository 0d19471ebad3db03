package slackbot

import (
	"context"
	"encoding/json"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// busyNoteTimeout bounds the best-effort "busy" ephemeral after a click.
const busyNoteTimeout = 10 * time.Second

// busyAck is a slash-command ack payload, which Slack shows the user as
// the command's immediate reply.
type busyAck struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// onCommand acks a slash command and queues it. The enqueue attempt comes
// first because its outcome decides the ack payload: when the pool is full
// the ack itself carries the busy answer, so a refused command costs no
// Web API call. Both steps are immediate; the handler waits for the ack.
func (s *session) onCommand(ctx context.Context, evt socketmode.Event, received time.Time) {
	id := evt.Request.EnvelopeID
	sc, ok := evt.Data.(slack.SlashCommand)
	if !ok {
		s.ack(ctx, id, kindCommand, nil, received)
		s.log.Warn("slash command envelope without a command; acked and ignored", "envelope_id", id)
		return
	}
	if sc.Command != s.b.cfg.Command {
		s.ack(ctx, id, kindCommand, nil, received)
		s.log.Info("ignoring another slash command", "envelope_id", id, "command", sc.Command)
		return
	}
	c := Command{
		EnvelopeID: id, TeamID: sc.TeamID, APIAppID: sc.APIAppID, EnterpriseID: sc.EnterpriseID,
		ChannelID: sc.ChannelID, ChannelName: sc.ChannelName, UserID: sc.UserID, UserName: sc.UserName,
		Command: sc.Command, Text: sc.Text, ResponseURL: sc.ResponseURL, TriggerID: sc.TriggerID,
	}
	j := &job{envelopeID: id, acked: make(chan struct{}), run: func(ctx context.Context) { s.b.h.HandleCommand(ctx, c) }}
	queued := s.pool.tryEnqueue(j)
	var payload any
	if !queued {
		payload = busyAck{ResponseType: "ephemeral", Text: s.b.cfg.BusyText}
	}
	s.ack(ctx, id, kindCommand, payload, received)
	// Logged before the worker is released, so the handler's own log
	// lines come after this one.
	if queued {
		s.log.Debug("slash command queued", "envelope_id", id, "user_id", sc.UserID, "channel_id", sc.ChannelID)
	} else {
		s.log.Warn("busy: workers and queue full; answered in the ack", "envelope_id", id, "user_id", sc.UserID)
	}
	close(j.acked)
}

// onInteractive acks a button click and queues it. A click's ack payload
// shows nothing to the user, so when the pool is full the busy answer is an
// ephemeral message, posted off the reader goroutine.
func (s *session) onInteractive(ctx context.Context, evt socketmode.Event, received time.Time) {
	id := evt.Request.EnvelopeID
	cb, ok := evt.Data.(slack.InteractionCallback)
	if !ok || cb.Type != slack.InteractionTypeBlockActions {
		s.ack(ctx, id, kindInteractive, nil, received)
		s.log.Debug("ignoring interaction", "envelope_id", id, "type", string(cb.Type))
		return
	}
	actions := toActions(id, cb)
	if len(actions) == 0 {
		s.ack(ctx, id, kindInteractive, nil, received)
		s.log.Warn("block_actions envelope without actions; acked and ignored", "envelope_id", id)
		return
	}
	j := &job{envelopeID: id, acked: make(chan struct{}), run: func(ctx context.Context) {
		for _, a := range actions {
			s.b.h.HandleAction(ctx, a)
		}
	}}
	queued := s.pool.tryEnqueue(j)
	s.ack(ctx, id, kindInteractive, nil, received)
	if queued {
		s.log.Debug("click queued", "envelope_id", id, "user_id", cb.User.ID, "action_id", actions[0].ActionID)
	}
	close(j.acked)
	if queued {
		return
	}

	channel, user := actions[0].ChannelID, actions[0].UserID
	started := s.pool.goNote(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, busyNoteTimeout)
		defer cancel()
		if err := s.b.Ephemeral(ctx, channel, user, Message{Text: s.b.cfg.BusyText}); err != nil {
			s.log.Warn("busy note failed", "envelope_id", id, "err", err)
		}
	})
	s.log.Warn("busy: workers and queue full; click dropped", "envelope_id", id, "user_id", user, "busy_note", started)
}

// toActions flattens a block_actions payload into one Action per element
// pressed (in practice one).
func toActions(envelopeID string, cb slack.InteractionCallback) []Action {
	userName := cb.User.Username
	if userName == "" {
		userName = cb.User.Name
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	messageTS := cb.Container.MessageTs
	if messageTS == "" {
		messageTS = cb.Message.Timestamp
	}
	var out []Action
	for _, ba := range cb.ActionCallback.BlockActions {
		if ba == nil {
			continue
		}
		out = append(out, Action{
			EnvelopeID: envelopeID, TeamID: cb.Team.ID, APIAppID: cb.APIAppID,
			UserID: cb.User.ID, UserName: userName, UserTeamID: cb.User.TeamID,
			ChannelID: channel, MessageTS: messageTS,
			ActionID: ba.ActionID, BlockID: ba.BlockID, Value: ba.Value,
			ResponseURL: cb.ResponseURL, TriggerID: cb.TriggerID,
		})
	}
	return out
}

// onBadMessage acks a frame slack-go could not decode. The event carries
// the raw frame but no Request, so the envelope id is read out of it here;
// left unacked, Slack would show the user an error or retry it.
func (s *session) onBadMessage(ctx context.Context, evt socketmode.Event, received time.Time) {
	bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	var probe struct {
		EnvelopeID string `json:"envelope_id"`
	}
	_ = json.Unmarshal(bad.Message, &probe) // best effort: the frame is already known to be bad
	if probe.EnvelopeID == "" {
		s.log.Warn("undecodable socket frame without envelope_id; ignored", "err", bad.Cause)
		return
	}
	s.ack(ctx, probe.EnvelopeID, kindBadMessage, nil, received)
	// The frame itself is not logged: it may carry user text and the
	// payload's verification token.
	s.log.Warn("undecodable envelope acked and ignored", "envelope_id", probe.EnvelopeID, "err", bad.Cause)
}
