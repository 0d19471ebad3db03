package slackbot

import (
	"context"
	"log/slog"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// Ack kinds passed to Config.OnAck; they are Socket Mode envelope types.
const (
	kindCommand     = socketmode.RequestTypeSlashCommands
	kindInteractive = socketmode.RequestTypeInteractive
	kindBadMessage  = "bad_message"
)

// session is one Run: the socket reader and what it feeds.
type session struct {
	b        *Bot
	sm       *socketmode.Client
	pool     *pool
	log      *slog.Logger
	connects int // sockets opened so far; touched by the reader only
}

// read is the single socket reader. It returns when ctx ends (nil error)
// or when slack-go gives up on a fatal connect error; sockDone reports
// whether slack-go's Run has already returned.
func (s *session) read(ctx context.Context, sockErr <-chan error) (sockDone bool, err error) {
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case err := <-sockErr:
			if ctx.Err() != nil {
				return true, nil
			}
			return true, err
		case evt := <-s.sm.Events:
			if evt.Request != nil && evt.Request.EnvelopeID != "" {
				// An envelope (not a hello or a connect): before
				// handling it, so the work it queues waits too.
				s.pool.gate.hold()
			}
			s.handle(ctx, evt, time.Now())
		}
	}
}

// handle deals with one event without waiting on handler work: acks are
// the only socket I/O here, each bounded by AckTimeout.
func (s *session) handle(ctx context.Context, evt socketmode.Event, received time.Time) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		s.b.connected.Store(false)
		if ce, ok := evt.Data.(*slack.ConnectingEvent); ok {
			s.log.Debug("socket mode connecting", "attempt", ce.Attempt)
		}
	case socketmode.EventTypeConnectionError:
		s.b.connected.Store(false)
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			s.log.Warn("socket mode connect failed; retrying", "attempt", ce.Attempt, "backoff", ce.Backoff, "err", ce.ErrorObj)
		}
	case socketmode.EventTypeInvalidAuth:
		s.b.connected.Store(false)
		s.log.Error("socket mode rejected the app token")
	case socketmode.EventTypeConnected:
		s.b.connected.Store(true)
		s.connects++
		s.log.Info("socket mode connected", "connection", s.connects)
		if s.connects > 1 && s.b.cfg.OnReconnect != nil {
			s.b.cfg.OnReconnect()
		}
	case socketmode.EventTypeDisconnect:
		// slack-go v0.35.0 never emits this (it reconnects silently and
		// the next Connecting clears the flag); kept for later versions.
		s.b.connected.Store(false)
	case socketmode.EventTypeHello:
		if evt.Request != nil {
			s.log.Debug("socket mode hello", "num_connections", evt.Request.NumConnections)
		}
	case socketmode.EventTypeIncomingError:
		// Also shows up harmlessly when slack-go reads a socket it has just
		// closed for a reconnect.
		if ie, ok := evt.Data.(*slack.IncomingEventError); ok {
			s.log.Debug("unreadable socket frame", "err", ie.ErrorObj)
		}
	case socketmode.EventTypeErrorWriteFailed:
		if wf, ok := evt.Data.(*socketmode.ErrorWriteFailed); ok && wf.Response != nil {
			s.log.Error("ack write failed; Slack will see the envelope unacked", "envelope_id", wf.Response.EnvelopeID, "err", wf.Cause)
		}
	case socketmode.EventTypeErrorBadMessage:
		s.onBadMessage(ctx, evt, received)
	case socketmode.EventTypeSlashCommand:
		s.onCommand(ctx, evt, received)
	case socketmode.EventTypeInteractive:
		s.onInteractive(ctx, evt, received)
	default:
		// events_api and anything newer: syncbot subscribes to none, but an
		// unacked envelope would be retried, so ack and move on.
		if evt.Request != nil && evt.Request.EnvelopeID != "" {
			s.ack(ctx, evt.Request.EnvelopeID, evt.Request.Type, nil, received)
			s.log.Debug("ignoring envelope", "envelope_id", evt.Request.EnvelopeID, "type", evt.Request.Type)
		}
	}
}

// ack sends the ack for one envelope. Errors are logged, not returned: the
// reader has no one to return them to, and must carry on.
func (s *session) ack(ctx context.Context, envelopeID, kind string, payload any, received time.Time) {
	actx, cancel := context.WithTimeout(ctx, s.b.cfg.AckTimeout)
	defer cancel()
	if err := s.sm.AckCtx(actx, envelopeID, payload); err != nil {
		s.log.Error("ack failed; Slack will show the user an error", "envelope_id", envelopeID, "kind", kind, "err", err)
		return
	}
	if s.b.cfg.OnAck != nil {
		s.b.cfg.OnAck(kind, time.Since(received))
	}
}
