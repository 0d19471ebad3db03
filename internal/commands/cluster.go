package commands

import (
	"slices"
	"strings"

	"github.com/syncbot/syncbot/internal/messages"
)

var clusterVerbs = map[string]Verb{
	"status": ClusterStatus, "state": ClusterStatus,
	"pause":  ClusterPause,
	"resume": ClusterResume, "unpause": ClusterResume,
}

// clusterVerb is the cluster command closest to a sync verb, for hints.
func clusterVerb(v Verb) string {
	switch v {
	case Pause, Terminate:
		return "pause"
	case Resume:
		return "resume"
	}
	return "status"
}

// parseCluster reads what follows "cluster": a verb, an alias (an app's,
// naming its cluster, or a cluster's) and, for pause, a reason.
func parseCluster(rest string, apps, clusters []string, c string) (Command, error) {
	word, rest := cutWord(rest)
	verb, ok := clusterVerbs[strings.ToLower(word)]
	if !ok {
		return Command{}, usage(c, "`{cmd} cluster status|pause|resume &lt;alias&gt;`: status, pause (with a reason) or resume a cluster.")
	}
	known := append(slices.Clone(clusters), apps...)
	alias, after := cutWord(rest)
	sub := strings.TrimPrefix(string(verb), "cluster-")
	if alias == "" {
		return Command{}, usage(c, "Which cluster? `{cmd} cluster %s &lt;alias&gt;`, an app (its cluster) or a cluster: %s.", sub, messages.List(known))
	}
	alias = strings.ToLower(alias)
	if !slices.Contains(known, alias) {
		return Command{}, usage(c, "I don't know an app or cluster called `%s`. Known: %s.", echo(alias, 40), messages.List(known))
	}
	cmd := Command{Verb: verb, App: alias, Reason: cleanReason(after)}
	switch {
	case verb == ClusterPause && cmd.Reason == "":
		return Command{}, usage(c, "Pausing a cluster needs a reason that approvers will read: `{cmd} cluster pause %s &lt;reason…&gt;`.", alias)
	case verb != ClusterPause && cmd.Reason != "":
		return Command{}, usage(c, "`{cmd} cluster %s` takes only an alias: `{cmd} cluster %s %s`.", sub, sub, alias)
	case len([]rune(cmd.Reason)) > MaxReason:
		return Command{}, usage(c, "That reason is %d characters long; keep it under %d.", len([]rune(cmd.Reason)), MaxReason)
	}
	return cmd, nil
}
