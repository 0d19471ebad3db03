package commands_test

import (
	"strings"
	"testing"

	"github.com/syncbot/syncbot/internal/commands"
)

func TestParseTriggers(t *testing.T) {
	tr := func(action, app, name, reason string, skip bool) commands.Command {
		return commands.Command{Verb: commands.Trigger, Action: action, App: app, TriggerName: name, Reason: reason, SkipMissed: skip}
	}
	tests := []struct {
		name, in string
		want     commands.Command
		wantErr  string
	}{
		{name: "list", in: "triggers PROD", want: commands.Command{Verb: commands.Triggers, App: "prod"}},
		{name: "list without app", in: "triggers", wantErr: "Which app? `/sync triggers &lt;app&gt;`"},
		{name: "list with extra", in: "triggers prod orders", wantErr: "takes only an app name"},
		{name: "disable", in: "trigger Disable prod Orders hammering prod", want: tr("disable", "prod", "Orders", "hammering prod", false)},
		{name: "disable needs a reason", in: "trigger disable prod orders", wantErr: "needs a reason"},
		{name: "enable", in: "trigger enable prod ord", want: tr("enable", "prod", "ord", "", false)},
		{name: "enable takes no reason", in: "trigger enable prod ord because", wantErr: "takes only an app and a trigger"},
		{name: "resume", in: "trigger resume staging orders", want: tr("resume", "staging", "orders", "", false)},
		{name: "resume skip", in: "trigger resume prod orders --skip-missed token gone", want: tr("resume", "prod", "orders", "token gone", true)},
		{name: "resume skip em dash", in: "trigger resume prod orders —skip-missed token gone", want: tr("resume", "prod", "orders", "token gone", true)},
		{name: "skip needs a reason", in: "trigger resume prod orders --skip-missed", wantErr: "loses them for good"},
		{name: "skip only for resume", in: "trigger enable prod orders --skip-missed x", wantErr: "only for resume"},
		{name: "no action", in: "trigger prod orders", wantErr: "What should happen to the trigger?"},
		{name: "no trigger", in: "trigger disable prod", wantErr: "Which trigger?"},
		{name: "unknown app", in: "trigger disable nope orders x", wantErr: "I don't know an app called `nope`"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := commands.Parse(tc.in, apps, "")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Parse(%q) = %+v, %v; want error containing %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
		})
	}
}
