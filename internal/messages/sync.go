package messages

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/store"
)

// What each sync state means for the app's users, said where a change is
// shown.
const (
	meansPaused = "While paused, every client connection is refused; changes wait on the device. " +
		"Resume before the cluster's oplog window runs out (syncbot does not know this cluster's; it is often 24 h or less), or only a terminate (and a client reset on every device) will bring sync back. " +
		"Sync also pauses itself after 30 days without activity."
	meansRunning = "Clients can connect and sync again; changes made while paused upload now."
	// After a terminate there is no sync history to resume from.
	meansReenabled     = "Sync runs again with the saved configuration, on a new history: every client that synced before the terminate must do a client reset before it can sync again (unsynced changes on those devices may be lost, as the app's client reset handler decides)."
	beforeClusterPause = "Pausing the Atlas cluster? Pause sync first (done), then the cluster; resume sync only after the cluster is back."
)

// participle is what a change of kind k does to sync, after it.
var participle = map[store.Kind]string{store.Pause: "paused", store.Resume: "resumed", store.Terminate: "terminated"}

// reenables reports whether op re-enables terminated sync (a resume from
// "", with a saved configuration) rather than resuming a pause.
func reenables(op store.Op) bool {
	return op.Kind == store.Resume && op.SyncBefore == adminapi.StateTerminated && op.State != store.Failed
}

// Restored describes the saved configuration a resume re-sends, for its
// message (stored as the op's Detail).
func (b Book) Restored(kind, database string, savedAt time.Time, by int64) string {
	db := "no database named"
	if database != "" {
		db = "database `" + Escape(database) + "`"
	}
	s := fmt.Sprintf("%s, %s, saved %s", KindWords(kind), db, When(savedAt))
	if by > 0 {
		s += " by " + OpName(by)
	}
	return s
}

// unknownHead is the headline of a change whose outcome Atlas did not
// confirm.
func (b Book) unknownHead(op store.Op) string {
	return fmt.Sprintf("❓ *%s may or may not have been %s* (%s): Atlas did not confirm the change. Check %s before doing anything else.",
		op.App, participle[op.Kind], OpName(op.ID), b.typed("status", op.App))
}

func (b Book) meansTerminated(app string) string {
	return "Sync history is deleted: every client that synced must do a client reset (unsynced changes may be lost, depending on the app's client reset handler). " +
		b.typed("resume", app) + " re-enables sync with the configuration syncbot saved."
}

func (b Book) terminateCost(app string) string {
	return "• Sync history (the sync metadata) is *deleted*, for good.\n" +
		"• *Every client* that synced must do a *client reset* when it reconnects; unsynced changes may be lost.\n" +
		"• Until sync is re-enabled, every client connection is refused (as while paused).\n" +
		"• Re-enabling needs the whole sync configuration again: syncbot saved it, and " + b.typed("resume", app) + " re-sends it."
}

// Help lists every command, one line each.
func (b Book) Help(apps []string) Message {
	c := b.Command
	lines := []string{
		"*syncbot* controls Atlas Device Sync for these apps: " + List(apps) + ".",
		fmt.Sprintf("`%s status &lt;app&gt;`: state, sync kind, last operation, paused since", c),
		fmt.Sprintf("`%s pause &lt;app&gt; [reason…]`: pause now (config and history kept), posted in the channel", c),
		fmt.Sprintf("`%s resume &lt;app&gt;`: resume a paused app, or re-enable a terminated one with the saved config", c),
		fmt.Sprintf("`%s terminate &lt;app&gt; &lt;reason…&gt;`: deletes sync history; needs a second person's approval", c),
		fmt.Sprintf("`%s terminate &lt;app&gt; --break-glass &lt;reason…&gt;`: emergency only, for the people in `SYNC_BREAKGLASS`: runs at once, is announced in the channel and reviewed afterwards", c),
		fmt.Sprintf("`%s triggers &lt;app&gt;`: the app's Atlas Triggers: type, enabled / disabled / suspended, last processed", c),
		fmt.Sprintf("`%s trigger disable|enable &lt;app&gt; &lt;trigger&gt; [reason…]`: stop or start a trigger now (disable needs a reason), posted in the channel", c),
		fmt.Sprintf("`%s trigger resume &lt;app&gt; &lt;trigger&gt;`: resume a suspended database trigger from where it stopped; `--skip-missed &lt;reason…&gt;` resumes without the missed events (lost for good) and needs a second person's approval", c),
		fmt.Sprintf("`%s history [app]`: recent operations: who, what, when, outcome", c),
		fmt.Sprintf("`%s pending`: requests waiting for approval, break-glass operations waiting for review", c),
		fmt.Sprintf("`%s cancel T-42`: withdraw your own pending request", c),
		fmt.Sprintf("`%s ack T-42`: an approver acknowledges a break-glass operation, closing its review", c),
		fmt.Sprintf("`%s cluster status &lt;app or cluster&gt;`: the Atlas cluster: tier, paused or running, its apps and their sync", c),
		fmt.Sprintf("`%s cluster pause &lt;app or cluster&gt; &lt;reason…&gt;`: needs approval; pauses sync of every app on it, then the cluster", c),
		fmt.Sprintf("`%s cluster resume &lt;app or cluster&gt;`: resumes the cluster, waits until it is IDLE, then the syncs its pause paused", c),
	}
	return Message{
		Text: strings.Join(lines, "\n"),
		Blocks: []slack.Block{
			section(lines[0]),
			section(strings.Join(lines[1:], "\n")),
			note("Pause sync *before* pausing the Atlas cluster. Only you see this message."),
		},
	}
}

