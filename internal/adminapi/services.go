package adminapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// serviceTypeAtlas is the type of a linked Atlas cluster (adminapi.md 5).
const serviceTypeAtlas = "mongodb-atlas"

// Service returns the id of the app's mongodb-atlas service: the linked
// cluster that Device Sync runs on. It is looked up once per app and then
// cached. With several linked clusters it is the one whose config has a
// non-empty sync state (sync runs on one cluster at most). An app with no
// linked cluster, or one the API no longer knows, gives an error matching
// ErrSyncNotConfigured (and ErrNotFound for the latter).
func (c *Client) Service(ctx context.Context, app App) (string, error) {
	sid, _, err := c.service(ctx, app)
	return sid, err
}

// service is Service that also says whether the id came from the cache.
func (c *Client) service(ctx context.Context, app App) (sid string, cached bool, err error) {
	app, err = c.resolve(ctx, app)
	if err != nil {
		return "", false, err
	}
	c.mu.Lock()
	sid, ok := c.services[app]
	c.mu.Unlock()
	if ok {
		return sid, true, nil
	}
	sid, err = c.serviceFlights.do(ctx, app.key(), "list services", func(ctx context.Context) (string, error) {
		return c.findService(ctx, app)
	})
	return sid, false, err
}

func (c *Client) rememberService(app App, sid string) {
	c.mu.Lock()
	c.services[app] = sid
	c.mu.Unlock()
}

func (c *Client) forgetService(app App) {
	c.mu.Lock()
	delete(c.services, app)
	c.mu.Unlock()
}

func (c *Client) findService(ctx context.Context, app App) (string, error) {
	body, err := c.api(ctx, call{op: "list services", method: http.MethodGet, path: appPath(app) + "/services", idempotent: true})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return "", fmt.Errorf("%w: %w", ErrSyncNotConfigured, err)
		}
		return "", err
	}
	var list []struct {
		ID   string `json:"_id"`
		Name string `json:"name"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return "", fmt.Errorf("admin api: list services: decode the answer: %w", err)
	}
	var atlas []string
	for _, s := range list {
		if s.Type == serviceTypeAtlas && s.ID != "" {
			atlas = append(atlas, s.ID)
		}
	}
	switch len(atlas) {
	case 0:
		return "", fmt.Errorf("admin api: find the linked cluster: the app has no %s service: %w", serviceTypeAtlas, ErrSyncNotConfigured)
	case 1:
		c.rememberService(app, atlas[0])
		return atlas[0], nil
	}

	// Several linked clusters: ask each for its sync config.
	fallback := ""
	for _, id := range atlas {
		body, err := c.getConfig(ctx, app, id)
		if err != nil {
			return "", err
		}
		cfg, err := parseSyncConfig(id, body)
		if errors.Is(err, ErrSyncNotConfigured) {
			continue
		}
		if err != nil {
			return "", err
		}
		if cfg.State != StateTerminated {
			c.rememberService(app, id)
			return id, nil
		}
		if fallback == "" {
			fallback = id
		}
	}
	if fallback != "" {
		// A sync object with an empty state (terminated): use it, but do
		// not cache it, since sync may be re-enabled on another cluster.
		return fallback, nil
	}
	return "", fmt.Errorf("admin api: find the linked cluster: none of the app's %d %s services has a sync config: %w",
		len(atlas), serviceTypeAtlas, ErrSyncNotConfigured)
}
