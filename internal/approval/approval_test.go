package approval_test

import (
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/approval"
)

func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	pending := approval.Request{Requester: "UALICE", State: approval.Pending, ExpiresAt: now.Add(time.Minute)}
	open := approval.NewPolicy(nil, 15*time.Minute)
	listed := approval.NewPolicy([]string{"UCAROL"}, 15*time.Minute)
	grouped := approval.NewPolicy([]string{"UCAROL", "SONCALL"}, 15*time.Minute)
	members := map[string][]string{"SONCALL": {"UDAVE"}}
	tests := []struct {
		name   string
		policy approval.Policy
		req    approval.Request
		user   string
		action approval.Action
		at     time.Time
		want   approval.Verdict
	}{
		{"anyone else approves", open, pending, "UBOB", approval.Approve, now, approval.Verdict{To: approval.Approved}},
		{"anyone else denies", open, pending, "UBOB", approval.Deny, now, approval.Verdict{To: approval.Denied}},
		{"self approval refused", open, pending, "UALICE", approval.Approve, now, approval.Verdict{Reason: approval.SelfApproval}},
		{"requester deny is a cancel", open, pending, "UALICE", approval.Deny, now, approval.Verdict{To: approval.Cancelled}},
		{"requester cancels", open, pending, "UALICE", approval.Cancel, now, approval.Verdict{To: approval.Cancelled}},
		{"others cannot cancel", open, pending, "UBOB", approval.Cancel, now, approval.Verdict{Reason: approval.NotRequester}},
		{"listed approver approves", listed, pending, "UCAROL", approval.Approve, now, approval.Verdict{To: approval.Approved}},
		{"unlisted cannot approve", listed, pending, "UBOB", approval.Approve, now, approval.Verdict{Reason: approval.NotApprover}},
		{"unlisted cannot deny", listed, pending, "UBOB", approval.Deny, now, approval.Verdict{Reason: approval.NotApprover}},
		{"listed requester still cannot self-approve", approval.NewPolicy([]string{"UALICE"}, time.Minute), pending, "UALICE", approval.Approve, now, approval.Verdict{Reason: approval.SelfApproval}},
		{"unlisted requester may still withdraw", listed, pending, "UALICE", approval.Deny, now, approval.Verdict{To: approval.Cancelled}},
		{"click at expiry expires", open, pending, "UBOB", approval.Approve, now.Add(time.Minute), approval.Verdict{To: approval.Expired, Reason: approval.TimedOut}},
		{"decided request changes nothing", open, approval.Request{Requester: "UALICE", State: approval.Approved}, "UBOB", approval.Approve, now, approval.Verdict{Reason: approval.Decided}},
		{"denied request changes nothing", open, approval.Request{Requester: "UALICE", State: approval.Denied}, "UALICE", approval.Cancel, now, approval.Verdict{Reason: approval.Decided}},
		{"unknown action refused", open, pending, "UBOB", approval.Action("launch"), now, approval.Verdict{Reason: approval.Decided}},
		{"group member approves", grouped, pending, "UDAVE", approval.Approve, now, approval.Verdict{To: approval.Approved}},
		{"non-member of the group cannot approve", grouped, pending, "UBOB", approval.Approve, now, approval.Verdict{Reason: approval.NotApprover}},
		{"group member who asked cannot self-approve", grouped, approval.Request{Requester: "UDAVE", State: approval.Pending, ExpiresAt: now.Add(time.Minute)}, "UDAVE", approval.Approve, now, approval.Verdict{Reason: approval.SelfApproval}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			who := approval.Person{ID: tt.user, Approver: tt.policy.MayApprove(tt.user, members)}
			if got := tt.policy.Decide(tt.req, who, tt.action, tt.at); got != tt.want {
				t.Errorf("Decide = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestOutsidersDecideNothing: a clicker from another workspace (Slack
// Connect) is refused whatever the action, even when listed; a decided or
// expired request still says so first.
func TestOutsidersDecideNothing(t *testing.T) {
	now := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	pending := approval.Request{Requester: "UALICE", State: approval.Pending, ExpiresAt: now.Add(time.Minute)}
	p := approval.NewPolicy([]string{"UEVE"}, time.Minute)
	eve := approval.Person{ID: "UEVE", Approver: true, Outsider: true}
	for _, a := range []approval.Action{approval.Approve, approval.Deny, approval.Cancel} {
		if got := p.Decide(pending, eve, a, now); got != (approval.Verdict{Reason: approval.Outsider}) {
			t.Errorf("%s by an outsider = %+v, want refused as Outsider", a, got)
		}
	}
	if got := p.Decide(approval.Request{State: approval.Denied}, eve, approval.Approve, now); got.Reason != approval.Decided {
		t.Errorf("outsider on a decided request = %+v, want Decided", got)
	}
	if got := p.Decide(pending, eve, approval.Approve, now.Add(time.Hour)); got.Reason != approval.TimedOut {
		t.Errorf("outsider on an expired request = %+v, want TimedOut", got)
	}
}

func TestAcknowledge(t *testing.T) {
	p := approval.NewPolicy([]string{"UCAROL", "SONCALL"}, time.Minute)
	tests := []struct {
		name string
		who  approval.Person
		want approval.Reason
	}{
		{"approver", approval.Person{ID: "UCAROL", Approver: true}, approval.OK},
		{"the breaker", approval.Person{ID: "UALICE", Approver: true}, approval.SelfReview},
		{"not an approver", approval.Person{ID: "UBOB"}, approval.NotApprover},
		{"outsider", approval.Person{ID: "UCAROL", Approver: true, Outsider: true}, approval.Outsider},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Acknowledge("UALICE", tt.who); got != tt.want {
				t.Errorf("Acknowledge = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestList(t *testing.T) {
	l := approval.List{"UCAROL", "SONCALL", "WENT"}
	members := map[string][]string{"SONCALL": {"UDAVE", "UERIN"}}
	for _, tt := range []struct {
		user         string
		names, their bool
	}{
		{"UCAROL", true, true},
		{"WENT", true, true},
		{"UDAVE", false, true},
		{"UBOB", false, false},
		{"SONCALL", false, false}, // a group is not a person
		{"", false, false},
	} {
		if got := l.Names(tt.user); got != tt.names {
			t.Errorf("Names(%q) = %v, want %v", tt.user, got, tt.names)
		}
		if got := l.Includes(tt.user, members); got != tt.their {
			t.Errorf("Includes(%q) = %v, want %v", tt.user, got, tt.their)
		}
	}
	if l.Includes("UDAVE", nil) {
		t.Error("a group member counted without the group's members")
	}
	if got := l.Groups(); len(got) != 1 || got[0] != "SONCALL" {
		t.Errorf("Groups = %v", got)
	}
	if !(approval.List{}).Empty() || l.Empty() {
		t.Error("Empty is wrong")
	}
	open := approval.NewPolicy(nil, time.Minute)
	if !open.MayApprove("UANYONE", nil) {
		t.Error("an empty SYNC_APPROVERS does not let anyone approve")
	}
}

func TestMachine(t *testing.T) {
	allowed := [][2]approval.State{
		{approval.Pending, approval.Approved}, {approval.Pending, approval.Denied},
		{approval.Pending, approval.Cancelled}, {approval.Pending, approval.Expired},
		{approval.Approved, approval.Executing}, {approval.Approved, approval.Failed},
		{approval.Executing, approval.Succeeded}, {approval.Executing, approval.Failed}, {approval.Executing, approval.Unknown},
	}
	all := []approval.State{approval.Pending, approval.Approved, approval.Executing, approval.Succeeded,
		approval.Failed, approval.Denied, approval.Cancelled, approval.Expired, approval.Unknown}
	n := 0
	for _, from := range all {
		for _, to := range all {
			if approval.CanMove(from, to) {
				n++
			}
		}
	}
	if n != len(allowed) {
		t.Fatalf("%d transitions allowed, want %d", n, len(allowed))
	}
	for _, m := range allowed {
		if !approval.CanMove(m[0], m[1]) {
			t.Errorf("%s → %s not allowed", m[0], m[1])
		}
	}
	for _, s := range []approval.State{approval.Succeeded, approval.Failed, approval.Denied, approval.Cancelled, approval.Expired, approval.Unknown} {
		if !s.Final() {
			t.Errorf("%s not final", s)
		}
	}
	if approval.Pending.Final() || approval.Executing.Final() {
		t.Error("live state reported final")
	}
	for _, s := range all {
		want := s == approval.Pending || s == approval.Executing
		if got := approval.CanStart(s); got != want {
			t.Errorf("CanStart(%s) = %v, want %v", s, got, want)
		}
	}
	if approval.CanStart("") {
		t.Error("CanStart(\"\") = true")
	}
}