// StatusView is what /sync status shows.
type StatusView struct {
	App          string
	State        string
	Kind         string
	LastDisabled time.Time
	Last         *store.Op // the latest operation on the app, if any
	Pending      *store.Op // a terminate request waiting, if any
	Now          time.Time
	Triggers     string // the app's triggers in one line (TriggerSummary); "" if unknown
	Cluster      string // the app's cluster, a ClusterLine; "" if unknown
}

// Status answers /sync status (ephemeral).
func (b Book) Status(v StatusView) Message {
	head := fmt.Sprintf("*%s*: Device Sync is %s", v.App, StateWords(v.State))
	fs := []string{"*Sync kind*\n" + KindWords(v.Kind), "*State*\n" + PlainState(v.State)}
	if v.State == adminapi.StateDisabled && !v.LastDisabled.IsZero() {
		fs = append(fs, "*Paused since*\n"+When(v.LastDisabled)+fmt.Sprintf(" (%s ago)", Ago(v.Now.Sub(v.LastDisabled))))
	}
	if v.Last != nil {
		fs = append(fs, "*Last operation*\n"+opLine(*v.Last))
	} else {
		fs = append(fs, "*Last operation*\nnone through syncbot")
	}
	if v.Triggers != "" {
		fs = append(fs, "*Triggers*\n"+v.Triggers+" ("+b.typed("triggers", v.App)+")")
	}
	if v.Cluster != "" {
		fs = append(fs, v.Cluster)
	}
	blocks := []slack.Block{section(head), fields(fs...)}
	if v.Pending != nil {
		blocks = append(blocks, section(fmt.Sprintf("⏳ %s to terminate is waiting for approval (expires %s).", OpName(v.Pending.ID), When(v.Pending.ExpiresAt))))
	}
	switch v.State {
	case adminapi.StateDisabled:
		blocks = append(blocks, note(meansPaused))
	case adminapi.StateTerminated:
		blocks = append(blocks, note("Clients cannot sync. "+b.typed("resume", v.App)+" re-enables sync with the saved configuration; every client must then do a client reset."))
	}
	return Message{Text: fmt.Sprintf("%s: Device Sync is %s (%s)", v.App, PlainState(v.State), apiState(v.State)), Blocks: blocks}
}

func apiState(state string) string {
	if state == adminapi.StateTerminated {
		return `""`
	}
	return state
}

func opLine(op store.Op) string {
	kind := string(op.Kind)
	if op.BreakGlass {
		kind += " (🚨 break-glass)"
	}
	s := fmt.Sprintf("%s %s by %s, %s: %s", OpName(op.ID), kind, Mention(op.Requester), When(op.CreatedAt), op.State)
	if op.DecidedBy != "" && op.Kind == store.Terminate {
		s += " (decided by " + Mention(op.DecidedBy) + ")"
	}
	return s
}

var verbing = map[store.Kind][3]string{
	// in progress, done, failed
	store.Pause:     {"⏸️ Pausing", "⏸️ Paused", "Pause"},
	store.Resume:    {"▶️ Resuming", "▶️ Resumed", "Resume"},
	store.Terminate: {"🛑 Terminating", "🛑 Terminated", "Terminate"},
}

