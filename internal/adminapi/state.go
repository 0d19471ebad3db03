package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// ErrOutcomeUnknown marks a SetState whose PATCH got no definite answer and
// whose effect could not be confirmed by reading the state back: the change
// may or may not have happened. Reconcile by reading the state.
var ErrOutcomeUnknown = errors.New("admin api: the change may or may not have been applied")

// SetState sets the sync state: StateDisabled pauses, StateTerminated
// terminates, StateEnabled (re-)enables. It PATCHes {kind: object} where
// object is the given sync object (from Sync, or a snapshot saved before a
// terminate) with only "state" replaced; every other field goes back as it
// came, byte for byte, and no top-level cluster field is sent (adminapi.md
// 6.3).
//
// A PATCH answered with a definite error is not retried. One with an
// unknown outcome (no answer, a timeout, 5xx, 429) is resent only after a
// fresh read shows the state did not change; if the read shows it did, the
// call succeeds. If the policy runs out first, the error matches
// ErrOutcomeUnknown.
func (c *Client) SetState(ctx context.Context, app App, kind string, object json.RawMessage, state string) error {
	// The change's reads are done: its calls go ahead of new work (slots).
	ctx = withPriority(ctx)
	app, err := c.resolve(ctx, app)
	if err != nil {
		return err
	}
	switch state {
	case StateEnabled, StateDisabled, StateTerminated:
	default:
		return fmt.Errorf("admin api: set sync state: %q is not a sync state (want %q, %q or empty)", state, StateEnabled, StateDisabled)
	}
	if kind != KindFlexible && kind != KindPartition {
		return fmt.Errorf("admin api: set sync state: %q is not a sync kind (want %q or %q)", kind, KindFlexible, KindPartition)
	}
	obj, err := withState(object, state)
	if err != nil {
		return fmt.Errorf("admin api: set sync state: %w", err)
	}
	sid, _, err := c.service(ctx, app)
	if err != nil {
		return err
	}
	// Whatever happens, a read started before this PATCH must not be
	// handed to callers who ask after it.
	defer c.syncFlights.forget(app.key())

	k := call{
		op: "set sync state", method: http.MethodPatch, path: configPath(app, sid),
		body: wrapObject(kind, obj),
	}
	attrs := []slog.Attr{slog.String("group_id", app.GroupID), slog.String("app_id", app.AppID),
		slog.String("kind", kind), slog.String("state", state)}
	// Read back on a fresh GET, never one shared with a read that began
	// before the PATCH.
	return c.sendOnce(ctx, k, "state", attrs, func(ctx context.Context) (bool, error) {
		cfg, err := c.readSync(ctx, app)
		return cfg.Kind == kind && cfg.State == state, err
	})
}

// sendOnce sends the change k, and sends it again only after an answer
// that left its outcome unknown (a timeout, 5xx, 429) and a fresh read
// (applied; what it reads, in words) shows it did not take. When the
// policy runs out first, the error matches ErrOutcomeUnknown. The one
// write discipline of every change the client makes (adminapi.md 6.3).
func (c *Client) sendOnce(ctx context.Context, k call, what string, attrs []slog.Attr, applied func(context.Context) (bool, error)) error {
	req, err := c.request(ctx, k)
	if err != nil {
		return err
	}
	b := c.retry.Begin(c.clock.Now())
	for {
		_, err := c.authed(ctx, k, req)
		if err == nil {
			c.log.LogAttrs(ctx, slog.LevelInfo, "admin api: "+k.op+" done", attrs...)
			return nil
		}
		if ctx.Err() != nil || classify(false, err) != readBack {
			return err
		}
		var retryAfter time.Duration
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			retryAfter = apiErr.RetryAfter
		}
		wait, stop := b.Next(c.clock.Now(), retryAfter)
		more := stop == nil
		if more {
			if serr := sleep(ctx, c.clock, wait); serr != nil {
				return fmt.Errorf("%w (%w; waiting to read the %s back: %w)", err, ErrOutcomeUnknown, what, serr)
			}
		}
		ok, rerr := applied(ctx)
		if rerr != nil {
			return fmt.Errorf("%w (%w; reading the %s back failed: %w)", err, ErrOutcomeUnknown, what, rerr)
		}
		if ok {
			c.log.LogAttrs(ctx, slog.LevelInfo, "admin api: "+k.op+" done (confirmed by reading it back after an unclear answer)",
				append(attrs, slog.String("error", err.Error()))...)
			return nil
		}
		if !more {
			return fmt.Errorf("%w (%w; gave up after %d attempts)", err, ErrOutcomeUnknown, b.Attempts())
		}
		c.log.LogAttrs(ctx, slog.LevelInfo, "admin api: "+k.op+" did not take after an unclear answer; sending it again",
			append(attrs, slog.Int("attempt", b.Attempts()+1), slog.String("error", err.Error()))...)
	}
}

// wrapObject builds {"<kind>": obj}.
func wrapObject(kind string, obj []byte) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	b.Write(quote(kind))
	b.WriteByte(':')
	b.Write(obj)
	b.WriteByte('}')
	return b.Bytes()
}

// withState returns the JSON object obj with its "state" member set to
// state. It walks the object member by member instead of decoding it into a
// map and re-encoding, so that members keep their order and every other
// value its exact bytes (encoding/json would re-escape <, > and &, and
// Go structs would drop fields the bot does not own). A missing state is
// appended; a duplicate one dropped.
func withState(obj json.RawMessage, state string) ([]byte, error) {
	return withMember(obj, "state", quote(state), "sync")
}

// withMember is withState for any member: obj with its member key set to
// the JSON value val; what names the object in errors.
func withMember(obj json.RawMessage, name string, val []byte, what string) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("the %s object is not a JSON object", what)
	}
	stateJSON := val
	var b bytes.Buffer
	b.WriteByte('{')
	wrote := false
	member := func(key []byte, val []byte) {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(val)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("the %s object is not valid JSON: %w", what, err)
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, fmt.Errorf("the %s object is not valid JSON: %w", what, err)
		}
		if key == name {
			if wrote {
				continue
			}
			val, wrote = stateJSON, true
		}
		member(quote(key), val)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, fmt.Errorf("the %s object is not valid JSON", what)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("the %s object has trailing data", what)
	}
	if !wrote {
		member(quote(name), stateJSON)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// quote encodes s as a JSON string without HTML escaping.
func quote(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
