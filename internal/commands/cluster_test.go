package commands_test

import (
	"strings"
	"testing"

	"github.com/syncbot/syncbot/internal/commands"
)

func TestParseCluster(t *testing.T) {
	apps, clusters := []string{"prod", "staging"}, []string{"analytics"}
	for _, c := range []struct {
		name, in string
		want     commands.Command
		wantErr  string
	}{
		{"status by app", "cluster status PROD", commands.Command{Verb: commands.ClusterStatus, App: "prod"}, ""},
		{"status by cluster", "cluster status analytics", commands.Command{Verb: commands.ClusterStatus, App: "analytics"}, ""},
		{"pause with reason", "cluster pause analytics  nightly   savings", commands.Command{Verb: commands.ClusterPause, App: "analytics", Reason: "nightly savings"}, ""},
		{"resume", "Cluster resume prod", commands.Command{Verb: commands.ClusterResume, App: "prod"}, ""},
		{"pause without reason", "cluster pause prod", commands.Command{}, "needs a reason"},
		{"resume with words", "cluster resume prod now", commands.Command{}, "takes only an alias"},
		{"unknown alias", "cluster status nope", commands.Command{}, "I don't know an app or cluster called `nope`"},
		{"no alias", "cluster pause", commands.Command{}, "Which cluster?"},
		{"unknown verb", "cluster delete prod", commands.Command{}, "cluster status|pause|resume"},
		{"sync verb on a cluster", "pause analytics", commands.Command{}, "`analytics` is a cluster: `/sync cluster pause analytics`"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := commands.ParseWith(c.in, apps, clusters, "/sync")
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}
