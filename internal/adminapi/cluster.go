package adminapi

import (
	"context"
	"encoding/json"
	"fmt"
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
