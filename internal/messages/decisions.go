package messages

import (
	"fmt"

	"github.com/syncbot/syncbot/internal/store"
)

// Decided answers a click or cancel on a request someone already decided,
// as a person would say it.
func Decided(op store.Op) Message {
	id, by := OpName(op.ID), ""
	if op.DecidedBy != "" {
		by = " by " + Mention(op.DecidedBy)
	}
	var s string
	switch op.State {
	case store.Approved, store.Executing:
		s = fmt.Sprintf("%s was already approved%s and is running.", id, by)
	case store.Succeeded:
		s = fmt.Sprintf("%s was already approved%s and has run.", id, by)
	case store.Failed:
		if op.DecidedBy != "" {
			s = fmt.Sprintf("%s was already approved%s; it ran and failed.", id, by)
		} else {
			s = fmt.Sprintf("%s has already ended: it failed.", id)
		}
	case store.Denied:
		s = fmt.Sprintf("%s was already denied%s.", id, by)
	case store.Cancelled:
		s = fmt.Sprintf("%s was already withdrawn%s.", id, by)
	case store.Expired:
		s = fmt.Sprintf("%s already expired without a decision.", id)
	default:
		s = fmt.Sprintf("%s is %s.", id, op.State)
	}
	return Text(s + " Nothing changed.")
}

// NoSuchRequest answers a click or cancel naming no request for approval.
func NoSuchRequest(id int64) Message {
	return Text(fmt.Sprintf("There is no request %s waiting for approval (a terminate, or a trigger resume without its missed events).", OpName(id)))
}

// ExpiredBeforeClick answers a click that came after the request's TTL.
func ExpiredBeforeClick(op store.Op) Message {
	return Text(fmt.Sprintf("%s expired at %s before your click. Nothing changed.", OpName(op.ID), When(op.ExpiresAt)))
}

// SelfApproval refuses the requester's own Approve.
func SelfApproval(id int64) Message {
	return Text(fmt.Sprintf("You asked for %s, so someone else must approve it: that is the point of the two-person rule. Press *Deny* to withdraw it.", OpName(id)))
}

// NotApprover refuses a click by someone outside SYNC_APPROVERS.
func NotApprover(approvers []string) Message {
	return Text(fmt.Sprintf("Only these people may approve or deny terminate requests: %s. Nothing changed.", Mentions(approvers)))
}

// NotRequester refuses a cancel by someone who did not ask.
func NotRequester(op store.Op) Message {
	return Text(fmt.Sprintf("Only %s, who asked for %s, can withdraw it. Nothing changed.", Mention(op.Requester), OpName(op.ID)))
}

// Outsider refuses someone signed in to another workspace (Slack Connect).
const Outsider = "You are signed in to another Slack workspace, so you cannot approve, deny or review anything here: only members of the workspace syncbot serves can. Nothing changed."

// NotBreakGlass answers an ack of an operation that is not break-glass.
func (b Book) NotBreakGlass(id int64) Message {
	return Text(fmt.Sprintf("%s is not a break-glass operation, so there is nothing to acknowledge. %s lists those waiting for review.", OpName(id), b.typed("pending")))
}

// AlreadyAcknowledged answers a second ack.
func AlreadyAcknowledged(id int64, by string) Message {
	return Text(fmt.Sprintf("%s was already acknowledged by %s. Nothing changed.", OpName(id), Mention(by)))
}

// StillRunning answers an ack of a break-glass operation not yet ended.
func StillRunning(id int64) Message {
	return Text(fmt.Sprintf("%s is still running; acknowledge it once it has finished.", OpName(id)))
}

// SelfReview refuses the breaker's own ack.
func SelfReview(id int64) Message {
	return Text(fmt.Sprintf("You broke the glass on %s, so someone else must review it: that is the point of the review. Nothing changed.", OpName(id)))
}

// NotReviewer refuses an ack by someone outside SYNC_APPROVERS.
func NotReviewer(approvers []string) Message {
	return Text(fmt.Sprintf("Only these people may acknowledge a break-glass review: %s. Nothing changed.", Mentions(approvers)))
}

// YouAcknowledged tells the reviewer the review is closed.
func YouAcknowledged(id int64) Message {
	return Text(fmt.Sprintf("You acknowledged %s: its review is closed and the reminders stop.", OpName(id)))
}

// NotOperator refuses a change by someone outside SYNC_OPERATORS; what is
// e.g. "pause *prod*".
func (b Book) NotOperator(what string, operators []string) Message {
	return Text(fmt.Sprintf(
		"Only syncbot's operators may pause, resume or terminate sync, and you are not one of them, so you cannot %s. Operators: %s. Nothing was done; %s, `history`, `pending` and `help` are open to everyone.",
		what, Mentions(operators), b.typed("status")))
}

// NotHere refuses a change asked for outside SYNC_CHANNELS.
func (b Book) NotHere(channels []string, verb, app string) Message {
	return Text(fmt.Sprintf("Sync changes are asked for only in %s, where the people on call see them. Nothing was done; run %s there.",
		channelList(channels), b.typed(verb, app)))
}

// BreakGlassOff refuses --break-glass when SYNC_BREAKGLASS names no one.
func (b Book) BreakGlassOff(app string) Message {
	return Text("Break-glass is not enabled here (`SYNC_BREAKGLASS` names no one), so nothing was done. " + b.insteadOfBreakGlass(app))
}

// NotBreakGlassUser refuses --break-glass by someone not in SYNC_BREAKGLASS.
func (b Book) NotBreakGlassUser(app string, breakglass []string) Message {
	return Text(fmt.Sprintf("Only %s may use break-glass, so nothing was done. %s", Mentions(breakglass), b.insteadOfBreakGlass(app)))
}

func (b Book) insteadOfBreakGlass(app string) string {
	return fmt.Sprintf("To terminate with a second person's approval: %s.", b.typed("terminate", app, "&lt;reason…&gt;"))
}

// LookupFailed says that whether the person may do what could not be
// checked, because looking up who is in group (a mention, or "a user
// group") failed for detail; nothing is e.g. "Nothing was done".
func LookupFailed(what, group, detail, nothing string) Message {
	return Text(fmt.Sprintf("I could not check whether you may %s: I could not find out who is in %s (%s). %s; try again in a moment.",
		what, group, detail, nothing))
}
