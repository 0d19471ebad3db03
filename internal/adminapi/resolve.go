package adminapi

import (
	"context"
	"fmt"
	"log/slog"
)

// resolve returns app with its _id, resolving a client_app_id once; the
// result carries no ClientAppID so caches key on the _id alone.
func (c *Client) resolve(ctx context.Context, app App) (App, error) {
	if app.AppID != "" || app.ClientAppID == "" {
		app.ClientAppID = ""
		return app, app.check()
	}
	c.mu.Lock()
	id, ok := c.resolved[app]
	c.mu.Unlock()
	if !ok {
		var err error
		id, err = c.resolveFlights.do(ctx, app.GroupID+"/"+app.ClientAppID, "list apps", func(ctx context.Context) (string, error) {
			return c.ResolveAppID(ctx, app.GroupID, app.ClientAppID)
		})
		if err != nil {
			return App{}, err
		}
		c.mu.Lock()
		if c.resolved == nil {
			c.resolved = map[App]string{}
		}
		c.resolved[app] = id
		c.mu.Unlock()
		c.log.LogAttrs(ctx, slog.LevelInfo, "admin api: client_app_id resolved",
			slog.String("client_app_id", app.ClientAppID), slog.String("app_id", id))
	}
	r := App{GroupID: app.GroupID, AppID: id}
	if err := r.check(); err != nil {
		return App{}, fmt.Errorf("resolve client_app_id %q: %w", app.ClientAppID, err)
	}
	return r, nil
}

// Resolve returns app as the Admin API knows it: its _id (a client_app_id
// resolved once and remembered) and its group. An app's identity is what
// an operation binds to, so that re-pointing an alias cannot redirect it.
func (c *Client) Resolve(ctx context.Context, app App) (App, error) {
	return c.resolve(ctx, app)
}
