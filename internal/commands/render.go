package commands

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/store"
)

// Message is a Slack message: a plain-text fallback (notifications, screen
// readers) next to its Block Kit blocks.
type Message struct {
	Text   string
	Blocks []slack.Block
	// ThreadTS, when set, posts the message as a reply in that thread.
	ThreadTS string
}

// Action ids on the approval card's buttons.
const (
	ActionApprove = "approve"
	ActionDeny    = "deny"
	blockDecision = "decision"
)

// escape makes user text inert in mrkdwn: <!channel>, <@U…> and
// <http://evil|Approve> show as typed. Slack escapes these three and nothing
// else; we unescaped them once when parsing, so this is the only escape.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// when renders t in each reader's own time zone, with a UTC fallback.
func when(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// mention shows a user, or a user group (S…), by name; the IDs come from
// Slack or SYNC_* lists, never from text a user typed.
func mention(user string) string {
	switch {
	case user == "" || user == "syncbot":
		return "syncbot"
	case approval.IsGroup(user):
		return "<!subteam^" + user + ">"
	}
	return "<@" + user + ">"
}

// stateWords shows the Admin API's word and the plain one together.
func stateWords(state string) string {
	switch state {
	case "enabled":
		return "`enabled` (running)"
	case "disabled":
		return "`disabled` (paused)"
	case "":
		return "terminated (`\"\"`)"
	}
	return "`" + escape(state) + "`"
}

func plainState(state string) string {
	switch state {
	case "enabled":
		return "running"
	case "disabled":
		return "paused"
	case "":
		return "terminated"
	}
	return state
}

// KindWords names a sync kind the way people say it.
func KindWords(kind string) string {
	switch kind {
	case "flexible_sync":
		return "Flexible Sync"
	case "sync":
		return "Partition-Based Sync"
	}
	return kind
}

func section(md string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, md, false, false), nil, nil)
}

func fields(md ...string) *slack.SectionBlock {
	fs := make([]*slack.TextBlockObject, 0, len(md))
	for _, m := range md {
		fs = append(fs, slack.NewTextBlockObject(slack.MarkdownType, m, false, false))
	}
	return slack.NewSectionBlock(nil, fs, nil)
}

func note(md ...string) *slack.ContextBlock {
	els := make([]slack.MixedElement, 0, len(md))
	for _, m := range md {
		els = append(els, slack.NewTextBlockObject(slack.MarkdownType, m, false, false))
	}
	return slack.NewContextBlock("", els...)
}

func text(md string) Message { return Message{Text: md, Blocks: []slack.Block{section(md)}} }

// Meaning of each state for the app's users, said where a change is shown.
const (
	meansPaused = "Clients cannot sync while paused; their changes wait on the device. " +
		"Resume before the cluster's oplog window runs out, or only a terminate (and a client reset on every device) will bring sync back. " +
		"Sync also pauses itself after 30 days without activity."
	meansRunning    = "Clients can connect and sync again; changes made while paused upload now."
	meansTerminated = "Sync history is deleted: every client that synced must do a client reset (unsynced changes may be lost, depending on the app's client reset handler). " +
		"`/sync resume` re-enables sync with the configuration syncbot saved."
	beforeClusterPause = "Pausing the Atlas cluster? Pause sync first (done), then the cluster; resume sync only after the cluster is back."
	terminateCost      = "• Sync history (the sync metadata) is *deleted*.\n" +
		"• *Every client* that synced must do a *client reset* when it reconnects; unsynced changes may be lost.\n" +
		"• Re-enabling needs the whole sync configuration again: syncbot saved it, and `/sync resume` re-sends it."
)

