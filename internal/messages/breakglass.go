package messages

import (
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/store"
)

// BreakGlass is the loud channel message of a break-glass terminate, in
// each state, re-rendered from the journal at every step.
func (b Book) BreakGlass(op store.Op, approvers []string) Message {
	id := OpName(op.ID)
	var head, plain string
	var tail []slack.Block
	switch op.State {
	case store.Succeeded:
		head = fmt.Sprintf("🚨 <!here> *BREAK-GLASS %s: %s terminated Device Sync for %s without a second person's approval* (%s → %s).",
			id, Mention(op.Requester), op.App, StateWords(op.SyncBefore), StateWords(adminapi.StateTerminated))
		plain = fmt.Sprintf("BREAK-GLASS %s: %s terminated Device Sync for %s without approval. Every client must do a client reset.", id, nameOf(op), op.App)
		tail = append(tail, section("*What it costs now:* "+b.meansTerminated(op.App)))
	case store.Unknown:
		head = fmt.Sprintf("🚨 <!here> *BREAK-GLASS %s: %s tried to terminate Device Sync for %s without a second person's approval, and it may or may not have happened.* Atlas did not confirm it. Check %s before doing anything else.",
			id, Mention(op.Requester), op.App, b.typed("status", op.App))
		plain = fmt.Sprintf("BREAK-GLASS %s: terminate of %s without approval may or may not have happened: check %s status %s", id, op.App, b.Command, op.App)
		tail = append(tail, section("*What happened:* "+op.Outcome))
	case store.Failed:
		head = fmt.Sprintf("🚨 <!here> *BREAK-GLASS %s: %s tried to terminate Device Sync for %s without a second person's approval, and it failed.* Sync was not terminated.",
			id, Mention(op.Requester), op.App)
		plain = fmt.Sprintf("BREAK-GLASS %s: terminate of %s without approval failed: %s", id, op.App, op.Outcome)
		tail = append(tail, section("*What went wrong:* "+op.Outcome))
	default:
		head = fmt.Sprintf("🚨 <!here> *BREAK-GLASS %s: %s is terminating Device Sync for %s without a second person's approval…*",
			id, Mention(op.Requester), op.App)
		plain = fmt.Sprintf("BREAK-GLASS %s: %s is terminating Device Sync for %s without approval…", id, nameOf(op), op.App)
		tail = append(tail, section("*What it costs*\n"+b.terminateCost(op.App)))
	}
	blocks := []slack.Block{
		section(head),
		fields(
			"*Glass broken by*\n"+Mention(op.Requester),
			"*App*\n"+op.App+" ("+KindWords(op.SyncKind)+")",
			"*Sync was*\n"+StateWords(op.SyncBefore),
			"*When*\n"+When(op.CreatedAt),
		),
		section("*Why (break-glass reason):* " + reasonShown(op.Reason)),
	}
	blocks = append(blocks, tail...)
	blocks = append(blocks, slack.NewDividerBlock(), section(b.reviewLine(op, approvers)))
	return Message{Text: plain, Blocks: blocks}
}

// reviewLine says where the review stands.
func (b Book) reviewLine(op store.Op, approvers []string) string {
	id := OpName(op.ID)
	if op.ReviewedBy != "" {
		return fmt.Sprintf("✅ *Reviewed* by %s, %s.", Mention(op.ReviewedBy), When(op.ReviewedAt))
	}
	who := "Anyone but " + Mention(op.Requester)
	if len(approvers) > 0 {
		who = "An approver (" + Mentions(approvers) + ")"
	}
	return fmt.Sprintf("🔎 *Review open.* No second person approved this. %s must acknowledge it with %s; syncbot reminds this channel until then.", who, b.typed("ack", id))
}

// ReviewReminder tells the channel a break-glass review is still open.
func (b Book) ReviewReminder(op store.Op, approvers []string, now time.Time) Message {
	head := fmt.Sprintf("🔎 *The review of break-glass %s is still open*: %s terminated Device Sync for *%s* without a second person's approval %s ago (%s).",
		OpName(op.ID), Mention(op.Requester), op.App, Ago(now.Sub(op.CreatedAt)), When(op.CreatedAt))
	if op.State == store.Failed {
		head = fmt.Sprintf("🔎 *The review of break-glass %s is still open*: %s tried to terminate Device Sync for *%s* without a second person's approval %s ago (%s); it failed.",
			OpName(op.ID), Mention(op.Requester), op.App, Ago(now.Sub(op.CreatedAt)), When(op.CreatedAt))
	}
	blocks := []slack.Block{
		section(head),
		section("*Why (break-glass reason):* " + reasonShown(op.Reason)),
		section(b.reviewLine(op, approvers)),
	}
	return Message{Text: fmt.Sprintf("Break-glass %s on %s still waits for review: %s ack %s", OpName(op.ID), op.App, b.Command, OpName(op.ID)), Blocks: blocks}
}

// Acknowledged is posted in the channel when an approver closes a review.
func (b Book) Acknowledged(op store.Op, by string) Message {
	return Text(fmt.Sprintf("✅ %s acknowledged the break-glass terminate %s of *%s* by %s. The review is closed.", Mention(by), OpName(op.ID), op.App, Mention(op.Requester)))
}
