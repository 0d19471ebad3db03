// Package approval is the pure heart of the two-person rule: the states a
// request moves through and who may move it. It does no I/O; the store makes
// each move a conditional write and commands says it in words.
package approval

import (
	"slices"
	"time"
)

// State is where an operation is in its life.
//
//	pending ─approve→ approved ─→ executing ─→ succeeded | failed
//	   ├─deny (approver)→ denied
//	   ├─deny or cancel (requester)→ cancelled
//	   └─ttl→ expired
//
// Pause and resume start in executing.
type State string

const (
	Pending   State = "pending"
	Approved  State = "approved"
	Executing State = "executing"
	Succeeded State = "succeeded"
	Failed    State = "failed"
	Denied    State = "denied"
	Cancelled State = "cancelled"
	Expired   State = "expired"
)

// Final reports whether no transition leaves s.
func (s State) Final() bool { return len(next[s]) == 0 }

var next = map[State][]State{
	Pending:   {Approved, Denied, Cancelled, Expired},
	Approved:  {Executing, Failed},
	Executing: {Succeeded, Failed},
}

// CanMove reports whether from → to is a transition of the machine.
func CanMove(from, to State) bool { return slices.Contains(next[from], to) }

// Action is what a person asks of a pending request.
type Action string

const (
	Approve Action = "approve"
	Deny    Action = "deny"
	Cancel  Action = "cancel"
)

// Reason says why a click was refused (or why it expired the request).
type Reason int

const (
	OK           Reason = iota
	Decided             // the request is no longer pending
	TimedOut            // the request outlived its TTL; the click expires it
	SelfApproval        // the requester tried to approve their own request
	NotApprover         // SYNC_APPROVERS is set and the clicker is not in it
	NotRequester        // only the requester may cancel
)

// Policy is who may decide and for how long a request waits.
type Policy struct {
	approvers []string // empty: anyone but the requester
	TTL       time.Duration
}

// NewPolicy returns the policy for the SYNC_APPROVERS list and TTL.
func NewPolicy(approvers []string, ttl time.Duration) Policy {
	return Policy{approvers: slices.Clone(approvers), TTL: ttl}
}

// Approvers is the allowlist; empty means anyone but the requester.
func (p Policy) Approvers() []string { return slices.Clone(p.approvers) }

// MayApprove reports whether user is on the allowlist (or there is none).
func (p Policy) MayApprove(user string) bool {
	return len(p.approvers) == 0 || slices.Contains(p.approvers, user)
}

// Request is what the policy needs to know of a request.
type Request struct {
	Requester string
	State     State
	ExpiresAt time.Time
}

// Verdict is the outcome of a click: the state to move to, or why not. A
// TimedOut verdict carries To = Expired: the click is refused and the request
// expires.
type Verdict struct {
	To     State
	Reason Reason
}

// Allowed reports whether the click moves the request as asked.
func (v Verdict) Allowed() bool { return v.Reason == OK }

// IsExpired reports whether a pending request has outlived its TTL at now.
func IsExpired(r Request, now time.Time) bool {
	return r.State == Pending && !r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt)
}

// Decide applies the two-person rule to user's action on r at now.
func (p Policy) Decide(r Request, user string, a Action, now time.Time) Verdict {
	if r.State != Pending {
		return Verdict{Reason: Decided}
	}
	if IsExpired(r, now) {
		return Verdict{To: Expired, Reason: TimedOut}
	}
	requester := user == r.Requester
	switch a {
	case Cancel:
		if !requester {
			return Verdict{Reason: NotRequester}
		}
		return Verdict{To: Cancelled}
	case Deny:
		if requester {
			return Verdict{To: Cancelled} // withdrawing one's own request
		}
		if !p.MayApprove(user) {
			return Verdict{Reason: NotApprover}
		}
		return Verdict{To: Denied}
	case Approve:
		if requester {
			return Verdict{Reason: SelfApproval}
		}
		if !p.MayApprove(user) {
			return Verdict{Reason: NotApprover}
		}
		return Verdict{To: Approved}
	}
	return Verdict{Reason: Decided}
}