// HelpMessage lists every command, one line each.
func HelpMessage(command string, apps []string) Message {
	c := command
	lines := []string{
		"*syncbot* controls Atlas Device Sync for these apps: " + list(apps) + ".",
		fmt.Sprintf("`%s status &lt;app&gt;`: state, sync kind, last operation, paused since", c),
		fmt.Sprintf("`%s pause &lt;app&gt; [reason…]`: pause now (config and history kept), posted in the channel", c),
		fmt.Sprintf("`%s resume &lt;app&gt;`: resume a paused app, or re-enable a terminated one with the saved config", c),
		fmt.Sprintf("`%s terminate &lt;app&gt; &lt;reason…&gt;`: deletes sync history; needs a second person's approval", c),
		fmt.Sprintf("`%s terminate &lt;app&gt; --break-glass &lt;reason…&gt;`: emergency only, for the people in `SYNC_BREAKGLASS`: runs at once, is announced in the channel and reviewed afterwards", c),
		fmt.Sprintf("`%s history [app]`: recent operations: who, what, when, outcome", c),
		fmt.Sprintf("`%s pending`: terminate requests waiting for approval, break-glass operations waiting for review", c),
		fmt.Sprintf("`%s cancel T-42`: withdraw your own pending request", c),
		fmt.Sprintf("`%s ack T-42`: an approver acknowledges a break-glass operation, closing its review", c),
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
}

// StatusMessage answers /sync status (ephemeral).
func StatusMessage(v StatusView) Message {
	head := fmt.Sprintf("*%s*: Device Sync is %s", v.App, stateWords(v.State))
	fs := []string{"*Sync kind*\n" + KindWords(v.Kind), "*State*\n" + plainState(v.State)}
	if v.State == "disabled" && !v.LastDisabled.IsZero() {
		fs = append(fs, "*Paused since*\n"+when(v.LastDisabled)+fmt.Sprintf(" (%s ago)", ago(v.Now.Sub(v.LastDisabled))))
	}
	if v.Last != nil {
		fs = append(fs, "*Last operation*\n"+opLine(*v.Last))
	} else {
		fs = append(fs, "*Last operation*\nnone through syncbot")
	}
	blocks := []slack.Block{section(head), fields(fs...)}
	if v.Pending != nil {
		blocks = append(blocks, section(fmt.Sprintf("⏳ %s to terminate is waiting for approval (expires %s).", RequestName(v.Pending.ID), when(v.Pending.ExpiresAt))))
	}
	switch v.State {
	case "disabled":
		blocks = append(blocks, note(meansPaused))
	case "":
		blocks = append(blocks, note("Clients cannot sync. `/sync resume "+v.App+"` re-enables sync with the saved configuration; every client must then do a client reset."))
	}
	return Message{Text: fmt.Sprintf("%s: Device Sync is %s (%s)", v.App, plainState(v.State), v.stateAPI()), Blocks: blocks}
}

func (v StatusView) stateAPI() string {
	if v.State == "" {
		return `""`
	}
	return v.State
}

func opLine(op store.Op) string {
	kind := string(op.Kind)
	if op.BreakGlass {
		kind += " (🚨 break-glass)"
	}
	s := fmt.Sprintf("%s by %s, %s: %s", kind, mention(op.Requester), when(op.CreatedAt), op.State)
	if op.DecidedBy != "" && op.Kind == store.Terminate {
		s += " (decided by " + mention(op.DecidedBy) + ")"
	}
	return s
}

func ago(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 24*time.Hour:
		if m := int(d.Minutes()) % 60; m > 0 {
			return fmt.Sprintf("%d h %d min", int(d.Hours()), m)
		}
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h > 0 {
		return fmt.Sprintf("%s %d h", plural(days, "day"), h)
	}
	return plural(days, "day")
}

var verbing = map[store.Kind][3]string{
	// in progress, done, failed
	store.Pause:     {"⏸️ Pausing", "⏸️ Paused", "Pause"},
	store.Resume:    {"▶️ Resuming", "▶️ Resumed", "Resume"},
	store.Terminate: {"🛑 Terminating", "🛑 Terminated", "Terminate"},
}

// ChangeMessage shows a pause or resume in the channel, from start to
// outcome; it is re-rendered from the journal at every step.
func ChangeMessage(op store.Op) Message {
	w := verbing[op.Kind]
	var head, plain string
	switch op.State {
	case store.Succeeded:
		head = fmt.Sprintf("%s Device Sync for *%s*: %s → %s", w[1], op.App, stateWords(op.SyncBefore), stateWords(op.SyncAfter))
		plain = fmt.Sprintf("%s sync for %s (%s → %s), asked by %s", w[1], op.App, plainState(op.SyncBefore), plainState(op.SyncAfter), nameOf(op))
	case store.Failed:
		head = fmt.Sprintf("❌ %s of *%s* failed. Sync is still %s.", w[2], op.App, stateWords(op.SyncBefore))
		plain = fmt.Sprintf("%s of %s failed: %s", w[2], op.App, op.Outcome)
	default:
		head = fmt.Sprintf("%s Device Sync for *%s*: %s → %s…", w[0], op.App, stateWords(op.SyncBefore), stateWords(op.SyncAfter))
		plain = fmt.Sprintf("%s sync for %s, asked by %s…", w[0], op.App, nameOf(op))
	}
	fs := []string{"*Asked by*\n" + mention(op.Requester), "*When*\n" + when(op.CreatedAt)}
	if op.Reason != "" {
		fs = append(fs, "*Reason*\n"+escape(op.Reason))
	}
	blocks := []slack.Block{section(head), fields(fs...)}
	switch op.State {
	case store.Succeeded:
		switch op.SyncAfter {
		case "disabled":
			blocks = append(blocks, note(meansPaused, beforeClusterPause, fmt.Sprintf("Resume with `/sync resume %s`.", op.App)))
		case "enabled":
			blocks = append(blocks, note(meansRunning, "If clients report `ChangeStreamHistoryLost`, the pause outlasted the oplog window: a terminate and re-enable is needed."))
		}
	case store.Failed:
		blocks = append(blocks, section("*What went wrong:* "+op.Outcome), note("Nothing was changed by this attempt. "+nextStep(op)))
	}
	return Message{Text: plain, Blocks: blocks}
}

// nameOf is the requester's name for plain-text fallbacks, which Slack
// also reads as mrkdwn: escaped like any text from outside.
func nameOf(op store.Op) string {
	if op.RequesterName != "" {
		return escape(op.RequesterName)
	}
	return op.Requester
}

func nextStep(op store.Op) string {
	return fmt.Sprintf("Check with `/sync status %s`, then try again or use the Atlas UI.", op.App)
}

// CardMessage is the terminate approval card in each state of the request.
func CardMessage(op store.Op, now time.Time) Message {
	id := RequestName(op.ID)
	var head, plain string
	var tail []slack.Block
	switch op.State {
	case store.Pending:
		head = fmt.Sprintf("🛑 *%s: terminate Device Sync for %s?* Needs a second person's approval.", id, op.App)
		plain = fmt.Sprintf("%s: %s asks to terminate Device Sync for %s. Approve or deny.", id, nameOf(op), op.App)
		approve := slack.NewButtonBlockElement(ActionApprove, id, slack.NewTextBlockObject(slack.PlainTextType, "Approve terminate", true, false)).WithStyle(slack.StyleDanger)
		approve.Confirm = slack.NewConfirmationBlockObject(
			slack.NewTextBlockObject(slack.PlainTextType, "Terminate sync for "+op.App+"?", false, false),
			slack.NewTextBlockObject(slack.MarkdownType, "This deletes sync history for *"+op.App+"*. Every client must do a client reset. This cannot be undone.", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Terminate", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Go back", false, false),
		).WithStyle(slack.StyleDanger)
		deny := slack.NewButtonBlockElement(ActionDeny, id, slack.NewTextBlockObject(slack.PlainTextType, "Deny", false, false))
		tail = append(tail,
			slack.NewActionBlock(blockDecision, approve, deny),
			note(fmt.Sprintf("Expires %s (in %s). The requester cannot approve their own request; their Deny withdraws it.", when(op.ExpiresAt), ago(op.ExpiresAt.Sub(now)))))
	case store.Approved:
		head = fmt.Sprintf("✅ *%s* approved by %s: terminating Device Sync for *%s*…", id, mention(op.DecidedBy), op.App)
		plain = fmt.Sprintf("%s approved; terminating sync for %s…", id, op.App)
	case store.Executing:
		head = fmt.Sprintf("⏳ *%s* approved by %s: terminating Device Sync for *%s*…", id, mention(op.DecidedBy), op.App)
		plain = fmt.Sprintf("%s approved; terminating sync for %s…", id, op.App)
	case store.Succeeded:
		head = fmt.Sprintf("🛑 *%s: Device Sync for %s is terminated.* It was %s; it is now %s. Approved by %s.", id, op.App, stateWords(op.SyncBefore), stateWords(""), mention(op.DecidedBy))
		plain = fmt.Sprintf("%s: sync for %s is terminated. Every client must do a client reset.", id, op.App)
		tail = append(tail, section("*What it means now:* "+meansTerminated))
	case store.Failed:
		head = fmt.Sprintf("❌ *%s: terminate of %s failed.* Sync was not terminated.", id, op.App)
		plain = fmt.Sprintf("%s: terminate of %s failed: %s", id, op.App, op.Outcome)
		tail = append(tail, section("*What went wrong:* "+op.Outcome), note(fmt.Sprintf("Check with `/sync status %s`; request again if it is still needed.", op.App)))
	case store.Denied:
		head = fmt.Sprintf("🚫 *%s* denied by %s. Nothing changed: sync for *%s* is untouched.", id, mention(op.DecidedBy), op.App)
		plain = fmt.Sprintf("%s denied; nothing changed for %s.", id, op.App)
	case store.Cancelled:
		head = fmt.Sprintf("↩️ *%s* withdrawn by %s. Nothing changed: sync for *%s* is untouched.", id, mention(op.DecidedBy), op.App)
		plain = fmt.Sprintf("%s withdrawn; nothing changed for %s.", id, op.App)
	case store.Expired:
		head = fmt.Sprintf("⌛ *%s* expired at %s without a decision. Nothing changed: sync for *%s* is untouched.", id, when(op.ExpiresAt), op.App)
		plain = fmt.Sprintf("%s expired; nothing changed for %s.", id, op.App)
		tail = append(tail, note(fmt.Sprintf("Still needed? Ask again with `/sync terminate %s &lt;reason…&gt;`.", op.App)))
	}
	blocks := []slack.Block{
		section(head),
		fields(
			"*Requested by*\n"+mention(op.Requester),
			"*App*\n"+op.App+" ("+KindWords(op.SyncKind)+")",
			"*Change*\n"+stateWords(op.SyncBefore)+" → terminated",
			"*Requested*\n"+when(op.CreatedAt),
		),
		section("*Reason:* " + escape(op.Reason)),
	}
	if op.State == store.Pending {
		blocks = append(blocks, slack.NewDividerBlock(), section("*What terminate costs*\n"+terminateCost))
	}
	return Message{Text: plain, Blocks: append(blocks, tail...)}
}