// Change shows a pause or resume in the channel, from start to outcome;
// it is re-rendered from the journal at every step.
func (b Book) Change(op store.Op) Message {
	w := verbing[op.Kind]
	if reenables(op) {
		w = [3]string{"▶️ Re-enabling", "▶️ Re-enabled", "Re-enable"}
	}
	id := OpName(op.ID)
	var head, plain string
	switch op.State {
	case store.Succeeded:
		head = fmt.Sprintf("%s Device Sync for *%s*: %s → %s (%s)", w[1], op.App, StateWords(op.SyncBefore), StateWords(op.SyncAfter), id)
		plain = fmt.Sprintf("%s sync for %s (%s → %s), asked by %s", w[1], op.App, PlainState(op.SyncBefore), PlainState(op.SyncAfter), nameOf(op))
	case store.Failed:
		head = fmt.Sprintf("❌ %s of *%s* failed (%s). Sync is still %s.", w[2], op.App, id, StateWords(op.SyncBefore))
		plain = fmt.Sprintf("%s of %s failed: %s", w[2], op.App, op.Outcome)
	case store.Unknown:
		head = b.unknownHead(op)
		plain = fmt.Sprintf("%s may or may not have been %s: check %s status %s before doing anything else", op.App, participle[op.Kind], b.Command, op.App)
	default:
		head = fmt.Sprintf("%s Device Sync for *%s*: %s → %s… (%s)", w[0], op.App, StateWords(op.SyncBefore), StateWords(op.SyncAfter), id)
		plain = fmt.Sprintf("%s sync for %s, asked by %s…", w[0], op.App, nameOf(op))
	}
	fs := []string{"*Asked by*\n" + Mention(op.Requester), "*When*\n" + When(op.CreatedAt)}
	if op.Reason != "" {
		fs = append(fs, "*Reason*\n"+reasonShown(op.Reason))
	}
	blocks := []slack.Block{section(head), fields(fs...)}
	if op.Detail != "" && reenables(op) {
		blocks = append(blocks, section("*Configuration re-sent:* "+op.Detail))
	}
	switch op.State {
	case store.Succeeded:
		switch {
		case op.SyncAfter == adminapi.StateDisabled:
			blocks = append(blocks, note(meansPaused, beforeClusterPause, fmt.Sprintf("Resume with %s.", b.typed("resume", op.App))))
		case reenables(op):
			blocks = append(blocks, note(meansReenabled))
		case op.SyncAfter == adminapi.StateEnabled:
			blocks = append(blocks, note(meansRunning, "If clients report `ChangeStreamHistoryLost`, the pause outlasted the oplog window: a terminate and re-enable is needed."))
		}
	case store.Failed:
		blocks = append(blocks, section("*What went wrong:* "+op.Outcome), note("Nothing was changed by this attempt. "+b.nextStep(op)))
	case store.Unknown:
		blocks = append(blocks, section("*What happened:* "+op.Outcome), note("syncbot did not retry it. If sync is not as you wanted, run the command again once you have checked."))
	}
	return Message{Text: plain, Blocks: blocks}
}

// nameOf is the requester's name for plain-text fallbacks, which Slack
// also reads as mrkdwn: escaped like any text from outside.
func nameOf(op store.Op) string {
	if op.RequesterName != "" {
		return Escape(op.RequesterName)
	}
	return op.Requester
}

func (b Book) nextStep(op store.Op) string {
	return fmt.Sprintf("Check with %s, then try again or use the Atlas UI.", b.typed("status", op.App))
}

