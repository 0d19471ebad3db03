// Package slackbot is syncbot's Socket Mode plumbing: it keeps a socket to
// Slack open, acks every envelope at once, hands /sync commands and button
// clicks to a Handler on a bounded worker pool, and wraps the few Web API
// calls the handler needs. It knows nothing of syncs, approvals or stores.
package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// Bot connects to Slack and dispatches to a Handler. Its Web API methods
// are safe for concurrent use and work with or without Run.
type Bot struct {
	cfg  Config
	opts options
	h    Handler
	api  *slack.Client
	log  *slog.Logger

	connected atomic.Bool
	running   atomic.Bool
}

// New checks cfg and builds a Bot; it does not connect. Web API calls are
// retried as RetryPolicy says (WithRetry changes it).
func New(cfg Config, h Handler, opts ...Option) (*Bot, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("slackbot: nil handler")
	}
	o := buildOptions(opts)
	// Every option goes on the slack.Client here: socketmode.New copies
	// the client, so options added later would not reach the socket. The
	// retry wrapper goes after the HTTP client, which it wraps.
	api := slack.New(cfg.BotToken,
		slack.OptionAppLevelToken(cfg.AppToken),
		slack.OptionAPIURL(cfg.APIURL),
		slack.OptionHTTPClient(cfg.HTTPClient),
		slack.OptionRetryConfig(o.retry.retryConfig(cfg.APIURL, cfg.Logger)),
	)
	return &Bot{cfg: cfg, opts: o, h: h, api: api, log: cfg.Logger}, nil
}

// Connected reports whether a Socket Mode socket is up, for /readyz.
func (b *Bot) Connected() bool { return b.connected.Load() }

// Run connects and serves envelopes until ctx ends, reconnecting whenever
// the socket drops as slack-go does. When ctx ends it stops reading, lets
// queued and running handler calls finish for up to DrainTimeout, cancels
// what is left, waits for every handler call to return, and returns nil.
// It returns an error at once on a fatal connect error (invalid_auth,
// token_revoked, …), after the same drain.
func (b *Bot) Run(ctx context.Context) error {
	if !b.running.CompareAndSwap(false, true) {
		return errors.New("slackbot: Run is already running")
	}
	defer b.running.Store(false)

	// Handler work is not cancelled with ctx: an acked command must get to
	// report its outcome. The drain below decides when it ends.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	p := newPool(workCtx, b.cfg.Workers, b.cfg.Queue, b.log)

	// A socket that hears no PING for pingTimeout is dropped and replaced.
	sm := socketmode.New(b.api, socketmode.OptionPingInterval(b.opts.pingTimeout))
	sockCtx, stopSocket := context.WithCancel(ctx)
	defer stopSocket()
	sockErr := make(chan error, 1)
	go func() { sockErr <- sm.RunContext(sockCtx) }()

	s := &session{b: b, sm: sm, pool: p, log: b.log}
	sockDone, err := s.read(ctx, sockErr)

	// Close the socket before draining, so nothing new is taken on.
	stopSocket()
	if !sockDone {
		<-sockErr // returns promptly once sockCtx is cancelled
	}
	b.connected.Store(false)

	if !p.drain(b.cfg.DrainTimeout) {
		b.log.Warn("shutdown drain timed out; cancelling handler work", "drain_timeout", b.cfg.DrainTimeout)
		cancelWork()
		// The caller closes what handlers write to (the store) once Run
		// returns, so a cancelled handler must have returned by then.
		b.log.Warn("shutdown: waiting for cancelled handler work to return")
		p.wg.Wait()
	}
	if err != nil {
		return fmt.Errorf("slackbot: socket mode: %w", err)
	}
	return nil
}
