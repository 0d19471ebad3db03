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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Decide(tt.req, tt.user, tt.action, tt.at); got != tt.want {
				t.Errorf("Decide = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMachine(t *testing.T) {
	allowed := [][2]approval.State{
		{approval.Pending, approval.Approved}, {approval.Pending, approval.Denied},
		{approval.Pending, approval.Cancelled}, {approval.Pending, approval.Expired},
		{approval.Approved, approval.Executing}, {approval.Approved, approval.Failed},
		{approval.Executing, approval.Succeeded}, {approval.Executing, approval.Failed},
	}
	all := []approval.State{approval.Pending, approval.Approved, approval.Executing, approval.Succeeded,
		approval.Failed, approval.Denied, approval.Cancelled, approval.Expired}
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
	for _, s := range []approval.State{approval.Succeeded, approval.Failed, approval.Denied, approval.Cancelled, approval.Expired} {
		if !s.Final() {
			t.Errorf("%s not final", s)
		}
	}
	if approval.Pending.Final() || approval.Executing.Final() {
		t.Error("live state reported final")
	}
}
