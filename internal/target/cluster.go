package target

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/atlasapi"
	"github.com/syncbot/syncbot/internal/store"
)

// KindCluster is the kind name of Atlas cluster targets in the journal.
const KindCluster = "cluster"

// A cluster's state in the journal's words (Reading.State, Op.SyncAfter).
const (
	ClusterPaused  = "paused"
	ClusterRunning = "running"
)

// ClusterAtlas is what the Cluster kind needs of the Atlas Administration API.
type ClusterAtlas interface {
	GetCluster(ctx context.Context, groupID, name string) (atlasapi.Cluster, error)
	SetPaused(ctx context.Context, groupID, name string, paused bool) error
	OplogMinRetentionHours(ctx context.Context, groupID, name string) (float64, bool, error)
}

// ClusterAdmin is what it needs of the App Services Admin API: the cluster
// an app's sync runs on.
type ClusterAdmin interface {
	ClusterName(ctx context.Context, app adminapi.App) (string, error)
	GroupApps(ctx context.Context, groupID string) ([]adminapi.NamedApp, error)
}

// Cluster is the Atlas clusters of SYNC_CLUSTERS, and those the apps of
// SYNC_APPS run on (an app's alias names its cluster).
type Cluster struct {
	Atlas ClusterAtlas
	Admin ClusterAdmin // nil without apps
	// Sync is the apps' Device Sync: an app is on a cluster when its
	// target's group and clusterName match.
	Sync     Kind
	Apps     map[string]adminapi.App // SYNC_APPS alias → app
	Clusters map[string]store.Target // SYNC_CLUSTERS alias → cluster target
}

// ClusterTarget is the journal's identity of a cluster.
func ClusterTarget(groupID, name string) store.Target {
	return store.Target{Kind: KindCluster, GroupID: groupID, Name: name}
}

// Identify resolves alias to its cluster: a SYNC_CLUSTERS entry as
// configured, or the cluster an app of SYNC_APPS runs on now.
func (c Cluster) Identify(ctx context.Context, alias string) (store.Target, error) {
	if t, ok := c.Clusters[alias]; ok {
		return t, nil
	}
	app, ok := c.Apps[alias]
	if !ok || c.Admin == nil {
		return store.Target{}, fmt.Errorf("identify cluster %q: %w", alias, ErrUnknownAlias)
	}
	name, err := c.Admin.ClusterName(ctx, app)
	if err != nil {
		return store.Target{}, fmt.Errorf("find the cluster of %q: %w", alias, err)
	}
	return ClusterTarget(app.GroupID, name), nil
}

func clusterState(cl atlasapi.Cluster) string {
	if cl.Paused {
		return ClusterPaused
	}
	return ClusterRunning
}

// Describe reads the cluster as Atlas has it.
func (c Cluster) Describe(ctx context.Context, t store.Target) (atlasapi.Cluster, error) {
	return c.Atlas.GetCluster(ctx, t.GroupID, t.Name)
}

// Read reads t: State paused or running, Variant the tier.
func (c Cluster) Read(ctx context.Context, t store.Target) (Reading, error) {
	cl, err := c.Describe(ctx, t)
	return Reading{State: clusterState(cl), Variant: cl.InstanceSize}, err
}

// ReadForChange is Read: the refusals (tier, state) are the verb's, which
// words them.
func (c Cluster) ReadForChange(ctx context.Context, t store.Target) (Reading, error) {
	return c.Read(ctx, t)
}

// Apply PATCHes {"paused": to == paused}.
func (c Cluster) Apply(ctx context.Context, t store.Target, _ Reading, to string) error {
	return c.Atlas.SetPaused(ctx, t.GroupID, t.Name, to == ClusterPaused)
}

// Effect names the PATCH for the audit log.
func (c Cluster) Effect(_ Reading, to string) string {
	return "PATCH cluster paused " + strconv.FormatBool(to == ClusterPaused)
}

// OplogHours is the cluster's oplogMinRetentionHours; ok false when unset.
func (c Cluster) OplogHours(ctx context.Context, t store.Target) (float64, bool, error) {
	return c.Atlas.OplogMinRetentionHours(ctx, t.GroupID, t.Name)
}

// AppOn is an app of SYNC_APPS on a cluster, with its sync as read.
type AppOn struct {
	Alias  string
	Target store.Target // its Device Sync target
	Sync   Reading
}

// StepName is the journal's name of the step that changes this app's sync.
func (a AppOn) StepName() string { return "sync/" + a.Target.GroupID + "/" + a.Target.AppID }

// AppsOn lists the apps of SYNC_APPS on cluster t, by alias, with their
// sync state. An app whose cluster or sync cannot be read is an error: a
// pause must not leave a sync running on a paused cluster for want of a
// read.
func (c Cluster) AppsOn(ctx context.Context, t store.Target) ([]AppOn, error) {
	if c.Admin == nil || c.Sync == nil {
		return nil, nil
	}
	aliases := make([]string, 0, len(c.Apps))
	for a := range c.Apps {
		aliases = append(aliases, a)
	}
	slices.Sort(aliases)
	var out []AppOn
	for _, alias := range aliases {
		app := c.Apps[alias]
		if app.GroupID != t.GroupID {
			continue
		}
		name, err := c.Admin.ClusterName(ctx, app)
		if errors.Is(err, adminapi.ErrSyncNotConfigured) {
			continue // no linked cluster: not on this one
		}
		if err != nil {
			return nil, fmt.Errorf("find the cluster of %q: %w", alias, err)
		}
		if name != t.Name {
			continue
		}
		st, err := c.Sync.Identify(ctx, alias)
		if err != nil {
			return nil, fmt.Errorf("identify %q: %w", alias, err)
		}
		r, err := c.Sync.Read(ctx, st)
		if err != nil {
			return nil, fmt.Errorf("read the sync of %q: %w", alias, err)
		}
		out = append(out, AppOn{Alias: alias, Target: st, Sync: r})
	}
	return out, nil
}

// OthersOn names the App Services apps of t's project linked to t that
// are not among managed (apps syncbot does not manage, whose sync it does
// not pause). An error when the key may not list the project's apps.
func (c Cluster) OthersOn(ctx context.Context, t store.Target, managed []AppOn) ([]string, error) {
	if c.Admin == nil {
		return nil, nil
	}
	apps, err := c.Admin.GroupApps(ctx, t.GroupID)
	if err != nil {
		return nil, fmt.Errorf("list the project's apps: %w", err)
	}
	var out []string
	for _, a := range apps {
		if slices.ContainsFunc(managed, func(m AppOn) bool { return m.Target.AppID == a.AppID }) {
			continue
		}
		if name, err := c.Admin.ClusterName(ctx, a.App); err == nil && name == t.Name {
			out = append(out, a.Name)
		}
	}
	slices.Sort(out)
	return out, nil
}