// Card is the terminate approval card in each state of the request.
func (b Book) Card(op store.Op, now time.Time) Message {
	id := OpName(op.ID)
	var head, plain string
	var tail []slack.Block
	switch op.State {
	case store.Pending:
		head = fmt.Sprintf("🛑 *%s: terminate Device Sync for %s?* Needs a second person's approval.", id, op.App)
		plain = fmt.Sprintf("%s: %s asks to terminate Device Sync for %s. Approve or deny.", id, nameOf(op), op.App)
		approve := slack.NewButtonBlockElement(ActionApprove, id, slack.NewTextBlockObject(slack.PlainTextType, "Approve terminate", true, false)).WithStyle(slack.StyleDanger)
		approve.Confirm = slack.NewConfirmationBlockObject(
			slack.NewTextBlockObject(slack.PlainTextType, "Terminate sync for "+op.App+"?", false, false),
			// Slack's confirm dialog takes plain_text only.
			slack.NewTextBlockObject(slack.PlainTextType, "Sync history of "+op.App+" is deleted for good, and every client must do a client reset. Sync itself can be re-enabled later: "+b.Command+" resume "+op.App+" re-sends the saved configuration.", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Terminate", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Go back", false, false),
		).WithStyle(slack.StyleDanger)
		deny := slack.NewButtonBlockElement(ActionDeny, id, slack.NewTextBlockObject(slack.PlainTextType, "Deny", false, false))
		tail = append(tail,
			slack.NewActionBlock(blockDecision, approve, deny),
			note(fmt.Sprintf("Expires %s (in %s). The requester cannot approve their own request; their Deny withdraws it.", When(op.ExpiresAt), Ago(op.ExpiresAt.Sub(now)))))
	case store.Approved:
		head = fmt.Sprintf("✅ *%s* approved by %s: terminating Device Sync for *%s*…", id, Mention(op.DecidedBy), op.App)
		plain = fmt.Sprintf("%s approved; terminating sync for %s…", id, op.App)
	case store.Executing:
		head = fmt.Sprintf("⏳ *%s* approved by %s: terminating Device Sync for *%s*…", id, Mention(op.DecidedBy), op.App)
		plain = fmt.Sprintf("%s approved; terminating sync for %s…", id, op.App)
	case store.Succeeded:
		head = fmt.Sprintf("🛑 *%s: Device Sync for %s is terminated.* It was %s; it is now %s. Approved by %s.", id, op.App, StateWords(op.SyncBefore), StateWords(adminapi.StateTerminated), Mention(op.DecidedBy))
		plain = fmt.Sprintf("%s: sync for %s is terminated. Every client must do a client reset.", id, op.App)
		tail = append(tail, section("*What it means now:* "+b.meansTerminated(op.App)))
	case store.Unknown:
		head = fmt.Sprintf("❓ *%s: Device Sync for %s may or may not have been terminated.* Atlas did not confirm it. Check %s before doing anything else.", id, op.App, b.typed("status", op.App))
		plain = fmt.Sprintf("%s: sync for %s may or may not have been terminated: check %s status %s before doing anything else", id, op.App, b.Command, op.App)
		tail = append(tail, section("*What happened:* "+op.Outcome))
	case store.Failed:
		head = fmt.Sprintf("❌ *%s: terminate of %s failed.* Sync was not terminated.", id, op.App)
		plain = fmt.Sprintf("%s: terminate of %s failed: %s", id, op.App, op.Outcome)
		tail = append(tail, section("*What went wrong:* "+op.Outcome), note(fmt.Sprintf("Check with %s; request again if it is still needed.", b.typed("status", op.App))))
	case store.Denied:
		head = fmt.Sprintf("🚫 *%s* denied by %s. Nothing changed: sync for *%s* is untouched.", id, Mention(op.DecidedBy), op.App)
		plain = fmt.Sprintf("%s denied; nothing changed for %s.", id, op.App)
	case store.Cancelled:
		head = fmt.Sprintf("↩️ *%s* withdrawn by %s. Nothing changed: sync for *%s* is untouched.", id, Mention(op.DecidedBy), op.App)
		plain = fmt.Sprintf("%s withdrawn; nothing changed for %s.", id, op.App)
	case store.Expired:
		head = fmt.Sprintf("⌛ *%s* expired at %s without a decision. Nothing changed: sync for *%s* is untouched.", id, When(op.ExpiresAt), op.App)
		plain = fmt.Sprintf("%s expired; nothing changed for %s.", id, op.App)
		tail = append(tail, note(fmt.Sprintf("Still needed? Ask again with %s.", b.typed("terminate", op.App, "&lt;reason…&gt;"))))
	}
	blocks := []slack.Block{
		section(head),
		fields(
			"*Requested by*\n"+Mention(op.Requester),
			"*App*\n"+op.App+" ("+KindWords(op.SyncKind)+")",
			"*Change*\n"+StateWords(op.SyncBefore)+" → terminated",
			"*Requested*\n"+When(op.CreatedAt),
		),
		section("*Reason:* " + reasonShown(op.Reason)),
	}
	if op.State == store.Pending {
		blocks = append(blocks, slack.NewDividerBlock(), section("*What terminate costs*\n"+b.terminateCost(op.App)))
	}
	return Message{Text: plain, Blocks: append(blocks, tail...)}
}
