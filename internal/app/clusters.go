package app

import (
	"fmt"
	"log/slog"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/atlasapi"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/config"
	"github.com/syncbot/syncbot/internal/metrics"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/target"
)

// clusters builds the Cluster kind: the Atlas Administration API client
// (same key, HTTP Digest) over SYNC_CLUSTERS and the clusters of the apps
// of SYNC_APPS. It returns the cluster aliases, in order.
func clusters(cfg config.Config, clk clock.Clock, log *slog.Logger, admin *adminapi.Client, sync target.Kind, apps map[string]adminapi.App, m *metrics.Metrics) (target.Cluster, []string, error) {
	base := cfg.AtlasAPIURL
	if base == "" { // a Config built by hand (tests, the playground): Load's default
		base = "https://cloud.mongodb.com"
	}
	atlas, err := atlasapi.New(atlasapi.Options{
		BaseURL: base, PublicKey: cfg.AtlasPublicKey.Reveal(), PrivateKey: cfg.AtlasPrivateKey.Reveal(),
		Timeout: cfg.AdminTimeout, Clock: clk, Logger: log.With("component", "atlasapi"), OnCall: m.AdminCall,
	})
	if err != nil {
		return target.Cluster{}, nil, fmt.Errorf("atlas api client: %w", err)
	}
	k := target.Cluster{Atlas: atlas, Admin: admin, Sync: sync, Apps: apps, Clusters: make(map[string]store.Target, len(cfg.Clusters))}
	aliases := make([]string, 0, len(cfg.Clusters))
	for _, c := range cfg.Clusters {
		k.Clusters[c.Alias] = target.ClusterTarget(c.GroupID, c.Name)
		aliases = append(aliases, c.Alias)
	}
	return k, aliases, nil
}
