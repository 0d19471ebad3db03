package approval

import (
	"slices"
	"strings"
)

// List is one of the SYNC_* lists of people (SYNC_APPROVERS,
// SYNC_OPERATORS, SYNC_BREAKGLASS): Slack user IDs (U…, W…) and user group
// IDs (S…), whose members count as listed. Who is in a group is I/O, so
// the caller looks it up and passes it in.
type List []string

// IsGroup reports whether id names a Slack user group (S…).
func IsGroup(id string) bool { return strings.HasPrefix(id, "S") }

// Empty reports whether the list names no one.
func (l List) Empty() bool { return len(l) == 0 }

// Groups returns the user group IDs in l, in order.
func (l List) Groups() []string {
	var g []string
	for _, id := range l {
		if IsGroup(id) {
			g = append(g, id)
		}
	}
	return g
}

// Names reports whether user is in l by ID, not through a group.
func (l List) Names(user string) bool {
	return user != "" && !IsGroup(user) && slices.Contains(l, user)
}

// Includes reports whether user is in l by ID or as a member of one of
// its groups; members maps a group ID to its members, and a group missing
// from it counts as empty.
func (l List) Includes(user string, members map[string][]string) bool {
	if l.Names(user) {
		return true
	}
	if user == "" {
		return false
	}
	for _, g := range l.Groups() {
		if slices.Contains(members[g], user) {
			return true
		}
	}
	return false
}
