// Package atlasapi is a small client of the Atlas Administration API v2:
// read a cluster, pause or resume it, read its process arguments. It
// authenticates with HTTP Digest (the programmatic API key; no login, no
// token), sends the versioned media type of each resource, and retries
// under the shared retry policy: reads on 429 and 5xx, a PATCH only after
// a read shows it did not take effect.
package atlasapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mongodb-forks/digest"

	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/retry"
)

// The versioned media types, from MongoDB's published spec
// (mongodb/openapi openapi/v2.json): getCluster and updateCluster are
// ClusterDescription20240805 under 2024-10-23, their newest version;
// getClusterAdvancedConfiguration (processArgs) is 2024-08-05. One place,
// so that moving to a newer version is one edit and one fake change.
const (
	MediaCluster     = "application/vnd.atlas.2024-10-23+json"
	MediaProcessArgs = "application/vnd.atlas.2024-08-05+json"
)

// Prefix is where the v2 resources live below the base URL.
const Prefix = "/api/atlas/v2"

// Options configure a Client; BaseURL and the two keys are required.
type Options struct {
	BaseURL    string // e.g. https://cloud.mongodb.com
	PublicKey  string
	PrivateKey string
	// Transport carries the requests under the digest transport (default:
	// http.DefaultTransport's settings, cloned).
	Transport http.RoundTripper
	Timeout   time.Duration // one attempt (default 15s)
	Clock     clock.Clock   // default clock.Real{}
	Logger    *slog.Logger  // default: discard
	Retry     retry.Policy  // zero fields take the defaults of the Admin API client
	// OnCall, if set, is called once per attempt with the status (0 when no
	// answer came) and the time taken.
	OnCall func(op string, status int, d time.Duration)
}

// String keeps the keys out of anything that prints Options.
func (o Options) String() string {
	return fmt.Sprintf("atlasapi.Options{BaseURL: %q, PublicKey: [redacted], PrivateKey: [redacted]}", o.BaseURL)
}

// GoString is String, for %#v.
func (o Options) GoString() string { return o.String() }

// LogValue is String, for slog.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }

// Client talks to the Atlas Administration API v2; safe for concurrent use.
type Client struct {
	base    string
	hc      *http.Client
	timeout time.Duration
	clock   clock.Clock
	log     *slog.Logger
	retry   retry.Policy
	onCall  func(op string, status int, d time.Duration)
	redact  []string
}

// New checks o and returns a Client; it makes no call.
func New(o Options) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(o.BaseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, errors.New("atlas api: the base URL must be an http(s) URL without credentials")
	}
	if strings.TrimSpace(o.PublicKey) == "" || strings.TrimSpace(o.PrivateKey) == "" {
		return nil, errors.New("atlas api: the API key is incomplete")
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	dt := digest.NewTransportWithHTTPRoundTripper(o.PublicKey, o.PrivateKey, o.Transport)
	return &Client{
		base: strings.TrimSuffix(u.String(), "/") + Prefix,
		// No redirects: a redirect would carry the request elsewhere.
		hc:      &http.Client{Transport: dt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		timeout: o.Timeout, clock: o.Clock, log: o.Logger, onCall: o.OnCall,
		retry:  o.Retry.Or(retry.Policy{Attempts: 4, BaseDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second, Total: 30 * time.Second}),
		redact: []string{o.PublicKey, o.PrivateKey},
	}, nil
}

// String names the base URL only.
func (c *Client) String() string { return "atlasapi.Client{" + c.base + "}" }

func clusterPath(groupID, name string) string {
	return "/groups/" + url.PathEscape(groupID) + "/clusters/" + url.PathEscape(name)
}

// call is one logical request.
type call struct {
	op, method, path, media string
	body                    []byte
}

// once makes one attempt and returns the answer's body.
func (c *Client) once(ctx context.Context, k call) ([]byte, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body io.Reader
	if k.body != nil {
		body = bytes.NewReader(k.body)
	}
	req, err := http.NewRequestWithContext(actx, k.method, c.base+k.path, body)
	if err != nil {
		return nil, fmt.Errorf("atlas api: %s: build request: %w", k.op, err)
	}
	req.Header.Set("Accept", k.media)
	req.Header.Set("User-Agent", "syncbot-atlasapi")
	if k.body != nil {
		req.Header.Set("Content-Type", k.media)
	}
	start := c.clock.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.observe(k.op, 0, start)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("atlas api: %s: %w", k.op, ctx.Err())
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &netError{op: k.op, err: err}
	}
	defer resp.Body.Close()
	c.observe(k.op, resp.StatusCode, start)
	b, rerr := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, newAPIError(k.op, resp.StatusCode, resp.Header, b, c.redact...)
	}
	if rerr != nil && k.method != http.MethodPatch {
		return nil, &netError{op: k.op, err: fmt.Errorf("reading the answer: %w", rerr)}
	}
	return b, nil
}

func (c *Client) observe(op string, status int, start time.Time) {
	if c.onCall != nil {
		c.onCall(op, status, c.clock.Now().Sub(start))
	}
}

// get is a read, retried on 429, 5xx (not 501) and network failures.
func (c *Client) get(ctx context.Context, k call) ([]byte, error) {
	b := c.retry.Begin(c.clock.Now())
	for {
		body, err := c.once(ctx, k)
		if err == nil || ctx.Err() != nil || !retryable(err) {
			return body, err
		}
		wait, stop := b.Next(c.clock.Now(), retryAfter(err))
		if stop != nil {
			if b.Attempts() > 1 {
				return nil, fmt.Errorf("%w (gave up after %d attempts)", err, b.Attempts())
			}
			return nil, err
		}
		c.log.LogAttrs(ctx, slog.LevelInfo, "atlas api: retrying", slog.String("op", k.op),
			slog.Int("attempt", b.Attempts()+1), slog.Duration("wait", wait), slog.String("error", err.Error()))
		if err := sleep(ctx, c.clock, wait); err != nil {
			return nil, fmt.Errorf("atlas api: %s: waiting to retry: %w", k.op, err)
		}
	}
}

// retryable: no answer, rate limited, or a server error other than 501.
func retryable(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Status == http.StatusTooManyRequests || (apiErr.Status >= 500 && apiErr.Status != http.StatusNotImplemented)
	}
	var nErr *netError
	return errors.As(err, &nErr)
}

func retryAfter(err error) time.Duration {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.RetryAfter
	}
	return 0
}

func sleep(ctx context.Context, clk clock.Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-clk.After(d):
		return nil
	}
}

// decode reads a JSON answer into v.
func decode(op string, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("atlas api: %s: decode the answer: %w", op, err)
	}
	return nil
}
