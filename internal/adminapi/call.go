package adminapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// call describes one logical Admin API call.
type call struct {
	op         string // for errors, logs and OnCall
	method     string
	path       string // below the base URL, starting with "/"
	query      url.Values
	body       []byte
	idempotent bool     // safe to resend after an unknown outcome
	redact     []string // values that must not reach error text (auth calls)
}

// request builds the call's request, without credentials. Each attempt
// sends a clone carrying its own deadline and token, so a token never sits
// on a request that outlives the attempt.
func (c *Client) request(ctx context.Context, k call) (*http.Request, error) {
	u := c.base + k.path
	if len(k.query) > 0 {
		u += "?" + k.query.Encode()
	}
	var body io.Reader
	if k.body != nil {
		body = bytes.NewReader(k.body)
	}
	req, err := http.NewRequestWithContext(ctx, k.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("admin api: %s: build request: %w", k.op, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if k.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// send makes one HTTP attempt: it takes a concurrency slot, bounds the
// attempt by the timeout, and reads the answer. A non-2xx answer comes
// back as *APIError, no answer at all as *netError.
func (c *Client) send(ctx context.Context, k call, req *http.Request, bearer secret) ([]byte, error) {
	// A change under way, and the session everyone needs, go first.
	session := strings.HasPrefix(k.path, "/auth/")
	release, err := c.sem.acquireFor(ctx, hasPriority(ctx) || session, session)
	if err != nil {
		return nil, fmt.Errorf("admin api: %s: waiting for a free connection slot: %w", k.op, err)
	}
	defer release()

	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	r := req.Clone(actx)
	if req.GetBody != nil {
		b, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("admin api: %s: rewind body: %w", k.op, err)
		}
		r.Body = b
	}
	if bearer != "" {
		r.Header.Set("Authorization", "Bearer "+string(bearer))
	}

	start := c.clock.Now()
	resp, err := c.hc.Do(r)
	if err != nil {
		c.observe(k.op, 0, start)
		return nil, c.noAnswer(ctx, actx, k.op, err)
	}
	defer resp.Body.Close()
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	limit := int64(maxErrorBody)
	if ok {
		limit = maxBody + 1
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, limit))
	c.observe(k.op, resp.StatusCode, start)
	if !ok {
		// Whatever part of an error body arrived is enough to report it.
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			body = []byte(redirectText(resp))
		}
		return nil, newAPIError(k.op, resp.StatusCode, resp.Header, body, c.session.secrets(bearer, k.redact)...)
	}
	switch {
	case rerr != nil && k.method == http.MethodPatch:
		// The 2xx status already says the change was applied; the body
		// of a PATCH carries nothing we need.
		return nil, nil
	case rerr != nil:
		return nil, c.noAnswer(ctx, actx, k.op, fmt.Errorf("reading the answer: %w", rerr))
	case int64(len(body)) > maxBody:
		return nil, fmt.Errorf("admin api: %s: answer larger than %d bytes", k.op, maxBody)
	}
	return body, nil
}

// noAnswer classifies a failed attempt: the caller's own cancellation is
// returned as such (never retried); anything else, the attempt's timeout
// included, is a netError whose outcome is unknown. *url.Error is unwrapped
// because its text repeats the whole URL, which the op already names.
func (c *Client) noAnswer(ctx, actx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("admin api: %s: %w", op, ctx.Err())
	}
	if errors.Is(actx.Err(), context.DeadlineExceeded) {
		return &netError{op: op, err: fmt.Errorf("no answer within %v: %w", c.timeout, context.DeadlineExceeded)}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &netError{op: op, err: err}
}

func redirectText(resp *http.Response) string {
	loc, err := resp.Location()
	if err != nil {
		return "unexpected redirect; check the Admin API base URL"
	}
	return "unexpected redirect to " + loc.Scheme + "://" + loc.Host + loc.Path + "; check the Admin API base URL"
}

func (c *Client) observe(op string, status int, start time.Time) {
	if c.onCall != nil {
		c.onCall(op, status, c.clock.Now().Sub(start))
	}
}

// retrying runs attempt until it succeeds, fails for good, or the retry
// policy is spent, waiting between attempts on the injected clock.
func (c *Client) retrying(ctx context.Context, k call, attempt func() error) error {
	b := c.retry.Begin(c.clock.Now())
	for {
		err := attempt()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || classify(k.idempotent, err) != again {
			return err
		}
		var retryAfter time.Duration
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			retryAfter = apiErr.RetryAfter
		}
		wait, stop := b.Next(c.clock.Now(), retryAfter)
		if stop != nil {
			if b.Attempts() > 1 {
				return fmt.Errorf("%w (gave up after %d attempts)", err, b.Attempts())
			}
			return err
		}
		c.log.LogAttrs(ctx, slog.LevelInfo, "admin api: retrying",
			slog.String("op", k.op), slog.Int("attempt", b.Attempts()+1),
			slog.Duration("wait", wait), slog.String("error", err.Error()))
		if err := sleep(ctx, c.clock, wait); err != nil {
			return fmt.Errorf("admin api: %s: waiting to retry: %w", k.op, err)
		}
	}
}

// api makes an authenticated call: idempotent calls are retried under the
// policy; a PATCH gets one attempt here (SetState decides what follows).
// The answer's body is returned.
func (c *Client) api(ctx context.Context, k call) ([]byte, error) {
	req, err := c.request(ctx, k)
	if err != nil {
		return nil, err
	}
	var body []byte
	err = c.retrying(ctx, k, func() error {
		var err error
		body, err = c.authed(ctx, k, req)
		return err
	})
	return body, err
}

// authed sends one call with the current access token. An InvalidSession
// answer means the token was not accepted (the call was not processed), so
// it is safe to resend whatever the method: first after a refresh, then
// after a fresh login, then the error is returned.
func (c *Client) authed(ctx context.Context, k call, req *http.Request) ([]byte, error) {
	for renewal := 0; ; renewal++ {
		tok, err := c.session.token(ctx)
		if err != nil {
			// The login or refresh already spent its own retries.
			return nil, final{err}
		}
		body, err := c.send(ctx, k, req, tok)
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Code != codeInvalidSession {
			return body, err
		}
		switch renewal {
		case 0:
			c.log.LogAttrs(ctx, slog.LevelInfo, "admin api: session refused; refreshing the token", slog.String("op", k.op))
			c.session.invalidate(tok, false)
		case 1:
			c.log.LogAttrs(ctx, slog.LevelInfo, "admin api: session still refused; logging in again", slog.String("op", k.op))
			c.session.invalidate(tok, true)
		default:
			return nil, fmt.Errorf("%w (still refused after a token refresh and a fresh login; check the API key's access)", err)
		}
	}
}
