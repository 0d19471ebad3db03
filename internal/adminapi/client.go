package adminapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/retry"
)

// Options configure a Client. Only BaseURL and the two keys are required.
type Options struct {
	// BaseURL is the Admin API root, with or without a trailing slash,
	// e.g. https://services.cloud.mongodb.com/api/admin/v3.0.
	BaseURL    string
	PublicKey  string
	PrivateKey string
	// HTTPClient defaults to a client with dial, TLS and header timeouts,
	// no overall Timeout (Timeout below bounds each attempt) and no
	// redirect following.
	HTTPClient *http.Client
	// Concurrency is the most round trips in flight at once (default 16):
	// one call, or the drafts and config reads of ReadForChange, which go
	// out together. So at most twice this many HTTP requests are open.
	Concurrency int
	// Timeout bounds one HTTP attempt, body included (default 15s).
	Timeout time.Duration
	Clock   clock.Clock  // default clock.Real{}
	Logger  *slog.Logger // default: discard
	Retry   RetryPolicy
	// OnCall, if set, is called once per HTTP attempt, login and refresh
	// included, with the status (0 when no answer came) and the time taken
	// on Clock. It must not block.
	OnCall func(op string, status int, d time.Duration)
}

// String keeps the keys out of anything that prints Options.
func (o Options) String() string {
	return fmt.Sprintf("adminapi.Options{BaseURL: %q, PublicKey: [redacted], PrivateKey: [redacted], Concurrency: %d, Timeout: %v}",
		o.BaseURL, o.Concurrency, o.Timeout)
}

// GoString is String, for %#v.
func (o Options) GoString() string { return o.String() }

// LogValue is String, for slog.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }

// Client talks to the Admin API. It is safe for concurrent use.
type Client struct {
	base    string // no trailing slash
	hc      *http.Client
	sem     *slots
	timeout time.Duration
	clock   clock.Clock
	log     *slog.Logger
	retry   retry.Policy
	onCall  func(op string, status int, d time.Duration)
	session *session

	mu       sync.Mutex
	services map[App]string // the sync cluster's service id, once known for sure

	resolved       map[App]string // client_app_id → _id
	resolveFlights flights[string]
	serviceFlights flights[string]
	syncFlights    flights[SyncConfig]
}

// App names one App Services app.
type App struct {
	GroupID string // the Atlas project id
	AppID   string // the app's _id ObjectId, not its client_app_id
	// ClientAppID names the app when AppID is empty (myapp-abcde): it is
	// resolved to the _id on first use and remembered, so an Atlas outage
	// at start does not make the bot refuse to start.
	ClientAppID string
}

func (a App) key() string { return a.GroupID + "/" + a.AppID }

func (a App) check() error {
	if a.GroupID == "" || a.AppID == "" {
		return fmt.Errorf("admin api: app %q/%q: group id and app id are both required", a.GroupID, a.AppID)
	}
	return nil
}

const (
	userAgent   = "syncbot-adminapi"
	maxBody     = 32 << 20 // a success body; configs and app lists are far smaller
	defaultConc = 16
)

// New checks o and returns a Client. It makes no call: use Login to warm
// the session up.
func New(o Options) (*Client, error) {
	base, err := checkBaseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	// The messages name the option, never its value.
	if strings.TrimSpace(o.PublicKey) == "" {
		return nil, errors.New("admin api: the public API key is empty")
	}
	if strings.TrimSpace(o.PrivateKey) == "" {
		return nil, errors.New("admin api: the private API key is empty")
	}
	if o.Concurrency < 0 {
		return nil, fmt.Errorf("admin api: concurrency %d is negative", o.Concurrency)
	}
	if o.Timeout < 0 {
		return nil, fmt.Errorf("admin api: timeout %v is negative", o.Timeout)
	}
	if o.Concurrency == 0 {
		o.Concurrency = defaultConc
	}
	if o.Timeout == 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = defaultHTTPClient(o.Concurrency)
	}
	c := &Client{
		base:     base,
		hc:       o.HTTPClient,
		sem:      newSlots(o.Concurrency),
		timeout:  o.Timeout,
		clock:    o.Clock,
		log:      o.Logger,
		retry:    o.Retry.policy(),
		onCall:   o.OnCall,
		services: make(map[App]string),
	}
	c.session = &session{c: c, public: secret(o.PublicKey), private: secret(o.PrivateKey)}
	return c, nil
}

// String keeps the keys and tokens (unexported fields) out of %v.
func (c *Client) String() string { return "adminapi.Client{" + c.base + "}" }

// GoString is String, for %#v.
func (c *Client) GoString() string { return c.String() }

func checkBaseURL(raw string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", errors.New("admin api: the base URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("admin api: base URL: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("admin api: base URL %q: want http(s)://host/path", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("admin api: base URL %q: must have no query, fragment or user info", u.Redacted())
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func defaultHTTPClient(conc int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
			ExpectContinueTimeout: time.Second,
			IdleConnTimeout:       90 * time.Second,
			// A slot carries up to two requests (ReadForChange): keep a
			// connection for each, or HTTP/1.1 redials after every wave.
			MaxIdleConnsPerHost: 2 * conc,
		},
		// A redirect would be followed without the Authorization header
		// (another host) or turn a PATCH into a GET: surface it instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
