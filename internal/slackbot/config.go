package slackbot

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultAPIURL       = "https://slack.com/api/"
	DefaultCommand      = "/sync"
	DefaultWorkers      = 256 // started on demand; see pool
	DefaultQueue        = 512
	DefaultAckTimeout   = 2 * time.Second
	DefaultDrainTimeout = 20 * time.Second
	DefaultBusyText     = "syncbot is busy right now. Please try again in a moment."

	// defaultHTTPTimeout bounds one Web API call when the caller brings no
	// client; every call also carries its ctx.
	defaultHTTPTimeout = 30 * time.Second
)

// Config configures a Bot. Only the two tokens are required.
type Config struct {
	AppToken string // xapp-…, for apps.connections.open
	BotToken string // xoxb-…, for the Web API
	// APIURL is the Web API base; a trailing slash is added if missing
	// (slack-go concatenates method names onto it).
	APIURL string
	// Command is the one slash command passed to the handler; others are
	// acked and ignored. Default "/sync".
	Command string
	// Workers run handler calls; Queue holds envelopes waiting for one.
	// When both are full the user is told BusyText instead of waiting.
	// Workers are goroutines started on demand, so the bound costs
	// nothing while idle; it is high because handler calls mostly wait on
	// the Admin API, whose own concurrency limit protects Atlas.
	Workers int
	Queue   int
	// AckTimeout bounds one ack; slack-go's ack queue can block while it
	// reconnects, and the socket reader must not.
	AckTimeout time.Duration
	// DrainTimeout bounds how long Run waits, after its ctx ends, for
	// queued and running handler calls before cancelling them.
	DrainTimeout time.Duration
	BusyText     string
	Logger       *slog.Logger
	HTTPClient   *http.Client
	// OnAck, if set, gets each ack's kind ("slash_commands",
	// "interactive", …) and the time from reading the envelope to handing
	// the ack to the socket. Called on the reader goroutine: keep it cheap.
	OnAck func(kind string, d time.Duration)
	// OnReconnect, if set, is called each time a socket opens after the
	// first. Called on the reader goroutine: keep it cheap.
	OnReconnect func()
}

// withDefaults validates c and fills in defaults.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.AppToken == "" {
		errs = append(errs, errors.New("app token is empty"))
	}
	if c.BotToken == "" {
		errs = append(errs, errors.New("bot token is empty"))
	}
	if c.Workers < 0 || c.Queue < 0 || c.AckTimeout < 0 || c.DrainTimeout < 0 {
		errs = append(errs, fmt.Errorf("negative setting: workers %d, queue %d, ack timeout %v, drain timeout %v",
			c.Workers, c.Queue, c.AckTimeout, c.DrainTimeout))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("slackbot: config: %w", errors.Join(errs...))
	}
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/"
	}
	if c.Command == "" {
		c.Command = DefaultCommand
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.Queue == 0 {
		c.Queue = DefaultQueue
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = DefaultAckTimeout
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.BusyText == "" {
		c.BusyText = DefaultBusyText
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	return c, nil
}

// redacted stands in for a token wherever a Config is printed or logged.
const redacted = "[redacted]"

// LogValue keeps the tokens out of logs should a Config be logged whole.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("app_token", redacted),
		slog.String("bot_token", redacted),
		slog.String("api_url", c.APIURL),
		slog.String("command", c.Command),
		slog.Int("workers", c.Workers),
		slog.Int("queue", c.Queue),
		slog.Duration("ack_timeout", c.AckTimeout),
		slog.Duration("drain_timeout", c.DrainTimeout),
	)
}

// String keeps the tokens out of fmt's %v and %+v.
func (c Config) String() string {
	return fmt.Sprintf("slackbot.Config{AppToken:%s BotToken:%s APIURL:%s Command:%s Workers:%d Queue:%d AckTimeout:%v DrainTimeout:%v}",
		redacted, redacted, c.APIURL, c.Command, c.Workers, c.Queue, c.AckTimeout, c.DrainTimeout)
}

// GoString keeps the tokens out of fmt's %#v.
func (c Config) GoString() string { return c.String() }
