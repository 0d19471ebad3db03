package announce

import (
	"context"
	"errors"
	"log/slog"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/blocklimits"
	"github.com/syncbot/syncbot/internal/messages"
)

// WithPlainFallback returns s, except that a message Slack refuses for its
// blocks or its length (invalid_blocks, msg_too_long) is sent again as its
// plain-text fallback alone: the same news, without the layout. A pause
// that ran must be told even if its message could not be drawn.
func WithPlainFallback(s Slack, log *slog.Logger) Slack { return plainFallback{s, log} }

type plainFallback struct {
	Slack
	log *slog.Logger
}

func (p plainFallback) Post(ctx context.Context, channel string, m messages.Message) (string, error) {
	ts, err := p.Slack.Post(ctx, channel, m)
	if p.refused(err) {
		return p.Slack.Post(ctx, channel, plainOf(m))
	}
	return ts, err
}

func (p plainFallback) Update(ctx context.Context, channel, ts string, m messages.Message) error {
	err := p.Slack.Update(ctx, channel, ts, m)
	if p.refused(err) {
		return p.Slack.Update(ctx, channel, ts, plainOf(m))
	}
	return err
}

func (p plainFallback) Ephemeral(ctx context.Context, channel, user string, m messages.Message) error {
	err := p.Slack.Ephemeral(ctx, channel, user, m)
	if p.refused(err) {
		return p.Slack.Ephemeral(ctx, channel, user, plainOf(m))
	}
	return err
}

func (p plainFallback) Respond(ctx context.Context, responseURL string, m messages.Message, inChannel bool) error {
	err := p.Slack.Respond(ctx, responseURL, m, inChannel)
	if p.refused(err) {
		return p.Slack.Respond(ctx, responseURL, plainOf(m), inChannel)
	}
	return err
}

func (p plainFallback) Replace(ctx context.Context, responseURL string, m messages.Message) error {
	err := p.Slack.Replace(ctx, responseURL, m)
	if p.refused(err) {
		return p.Slack.Replace(ctx, responseURL, plainOf(m))
	}
	return err
}

// refused reports whether Slack refused a message for how it is drawn,
// which a plain-text copy avoids.
func (p plainFallback) refused(err error) bool {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || (se.Err != blocklimits.InvalidBlocks && se.Err != blocklimits.MsgTooLong) {
		return false
	}
	p.log.Error("Slack refused a message's blocks; sending its plain text instead", "err", err)
	return true
}

// plainOf is m's fallback text alone, within Slack's limit for it.
func plainOf(m messages.Message) messages.Message {
	text := m.Text
	if utf8.RuneCountInString(text) > blocklimits.MaxText {
		text = string([]rune(text)[:blocklimits.MaxText-1]) + "…"
	}
	return messages.Message{Text: text, ThreadTS: m.ThreadTS}
}
