package approval_test

import (
	"slices"
	"testing"

	"github.com/syncbot/syncbot/internal/approval"
)

func TestRulesMayChange(t *testing.T) {
	rules := approval.Rules{
		Operators:  approval.List{"UALICE", "SONCALL"},
		Breakglass: approval.List{"UALICE", "SSRE"},
		Channels:   []string{"COPS"},
	}
	members := map[string][]string{"SONCALL": {"UBOB"}, "SSRE": {"UBOB"}}
	for _, tt := range []struct {
		name string
		c    approval.Change
		want approval.Refusal
	}{
		{"operator by id", approval.Change{User: "UALICE", Channel: "COPS"}, approval.Allowed},
		{"operator through a group", approval.Change{User: "UBOB", Channel: "COPS"}, approval.Allowed},
		{"not an operator", approval.Change{User: "UCAROL", Channel: "COPS"}, approval.NotOperator},
		{"another channel", approval.Change{User: "UALICE", Channel: "CRANDOM"}, approval.NotHere},
		{"break-glass by id", approval.Change{User: "UALICE", Channel: "COPS", BreakGlass: true}, approval.Allowed},
		{"break-glass through a group", approval.Change{User: "UBOB", Channel: "COPS", BreakGlass: true}, approval.Allowed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := rules.MayChange(tt.c, members); got != tt.want {
				t.Errorf("MayChange = %v, want %v", got, tt.want)
			}
		})
	}
	if got := (approval.Rules{}).MayChange(approval.Change{User: "U1", BreakGlass: true}, nil); got != approval.BreakGlassOff {
		t.Errorf("break-glass with no one listed = %v, want BreakGlassOff", got)
	}
	if got := (approval.Rules{Breakglass: approval.List{"UALICE"}}).MayChange(approval.Change{User: "U1", BreakGlass: true}, nil); got != approval.NotBreakGlasser {
		t.Errorf("break-glass by someone else = %v, want NotBreakGlasser", got)
	}
}

// Groups asks only for the groups that can change the answer: none when
// the user is named directly or a list is off.
func TestRulesGroups(t *testing.T) {
	rules := approval.Rules{Operators: approval.List{"UALICE", "SONCALL"}, Breakglass: approval.List{"SSRE"}}
	if g := rules.Groups(approval.Change{User: "UALICE"}); len(g) != 0 {
		t.Errorf("named operator: groups %v", g)
	}
	if g := rules.Groups(approval.Change{User: "UBOB", BreakGlass: true}); !slices.Equal(g, []string{"SONCALL", "SSRE"}) {
		t.Errorf("groups %v, want SONCALL and SSRE", g)
	}
	if g := (approval.Rules{}).Groups(approval.Change{User: "UBOB"}); len(g) != 0 {
		t.Errorf("no lists: groups %v", g)
	}
}

func TestRulesWorkspaces(t *testing.T) {
	r := approval.Rules{Team: "T1", AppID: "A1"}
	if r.Elsewhere("T1", "A1") != "" || r.Elsewhere("T2", "A1") == "" || r.Elsewhere("T1", "A2") == "" {
		t.Error("Elsewhere does not follow SYNC_SLACK_TEAM_ID and SYNC_SLACK_APP_ID")
	}
	if !r.Outsider("T1", "T9") || r.Outsider("T1", "T1") || r.Outsider("T1", "") {
		t.Error("Outsider does not follow the home workspace")
	}
	if !(approval.Rules{}).Outsider("T1", "T9") {
		t.Error("without SYNC_SLACK_TEAM_ID the envelope's workspace is home")
	}
}

func TestCanAmend(t *testing.T) {
	for _, tt := range []struct {
		from, to approval.State
		want     bool
	}{
		{approval.Failed, approval.Succeeded, true},
		{approval.Succeeded, approval.Failed, true},
		{approval.Succeeded, approval.Succeeded, false},
		{approval.Denied, approval.Succeeded, false},
		{approval.Executing, approval.Succeeded, false},
	} {
		if got := approval.CanAmend(tt.from, tt.to); got != tt.want {
			t.Errorf("CanAmend(%s, %s) = %v", tt.from, tt.to, got)
		}
	}
}
