package approval

import "slices"

// Rules are who may do what beyond the two-person rule (Policy), which
// always holds; each part is off until configured:
//
//	Team, AppID  SYNC_SLACK_TEAM_ID, SYNC_SLACK_APP_ID: envelopes from elsewhere are ignored
//	Operators    SYNC_OPERATORS: who may change anything
//	Channels     SYNC_CHANNELS: where changes may be asked for
//	Breakglass   SYNC_BREAKGLASS: who may terminate without approval
//
// Read-only commands (status, history, pending, help) are open to all. A
// list may name user groups (S…): the caller looks their members up
// (Groups says which) and passes them in; a lookup that fails refuses.
type Rules struct {
	Operators  List
	Breakglass List
	Channels   []string
	Team       string
	AppID      string
}

// Elsewhere says why an envelope from workspace team, addressed to Slack
// app app, is not for this install ("" if it is).
func (r Rules) Elsewhere(team, app string) string {
	switch {
	case r.Team != "" && team != r.Team:
		return "it comes from another Slack workspace than SYNC_SLACK_TEAM_ID"
	case r.AppID != "" && app != r.AppID:
		return "it is addressed to another Slack app than SYNC_SLACK_APP_ID"
	}
	return ""
}

// Outsider reports whether a clicker signed in to userTeam, on an envelope
// from envelopeTeam, belongs to another workspace than the one syncbot
// serves (Slack Connect): SYNC_SLACK_TEAM_ID, or else the envelope's.
func (r Rules) Outsider(envelopeTeam, userTeam string) bool {
	home := r.Team
	if home == "" {
		home = envelopeTeam
	}
	return userTeam != "" && home != "" && userTeam != home
}

// Change is a change someone asks for, as far as the rules need to know.
type Change struct {
	User       string
	Channel    string
	BreakGlass bool
}

// Refusal says why Rules refuse a change.
type Refusal int

const (
	Allowed         Refusal = iota
	NotOperator             // Operators is set and the user is not in it
	NotHere                 // Channels is set and the change was asked elsewhere
	BreakGlassOff           // break-glass asked, and Breakglass names no one
	NotBreakGlasser         // break-glass asked by someone not in Breakglass
)

// Groups lists the user groups whose members MayChange needs to know for
// c: only those of lists that do not name the user directly.
func (r Rules) Groups(c Change) []string {
	var g []string
	if !r.Operators.Empty() && !r.Operators.Names(c.User) {
		g = append(g, r.Operators.Groups()...)
	}
	if c.BreakGlass && !r.Breakglass.Names(c.User) {
		g = append(g, r.Breakglass.Groups()...)
	}
	return g
}

// MayChange applies the rules to c; members holds what Groups asked for.
func (r Rules) MayChange(c Change, members map[string][]string) Refusal {
	switch {
	case !r.Operators.Empty() && !r.Operators.Includes(c.User, members):
		return NotOperator
	case len(r.Channels) > 0 && !slices.Contains(r.Channels, c.Channel):
		return NotHere
	case !c.BreakGlass:
		return Allowed
	case r.Breakglass.Empty():
		return BreakGlassOff
	case !r.Breakglass.Includes(c.User, members):
		return NotBreakGlasser
	}
	return Allowed
}

// ApproverGroups lists the user groups whose members decide whether user
// may approve under p.
func (p Policy) ApproverGroups(user string) []string {
	if p.approvers.Empty() || p.approvers.Names(user) {
		return nil
	}
	return p.approvers.Groups()
}
