package adminapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
)

// ResolveAppID finds the _id of the app whose client_app_id is clientAppID
// (e.g. "myapp-abcde") in the project groupID. Without a product filter the
// API lists only "standard" apps, so every product is asked for in turn,
// one request each as realm-cli does; apps created through the Atlas
// Device Sync flow would otherwise be missed (adminapi.md 4). A missing app
// is an error matching ErrNotFound.
func (c *Client) ResolveAppID(ctx context.Context, groupID, clientAppID string) (string, error) {
	if groupID == "" || clientAppID == "" {
		return "", fmt.Errorf("admin api: resolve app id: group id and client_app_id are both required")
	}
	products := []string{"standard", "atlas", "data-api", "device-sync"}
	for _, product := range products {
		q := url.Values{}
		if product != "standard" { // the default; realm-cli sends no query for it
			q.Set("product", product)
		}
		body, err := c.api(ctx, call{
			op: "list apps", method: http.MethodGet, path: groupPath(groupID) + "/apps",
			query: q, idempotent: true,
		})
		if err != nil {
			return "", fmt.Errorf("resolve client_app_id %q: %w", clientAppID, err)
		}
		var apps []struct {
			ID          string `json:"_id"`
			ClientAppID string `json:"client_app_id"`
		}
		if err := json.Unmarshal(body, &apps); err != nil {
			return "", fmt.Errorf("admin api: list apps: decode the answer: %w", err)
		}
		for _, a := range apps {
			if a.ClientAppID == clientAppID && a.ID != "" {
				c.log.LogAttrs(ctx, slog.LevelDebug, "admin api: resolved client_app_id",
					slog.String("client_app_id", clientAppID), slog.String("app_id", a.ID), slog.String("product", product))
				return a.ID, nil
			}
		}
	}
	return "", fmt.Errorf("admin api: resolve client_app_id %q: no such app in group %s (searched products %v): %w",
		clientAppID, groupID, products, ErrNotFound)
}
