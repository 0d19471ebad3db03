package config_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/syncbot/syncbot/internal/config"
)

func TestLoadClusters(t *testing.T) {
	setValid(t)
	t.Setenv("SYNC_CLUSTERS", "Analytics:"+group+"/Analytics-0 , logs:"+group+"/Logs")
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	want := []config.Cluster{{Alias: "analytics", GroupID: group, Name: "Analytics-0"}, {Alias: "logs", GroupID: group, Name: "Logs"}}
	if d := cmp.Diff(want, c.Clusters); d != "" {
		t.Errorf("clusters (-want +got):\n%s", d)
	}
	if c.AtlasAPIURL != "https://cloud.mongodb.com" || c.ClusterApproval != "required" || c.ClusterWait != 20*time.Minute {
		t.Errorf("defaults: %q %q %v", c.AtlasAPIURL, c.ClusterApproval, c.ClusterWait)
	}
}

// Clusters alone are enough; neither is not, and every problem is named at
// once.
func TestClustersWithoutApps(t *testing.T) {
	setValid(t)
	t.Setenv("SYNC_APPS", "")
	t.Setenv("SYNC_CLUSTERS", "main:"+group+"/Cluster0")
	if _, err := config.Load(); err != nil {
		t.Fatalf("clusters alone: %v", err)
	}
	t.Setenv("SYNC_CLUSTERS", "")
	t.Setenv("SYNC_CLUSTER_APPROVAL", "maybe")
	t.Setenv("SYNC_CLUSTER_WAIT", "0s")
	t.Setenv("ATLAS_API_URL", "ftp://x")
	_, err := config.Load()
	var p config.Problems
	if err == nil || !asProblems(err, &p) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"SYNC_APPS: missing or empty (set it, SYNC_CLUSTERS, or both)", "SYNC_CLUSTER_APPROVAL must be required or none", "SYNC_CLUSTER_WAIT must be positive", "ATLAS_API_URL must be an http(s) URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

func asProblems(err error, p *config.Problems) bool {
	q, ok := err.(config.Problems)
	*p = q
	return ok
}

func TestClusterAliasTakenByAnApp(t *testing.T) {
	setValid(t)
	t.Setenv("SYNC_CLUSTERS", "prod:"+group+"/Cluster0")
	if _, err := config.Load(); err == nil || !strings.Contains(err.Error(), `alias "prod" is an app of SYNC_APPS too`) {
		t.Fatalf("err = %v", err)
	}
}

func TestParseClustersRefusals(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"main", "want alias:GROUP_ID/CLUSTER_NAME"},
		{"main:" + group, "want alias:GROUP_ID/CLUSTER_NAME"},
		{":" + group + "/C", "the alias is empty"},
		{"main:123/C", "GROUP_ID must be 24 hex digits"},
		{"main:" + group + "/", "CLUSTER_NAME must be"},
		{"main:" + group + "/my cluster", "CLUSTER_NAME must be"},
		{"main:" + group + "/C,MAIN:" + group + "/D", `alias "main" is used twice`},
		{"main:" + group + "/C,", "empty entry"},
		{"help:" + group + "/C", "reserved word"},
	} {
		if _, err := config.ParseClusters(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
	}
}

// FuzzParseClusters: no SYNC_CLUSTERS value panics; what is accepted is
// usable, and an error always names the variable.
func FuzzParseClusters(f *testing.F) {
	for _, s := range []string{"main:" + group + "/Cluster0", "a:" + group + "/A,b:" + group + "/B-1", "", ",", "x:/", ":/",
		"main:" + group + "/C,MAIN:" + group + "/D", "ü:" + group + "/C"} {
		f.Add(s)
	}
	hex24 := regexp.MustCompile(`^[0-9a-f]{24}$`)
	name := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,63}$`)
	f.Fuzz(func(t *testing.T, raw string) {
		cls, err := config.ParseClusters(raw)
		if err != nil {
			if !strings.Contains(err.Error(), "SYNC_CLUSTERS") {
				t.Fatalf("error does not name SYNC_CLUSTERS: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, c := range cls {
			if c.Alias == "" || c.Alias != strings.ToLower(c.Alias) || seen[c.Alias] || !hex24.MatchString(c.GroupID) || !name.MatchString(c.Name) {
				t.Fatalf("bad entry %+v", c)
			}
			seen[c.Alias] = true
		}
	})
}
