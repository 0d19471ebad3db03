package atlasapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Cluster is what syncbot reads of a cluster (ClusterDescription20240805).
type Cluster struct {
	GroupID     string
	Name        string
	Paused      bool
	StateName   string // IDLE, UPDATING, REPAIRING, …
	ClusterType string // REPLICASET, SHARDED, GEOSHARDED
	// InstanceSize is the tier of the first electable region (M10, M0,
	// FLEX, …); Provider its providerName (AWS, TENANT, FLEX, …).
	InstanceSize string
	Provider     string
}

// States of stateName that matter here.
const (
	StateIdle     = "IDLE"
	StateUpdating = "UPDATING"
)

// Pausable says whether Atlas pauses this kind of cluster: dedicated tiers
// (M10 and up) only; not free or shared (TENANT), Flex or serverless.
func (c Cluster) Pausable() bool {
	switch strings.ToUpper(c.Provider) {
	case "TENANT", "FLEX", "SERVERLESS":
		return false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(strings.ToUpper(c.InstanceSize), "M"), "_NVME"))
	return err == nil && strings.HasPrefix(strings.ToUpper(c.InstanceSize), "M") && n >= 10
}

// Running is a cluster that is not paused and idle: a resume is complete.
func (c Cluster) Running() bool { return !c.Paused && c.StateName == StateIdle }

type wireCluster struct {
	GroupID          string `json:"groupId"`
	Name             string `json:"name"`
	Paused           bool   `json:"paused"`
	StateName        string `json:"stateName"`
	ClusterType      string `json:"clusterType"`
	ReplicationSpecs []struct {
		RegionConfigs []struct {
			ProviderName   string `json:"providerName"`
			ElectableSpecs struct {
				InstanceSize string `json:"instanceSize"`
			} `json:"electableSpecs"`
		} `json:"regionConfigs"`
	} `json:"replicationSpecs"`
}

// GetCluster reads one cluster (getCluster).
func (c *Client) GetCluster(ctx context.Context, groupID, name string) (Cluster, error) {
	k := call{op: "get cluster", method: http.MethodGet, path: clusterPath(groupID, name), media: MediaCluster}
	body, err := c.get(ctx, k)
	if err != nil {
		return Cluster{}, err
	}
	var w wireCluster
	if err := decode(k.op, body, &w); err != nil {
		return Cluster{}, err
	}
	cl := Cluster{GroupID: w.GroupID, Name: w.Name, Paused: w.Paused, StateName: w.StateName, ClusterType: w.ClusterType}
	if len(w.ReplicationSpecs) > 0 && len(w.ReplicationSpecs[0].RegionConfigs) > 0 {
		rc := w.ReplicationSpecs[0].RegionConfigs[0]
		cl.InstanceSize, cl.Provider = rc.ElectableSpecs.InstanceSize, rc.ProviderName
	}
	if cl.GroupID == "" {
		cl.GroupID = groupID
	}
	return cl, nil
}

// SetPaused PATCHes {"paused": paused} and nothing else (updateCluster).
// The PATCH is sent again only when its outcome is unknown (no answer, 429,
// 5xx) and a read shows it did not take effect.
func (c *Client) SetPaused(ctx context.Context, groupID, name string, paused bool) error {
	body, _ := json.Marshal(map[string]bool{"paused": paused})
	k := call{op: "update cluster", method: http.MethodPatch, path: clusterPath(groupID, name), media: MediaCluster, body: body}
	b := c.retry.Begin(c.clock.Now())
	for {
		_, err := c.once(ctx, k)
		if err == nil || ctx.Err() != nil || !retryable(err) {
			return err
		}
		// Unknown outcome: look before sending it again.
		cl, rerr := c.GetCluster(ctx, groupID, name)
		if rerr == nil && cl.Paused == paused {
			return nil
		}
		wait, stop := b.Next(c.clock.Now(), retryAfter(err))
		if stop != nil {
			return err
		}
		if rerr != nil {
			return fmt.Errorf("%w (and reading it back failed: %w)", err, rerr)
		}
		if err := sleep(ctx, c.clock, wait); err != nil {
			return fmt.Errorf("atlas api: %s: waiting to retry: %w", k.op, err)
		}
	}
}

// OplogMinRetentionHours reads processArgs' oplogMinRetentionHours; ok is
// false when it is not set (or the tier has no process arguments).
func (c *Client) OplogMinRetentionHours(ctx context.Context, groupID, name string) (hours float64, ok bool, err error) {
	k := call{op: "get process args", method: http.MethodGet, path: clusterPath(groupID, name) + "/processArgs", media: MediaProcessArgs}
	body, err := c.get(ctx, k)
	if err != nil {
		return 0, false, err
	}
	var w struct {
		Hours *float64 `json:"oplogMinRetentionHours"`
	}
	if err := decode(k.op, body, &w); err != nil {
		return 0, false, err
	}
	if w.Hours == nil {
		return 0, false, nil
	}
	return *w.Hours, true, nil
}

// IsCode reports whether err is an answer with Atlas's errorCode code.
func IsCode(err error, code string) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == code
}
