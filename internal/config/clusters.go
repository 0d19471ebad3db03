package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Cluster is one SYNC_CLUSTERS entry: an Atlas cluster by its project and
// name, under the alias people type.
type Cluster struct {
	Alias   string
	GroupID string
	Name    string // the cluster's name, as Atlas spells it (case kept)
}

// Approval values of SYNC_CLUSTER_APPROVAL.
const (
	ApprovalRequired = "required"
	ApprovalNone     = "none"
)

// clusterName is Atlas's rule: ASCII letters, digits and hyphens, at most 64.
var clusterName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,63}$`)

// normalizeClusters checks ATLAS_API_URL, SYNC_CLUSTERS (aliases not taken
// by SYNC_APPS, since a command's alias may name either) and
// SYNC_CLUSTER_APPROVAL.
func (c *Config) normalizeClusters() Problems {
	var p Problems
	if u, err := checkURL(c.AtlasAPIURL); err != nil {
		p = append(p, "ATLAS_API_URL "+err.Error())
	} else {
		c.AtlasAPIURL = strings.TrimSuffix(u, "/")
	}
	c.ClusterApproval = strings.ToLower(strings.TrimSpace(c.ClusterApproval))
	if c.ClusterApproval != ApprovalRequired && c.ClusterApproval != ApprovalNone {
		p = append(p, fmt.Sprintf("SYNC_CLUSTER_APPROVAL must be required or none (got %q)", c.ClusterApproval))
	}
	if strings.TrimSpace(c.ClustersRaw) == "" {
		return p
	}
	clusters, err := ParseClusters(c.ClustersRaw)
	var cp Problems
	if errors.As(err, &cp) {
		p = append(p, cp...)
	} else if err != nil {
		p = append(p, err.Error())
	}
	for _, cl := range clusters {
		for _, a := range c.Apps {
			if a.Alias == cl.Alias {
				p = append(p, fmt.Sprintf("SYNC_CLUSTERS: alias %q is an app of SYNC_APPS too; give the cluster another one", cl.Alias))
			}
		}
	}
	c.Clusters = clusters
	return p
}

// ParseClusters parses SYNC_CLUSTERS: comma-separated
// alias:GROUP_ID/CLUSTER_NAME entries. Aliases are stored lower-case.
func ParseClusters(raw string) ([]Cluster, error) {
	var out []Cluster
	seen := map[string]bool{}
	var p Problems
	for _, entry := range strings.Split(raw, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			p = append(p, "SYNC_CLUSTERS has an empty entry (a stray comma?)")
			continue
		}
		cl, err := parseCluster(entry)
		switch {
		case err != nil:
			p = append(p, fmt.Sprintf("SYNC_CLUSTERS entry %q: %v", entry, err))
		case seen[cl.Alias]:
			p = append(p, fmt.Sprintf("SYNC_CLUSTERS entry %q: alias %q is used twice", entry, cl.Alias))
		default:
			seen[cl.Alias] = true
			out = append(out, cl)
		}
	}
	if len(p) > 0 {
		return nil, p
	}
	return out, nil
}

func parseCluster(entry string) (Cluster, error) {
	const want = "want alias:GROUP_ID/CLUSTER_NAME"
	name, loc, ok := strings.Cut(entry, ":")
	if !ok {
		return Cluster{}, errors.New(want)
	}
	group, cluster, ok := strings.Cut(strings.TrimSpace(loc), "/")
	name, group, cluster = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(group), strings.TrimSpace(cluster)
	switch {
	case !ok:
		return Cluster{}, errors.New(want)
	case name == "":
		return Cluster{}, errors.New("the alias is empty")
	case !alias.MatchString(name):
		return Cluster{}, errors.New("the alias may hold only letters, digits, '-', '_' and '.' (at most 40)")
	case name == "help" || name == "all":
		return Cluster{}, fmt.Errorf("%q is a reserved word", name)
	case !objectID.MatchString(strings.ToLower(group)):
		return Cluster{}, errors.New("the GROUP_ID must be 24 hex digits")
	case !clusterName.MatchString(cluster):
		return Cluster{}, errors.New("the CLUSTER_NAME must be the cluster's name: letters, digits and hyphens, at most 64")
	}
	return Cluster{Alias: name, GroupID: strings.ToLower(group), Name: cluster}, nil
}
