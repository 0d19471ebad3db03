package slackbot

import "time"

// Option tunes a Bot beyond Config; the defaults are production's.
type Option func(*options)

type options struct {
	pingTimeout time.Duration
	retry       RetryPolicy
}

// DefaultPingTimeout is how long a socket may go without a PING from Slack
// before slack-go drops it and opens a new one: slack-go's own default.
// Slack pings every few seconds, so a socket that stays silent this long
// is dead however open it looks (a NAT that forgot it, a Slack host gone).
const DefaultPingTimeout = 30 * time.Second

// WithPingTimeout sets how long a silent socket is kept (tests shorten it).
func WithPingTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.pingTimeout = d
		}
	}
}

// WithRetry sets how Web API calls are retried; see RetryPolicy.
func WithRetry(p RetryPolicy) Option {
	return func(o *options) { o.retry = p }
}

func buildOptions(opts []Option) options {
	o := options{pingTimeout: DefaultPingTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	o.retry = o.retry.withDefaults()
	return o
}
