package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sync kinds: the key of the sync object in the service config.
const (
	KindFlexible  = "flexible_sync"
	KindPartition = "sync"
)

// Sync states (adminapi.md 6.3).
const (
	StateEnabled    = "enabled"  // running
	StateDisabled   = "disabled" // paused
	StateTerminated = ""         // terminated, or never enabled
)

// SyncConfig is an app's Device Sync configuration as last read.
type SyncConfig struct {
	ServiceID string
	Kind      string // KindFlexible or KindPartition
	State     string // StateEnabled, StateDisabled or StateTerminated
	// Object is the sync object exactly as received, fields the bot does
	// not own included; SetState sends it back with only state changed.
	Object json.RawMessage
	// LastDisabled is when sync was last paused or disabled; zero if the
	// API did not say.
	LastDisabled time.Time
}

// Sync reads the app's sync configuration. Concurrent callers for one app
// share one GET; each gets its own copy of Object. An app whose config has
// no sync object (never configured, or removed at end of life) gives an
// error matching ErrSyncNotConfigured.
func (c *Client) Sync(ctx context.Context, app App) (SyncConfig, error) {
	app, err := c.resolve(ctx, app)
	if err != nil {
		return SyncConfig{}, err
	}
	cfg, err := c.syncFlights.do(ctx, app.key(), "get sync config", func(ctx context.Context) (SyncConfig, error) {
		return c.readSync(ctx, app)
	})
	if err != nil {
		return SyncConfig{}, err
	}
	cfg.Object = bytes.Clone(cfg.Object)
	return cfg, nil
}

// readSync does one fresh read, outside any shared flight.
func (c *Client) readSync(ctx context.Context, app App) (SyncConfig, error) {
	sid, cached, err := c.service(ctx, app)
	if err != nil {
		return SyncConfig{}, err
	}
	body, err := c.getConfig(ctx, app, sid)
	if errors.Is(err, ErrNotFound) && cached {
		// The cached service may have been removed and the cluster linked
		// again under a new id: look it up once more.
		c.forgetService(app)
		if sid, _, err = c.service(ctx, app); err != nil {
			return SyncConfig{}, err
		}
		body, err = c.getConfig(ctx, app, sid)
	}
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			c.forgetService(app)
			return SyncConfig{}, fmt.Errorf("%w: %w", ErrSyncNotConfigured, err)
		}
		return SyncConfig{}, err
	}
	return parseSyncConfig(sid, body)
}

func (c *Client) getConfig(ctx context.Context, app App, sid string) ([]byte, error) {
	return c.api(ctx, call{op: "get sync config", method: http.MethodGet, path: configPath(app, sid), idempotent: true})
}

// parseSyncConfig picks the sync object out of a service config. When both
// keys are present (not seen, but not excluded by the docs), the one with a
// non-empty state wins, then flexible_sync. A key whose value is null or an
// empty object counts as absent.
func parseSyncConfig(sid string, body []byte) (SyncConfig, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return SyncConfig{}, fmt.Errorf("admin api: get sync config: decode the answer: %w", err)
	}
	var found []SyncConfig
	for _, kind := range []string{KindFlexible, KindPartition} {
		raw, ok := top[kind]
		if !ok || isNull(raw) {
			continue
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return SyncConfig{}, fmt.Errorf("admin api: get sync config: %s is not an object: %w", kind, err)
		}
		if len(fields) == 0 {
			continue
		}
		var state string
		if s, ok := fields["state"]; ok && !isNull(s) {
			if err := json.Unmarshal(s, &state); err != nil {
				return SyncConfig{}, fmt.Errorf("admin api: get sync config: %s.state is not a string: %w", kind, err)
			}
		}
		found = append(found, SyncConfig{
			ServiceID: sid, Kind: kind, State: state, Object: raw,
			LastDisabled: parseUnixTime(fields["last_disabled"]),
		})
	}
	switch {
	case len(found) == 0:
		return SyncConfig{}, fmt.Errorf("admin api: get sync config: neither %s nor %s in the service config: %w",
			KindFlexible, KindPartition, ErrSyncNotConfigured)
	case len(found) > 1 && found[0].State == StateTerminated && found[1].State != StateTerminated:
		return found[1], nil
	}
	return found[0], nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// parseUnixTime reads last_disabled, which the SPEC types as a string of
// seconds and the docs table as a number (adminapi.md 6.1): both are
// accepted, and so is RFC 3339. A value too large for seconds is taken as
// milliseconds. Anything unreadable is zero: it only feeds "paused since",
// and must not stop a pause or a resume.
func parseUnixTime(raw json.RawMessage) time.Time {
	if isNull(raw) {
		return time.Time{}
	}
	text := string(bytes.TrimSpace(raw))
	if strings.HasPrefix(text, `"`) {
		if err := json.Unmarshal(raw, &text); err != nil {
			return time.Time{}
		}
		text = strings.TrimSpace(text)
		if t, err := time.Parse(time.RFC3339, text); err == nil {
			return t
		}
	}
	const msThreshold = 1e11 // past the year 5000 in seconds: milliseconds
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		switch {
		case n <= 0:
			return time.Time{}
		case n > msThreshold:
			return time.UnixMilli(n).UTC()
		}
		return time.Unix(n, 0).UTC()
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return time.Time{}
	}
	if f > msThreshold {
		f /= 1000
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}
