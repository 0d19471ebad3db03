package app

import (
	"context"
	"errors"
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

// checkClusters reads each cluster of SYNC_CLUSTERS and each app's
// cluster (with the App Services login working) through the Atlas
// Administration API, and says whether Atlas would pause it. Whether the
// key holds Project Cluster Manager cannot be read without changing
// something: a 403 at the first pause names the role.
func checkClusters(ctx context.Context, cfg config.Config, log *slog.Logger, admin *adminapi.Client, apps map[string]adminapi.App, appAliases []string, viaApps bool, line func(string, error, string)) {
	if !viaApps {
		admin = nil
	}
	m := metrics.New(func(context.Context) (int, error) { return 0, nil })
	k, aliases, err := clusters(cfg, clock.Real{}, log, admin, nil, apps, m)
	if err != nil {
		line("Atlas Administration API client", err, "")
		return
	}
	if viaApps {
		aliases = append(aliases, appAliases...)
	}
	seen := map[string]bool{}
	for _, alias := range aliases {
		t, err := k.Identify(ctx, alias)
		if errors.Is(err, adminapi.ErrSyncNotConfigured) {
			continue // an app without a linked cluster
		}
		if err == nil && seen[t.Key()] {
			continue
		}
		what := "cluster of " + alias
		if err == nil {
			seen[t.Key()] = true
			what = fmt.Sprintf("cluster %s (%s)", t.Name, alias)
		}
		var cl atlasapi.Cluster
		if err == nil {
			cl, err = k.Describe(ctx, t)
		}
		ok := fmt.Sprintf("%s, %s %s", cl.InstanceSize, map[bool]string{true: "paused", false: "running"}[cl.Paused], cl.StateName)
		if cl.Pausable() {
			ok += "; Atlas can pause it (the key needs Project Cluster Manager)"
		} else {
			ok += "; Atlas does not pause this tier"
		}
		line(what, err, ok)
	}
}
