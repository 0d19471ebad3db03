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
//	pending ─approve→ approved ─→ executing ─→ succeeded | failed | unknown
//	   ├─deny (approver)→ denied
//	   ├─deny or cancel (requester)→ cancelled
//	   └─ttl→ expired
//
// Pause and resume start in executing. Unknown is how a change ends when
// Atlas did not confirm it and reading the state back did not tell either:
// it may or may not have happened, and people must look before acting.
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
	Unknown   State = "unknown"
)

// Final reports whether no transition leaves s.
func (s State) Final() bool { return len(next[s]) == 0 }

var next = map[State][]State{
	Pending:   {Approved, Denied, Cancelled, Expired},
	Approved:  {Executing, Failed},
	Executing: {Succeeded, Failed, Unknown},
}

// CanMove reports whether from → to is a transition of the machine.
func CanMove(from, to State) bool { return slices.Contains(next[from], to) }

// initial are the states an operation may be created in: a request waits
// for approval; a pause, a resume or a break-glass terminate runs at once.
var initial = []State{Pending, Executing}

// CanStart reports whether an operation may be created in s.
func CanStart(s State) bool { return slices.Contains(initial, s) }

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
	Outsider            // the clicker is signed in to another workspace (Slack Connect)
	SelfReview          // the break-glass user tried to acknowledge their own review
)

// Policy is who may decide and for how long a request waits.
type Policy struct {
	approvers List // empty: anyone but the requester
	TTL       time.Duration
}

// NewPolicy returns the policy for the SYNC_APPROVERS list (user IDs and
// user group IDs) and TTL.
func NewPolicy(approvers []string, ttl time.Duration) Policy {
	return Policy{approvers: slices.Clone(List(approvers)), TTL: ttl}
}

// Approvers is the allowlist; empty means anyone but the requester.
func (p Policy) Approvers() List { return slices.Clone(p.approvers) }

// MayApprove reports whether user is on the allowlist, by ID or as a member
// of a listed user group (members: see List.Includes), or there is none.
func (p Policy) MayApprove(user string, members map[string][]string) bool {
	return p.approvers.Empty() || p.approvers.Includes(user, members)
}

// Person is who acts on a request, as far as the policy needs to know.
// Finding out is I/O (user groups, the clicker's workspace), so the caller
// does it.
type Person struct {
	ID string
	// Approver: MayApprove holds for ID.
	Approver bool
	// Outsider: signed in to another workspace than the one syncbot
	// serves, as people from another organisation in a Slack Connect
	// channel are. They decide nothing here.
	Outsider bool
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

// Decide applies the two-person rule to who's action on r at now.
func (p Policy) Decide(r Request, who Person, a Action, now time.Time) Verdict {
	if r.State != Pending {
		return Verdict{Reason: Decided}
	}
	if IsExpired(r, now) {
		return Verdict{To: Expired, Reason: TimedOut}
	}
	if who.Outsider {
		return Verdict{Reason: Outsider}
	}
	requester := who.ID == r.Requester
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
		if !who.Approver {
			return Verdict{Reason: NotApprover}
		}
		return Verdict{To: Denied}
	case Approve:
		if requester {
			return Verdict{Reason: SelfApproval}
		}
		if !who.Approver {
			return Verdict{Reason: NotApprover}
		}
		return Verdict{To: Approved}
	}
	return Verdict{Reason: Decided}
}

// Acknowledge applies the two-person rule after the fact: a break-glass
// operation, which ran without approval, is reviewed by an approver other
// than the person who broke the glass. It returns OK, Outsider, SelfReview
// or NotApprover.
func (p Policy) Acknowledge(breaker string, who Person) Reason {
	switch {
	case who.Outsider:
		return Outsider
	case who.ID == breaker:
		return SelfReview
	case !who.Approver:
		return NotApprover
	}
	return OK
}

// CanAmend reports whether a finished operation's outcome may be corrected
// from one final state to another: from the ends of a change (succeeded,
// failed, unknown) to succeeded or failed, when the target shows otherwise
// (a change that landed after its operation was settled as failed, one
// recorded as done that did not hold, one whose outcome is found out).
func CanAmend(from, to State) bool {
	return from != to && (from == Succeeded || from == Failed || from == Unknown) && (to == Succeeded || to == Failed)
}
