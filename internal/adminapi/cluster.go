package adminapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// ClusterName returns the name of the Atlas cluster the app's sync runs on:
// clusterName in the config of its mongodb-atlas service (adminapi.md 6.1).
// An app with no linked cluster gives ErrSyncNotConfigured.
func (c *Client) ClusterName(ctx context.Context, app App) (string, error) {
	app, err := c.resolve(ctx, app)
	if err != nil {
		return "", err
	}
	sid, err := c.Service(ctx, app)
	if err != nil {
		return "", err
	}
	body, err := c.getConfig(ctx, app, sid)
	if err != nil {
		return "", err
	}
	var top struct {
		ClusterName string `json:"clusterName"`
	}
	if err := json.Unmarshal(body, &top); err != nil {
		return "", fmt.Errorf("admin api: get service config: decode the answer: %w", err)
	}
	if top.ClusterName == "" {
		return "", fmt.Errorf("admin api: the app's %s service names no cluster: %w", serviceTypeAtlas, ErrSyncNotConfigured)
	}
	return top.ClusterName, nil
}

// NamedApp is an app of a project, with its name.
type NamedApp struct {
	App
	Name string
}

// GroupApps lists the project's apps of every product (as ResolveAppID
// does). A key that may not list them gets the API's error (403).
func (c *Client) GroupApps(ctx context.Context, groupID string) ([]NamedApp, error) {
	var out []NamedApp
	for _, product := range []string{"standard", "atlas", "data-api", "device-sync"} {
		q := url.Values{}
		if product != "standard" {
			q.Set("product", product)
		}
		body, err := c.api(ctx, call{op: "list apps", method: http.MethodGet, path: groupPath(groupID) + "/apps", query: q, idempotent: true})
		if err != nil {
			return nil, err
		}
		var apps []struct {
			ID   string `json:"_id"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal(body, &apps); err != nil {
			return nil, fmt.Errorf("admin api: list apps: decode the answer: %w", err)
		}
		for _, a := range apps {
			if a.ID != "" {
				out = append(out, NamedApp{App: App{GroupID: groupID, AppID: a.ID}, Name: a.Name})
			}
		}
	}
	return out, nil
}
