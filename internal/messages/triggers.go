package messages

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/store"
)

// Atlas Triggers. A trigger op carries the trigger's name in SyncKind and
// its states (enabled, disabled, suspended) in SyncBefore and SyncAfter, so
// no message ever shows the trigger's id. What MongoDB's docs say, and
// what syncbot assumes where they are silent, is in docs/triggers.md.
const (
	meansTriggerDisabled = "A disabled trigger does not listen for events and does not run its function."
	meansCatchUp         = "On enable, a database trigger processes the change events that happened while it was disabled, unless its *Skip Events On Re-Enable* (`skip_catchup_events`) is on; if those events have left the oplog meanwhile, it cannot catch up and is suspended (assumed: MongoDB's docs do not say)."
	meansSuspended       = "A suspended database trigger receives no change events and does not fire; Atlas emails the project owner."
	meansResumedToken    = "It resumes from the event after the one it stopped at (its resume token): it processes the events it missed while suspended, then new ones."
	meansResumedSkip     = "It listens for new events only: the events it missed while suspended are never processed. They are lost for good."
)

// TriggerStateWords shows a trigger state: the API's word and the plain one.
func TriggerStateWords(state string) string {
	switch state {
	case adminapi.TriggerEnabled:
		return "`enabled` (firing)"
	case adminapi.TriggerDisabled:
		return "`disabled` (not listening)"
	case adminapi.TriggerSuspended:
		return "*suspended* (stopped by an error)"
	}
	return "`" + Escape(state) + "`"
}

// TriggerTypeWords names a trigger type as people say it.
func TriggerTypeWords(typ string) string {
	switch typ {
	case adminapi.TriggerDatabase:
		return "database"
	case adminapi.TriggerScheduled:
		return "scheduled"
	case adminapi.TriggerAuthentication:
		return "authentication"
	}
	return strings.ToLower(Escape(typ))
}

// TriggerRow is one line of the trigger list.
type TriggerRow struct {
	Name, Type, State string
	Error             string    // the suspension's reason, if any
	LastProcessed     time.Time // zero: never, or unknown
}

// TriggerSummary is the one line status adds: "3 triggers: 2 enabled, 1
// suspended".
func TriggerSummary(rows []TriggerRow) string {
	if len(rows) == 0 {
		return "no triggers"
	}
	n := map[string]int{}
	for _, r := range rows {
		n[r.State]++
	}
	var parts []string
	for _, s := range []string{adminapi.TriggerEnabled, adminapi.TriggerDisabled, adminapi.TriggerSuspended} {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	word := "triggers"
	if len(rows) == 1 {
		word = "trigger"
	}
	return fmt.Sprintf("%d %s: %s", len(rows), word, strings.Join(parts, ", "))
}

// TriggerList answers /sync triggers <app> (ephemeral).
func (b Book) TriggerList(app string, rows []TriggerRow, now time.Time) Message {
	if len(rows) == 0 {
		return Text(fmt.Sprintf("*%s* has no triggers.", app))
	}
	lines := make([]string, len(rows))
	suspended := ""
	for i, r := range rows {
		last := "no processed events on record"
		if !r.LastProcessed.IsZero() {
			last = fmt.Sprintf("last processed %s (%s ago)", When(r.LastProcessed), Ago(now.Sub(r.LastProcessed)))
		}
		lines[i] = fmt.Sprintf("• *%s*: %s, %s, %s", Escape(r.Name), TriggerTypeWords(r.Type), TriggerStateWords(r.State), last)
		if r.Error != "" {
			lines[i] += "\n    _" + Escape(Clip(r.Error, 160)) + "_"
		}
		if r.State == adminapi.TriggerSuspended && suspended == "" {
			suspended = r.Name
		}
	}
	blocks := append([]slack.Block{section(fmt.Sprintf("*Triggers of %s*: %s", app, TriggerSummary(rows)))}, sections(lines)...)
	hints := []string{fmt.Sprintf("Change one with %s, %s or %s.",
		b.typed("trigger disable", app, "&lt;trigger&gt;", "&lt;reason…&gt;"), b.typed("trigger enable", app, "&lt;trigger&gt;"), b.typed("trigger resume", app, "&lt;trigger&gt;"))}
	if suspended != "" {
		hints = append(hints, meansSuspended+" "+fmt.Sprintf("%s resumes it with its resume token (the missed events are processed).", b.typed("trigger resume", app, Escape(suspended))))
	}
	return Message{Text: fmt.Sprintf("Triggers of %s: %s", app, TriggerSummary(rows)), Blocks: append(blocks, note(hints...))}
}

var triggerVerbing = map[store.Kind][3]string{
	// in progress, done, failed
	store.Disable:    {"⏸️ Disabling", "⏸️ Disabled", "Disable"},
	store.Enable:     {"▶️ Enabling", "▶️ Enabled", "Enable"},
	store.Resume:     {"▶️ Resuming", "▶️ Resumed", "Resume"},
	store.ResumeSkip: {"⏭️ Resuming without the missed events", "⏭️ Resumed without the missed events", "Resume without the missed events"},
}

func triggerName(op store.Op) string { return "*" + Escape(op.SyncKind) + "*" }

// TriggerChange shows a trigger disable, enable or resume in the channel,
// from start to outcome.
func (b Book) TriggerChange(op store.Op) Message {
	w := triggerVerbing[op.Kind]
	id, name := OpName(op.ID), triggerName(op)
	var head, plain string
	switch op.State {
	case store.Succeeded:
		head = fmt.Sprintf("%s trigger %s of *%s*: %s → %s (%s)", w[1], name, op.App, TriggerStateWords(op.SyncBefore), TriggerStateWords(op.SyncAfter), id)
		plain = fmt.Sprintf("%s trigger %s of %s (%s → %s), asked by %s", w[1], Escape(op.SyncKind), op.App, op.SyncBefore, op.SyncAfter, nameOf(op))
	case store.Failed:
		head = fmt.Sprintf("❌ %s of trigger %s of *%s* failed (%s). It is still %s.", w[2], name, op.App, id, TriggerStateWords(op.SyncBefore))
		plain = fmt.Sprintf("%s of trigger %s of %s failed: %s", w[2], Escape(op.SyncKind), op.App, op.Outcome)
	default:
		head = fmt.Sprintf("%s trigger %s of *%s*: %s → %s… (%s)", w[0], name, op.App, TriggerStateWords(op.SyncBefore), TriggerStateWords(op.SyncAfter), id)
		plain = fmt.Sprintf("%s trigger %s of %s, asked by %s…", w[0], Escape(op.SyncKind), op.App, nameOf(op))
	}
	fs := []string{"*Asked by*\n" + Mention(op.Requester), "*When*\n" + When(op.CreatedAt)}
	if op.DecidedBy != "" {
		fs = append(fs, "*Approved by*\n"+Mention(op.DecidedBy))
	}
	if op.Reason != "" {
		fs = append(fs, "*Reason*\n"+Escape(op.Reason))
	}
	blocks := []slack.Block{section(head), fields(fs...)}
	switch op.State {
	case store.Succeeded:
		switch op.Kind {
		case store.Disable:
			blocks = append(blocks, note(meansTriggerDisabled, meansCatchUp, fmt.Sprintf("Enable it with %s.", b.typed("trigger enable", op.App, Escape(op.SyncKind)))))
		case store.Enable:
			blocks = append(blocks, note("It listens for events and runs its function again.", meansCatchUp))
		case store.Resume:
			blocks = append(blocks, note(meansResumedToken))
		case store.ResumeSkip:
			blocks = append(blocks, note(meansResumedSkip))
		}
	case store.Failed:
		blocks = append(blocks, section("*What went wrong:* "+op.Outcome), note("Nothing was changed by this attempt. "+
			fmt.Sprintf("Check with %s, then try again or use the Atlas UI.", b.typed("triggers", op.App))))
	}
	return Message{Text: plain, Blocks: blocks}
}

// SkipMissedCard is the approval card of a resume without the missed
// events, in each state of the request; the same buttons, expiry and rules
// as a terminate's.
func (b Book) SkipMissedCard(op store.Op, now time.Time) Message {
	id, name, plainName := OpName(op.ID), triggerName(op), Escape(op.SyncKind)
	var head, plain string
	var tail []slack.Block
	switch op.State {
	case store.Pending:
		head = fmt.Sprintf("⏭️ *%s: resume trigger %s of %s without the missed events?* Needs a second person's approval.", id, plainName, op.App)
		plain = fmt.Sprintf("%s: %s asks to resume trigger %s of %s without the missed events. Approve or deny.", id, nameOf(op), plainName, op.App)
		approve := slack.NewButtonBlockElement(ActionApprove, id, slack.NewTextBlockObject(slack.PlainTextType, "Approve: skip missed events", false, false)).WithStyle(slack.StyleDanger)
		approve.Confirm = slack.NewConfirmationBlockObject(
			slack.NewTextBlockObject(slack.PlainTextType, "Skip the missed events?", false, false),
			// Slack's confirm dialog takes plain_text only.
			// The name is Atlas's, of any length: clipped to keep the
			// dialog within Slack's 300 characters.
			slack.NewTextBlockObject(slack.PlainTextType, "Trigger "+clipMrkdwn(plainName, 80, "…")+" of "+op.App+" resumes without the events it missed while suspended. They are never processed: that cannot be undone.", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Resume without them", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Go back", false, false),
		).WithStyle(slack.StyleDanger)
		deny := slack.NewButtonBlockElement(ActionDeny, id, slack.NewTextBlockObject(slack.PlainTextType, "Deny", false, false))
		tail = append(tail,
			slack.NewActionBlock(blockDecision, approve, deny),
			note(fmt.Sprintf("Expires %s (in %s). The requester cannot approve their own request; their Deny withdraws it.", When(op.ExpiresAt), Ago(op.ExpiresAt.Sub(now)))))
	case store.Approved, store.Executing:
		head = fmt.Sprintf("⏳ *%s* approved by %s: resuming trigger %s of *%s* without the missed events…", id, Mention(op.DecidedBy), name, op.App)
		plain = fmt.Sprintf("%s approved; resuming trigger %s of %s without the missed events…", id, plainName, op.App)
	case store.Succeeded:
		head = fmt.Sprintf("⏭️ *%s: trigger %s of %s resumed without the missed events.* It was %s; it is now %s. Approved by %s.", id, plainName, op.App, TriggerStateWords(op.SyncBefore), TriggerStateWords(adminapi.TriggerEnabled), Mention(op.DecidedBy))
		plain = fmt.Sprintf("%s: trigger %s of %s resumed; the missed events are skipped for good.", id, plainName, op.App)
		tail = append(tail, section("*What it means now:* "+meansResumedSkip))
	case store.Failed:
		head = fmt.Sprintf("❌ *%s: resume of trigger %s of %s failed.* It was not resumed.", id, plainName, op.App)
		plain = fmt.Sprintf("%s: resume of trigger %s of %s failed: %s", id, plainName, op.App, op.Outcome)
		tail = append(tail, section("*What went wrong:* "+op.Outcome), note(fmt.Sprintf("Check with %s; request again if it is still needed.", b.typed("triggers", op.App))))
	case store.Denied:
		head = fmt.Sprintf("🚫 *%s* denied by %s. Nothing changed: trigger %s of *%s* is still suspended.", id, Mention(op.DecidedBy), name, op.App)
		plain = fmt.Sprintf("%s denied; nothing changed for trigger %s of %s.", id, plainName, op.App)
	case store.Cancelled:
		head = fmt.Sprintf("↩️ *%s* withdrawn by %s. Nothing changed: trigger %s of *%s* is still suspended.", id, Mention(op.DecidedBy), name, op.App)
		plain = fmt.Sprintf("%s withdrawn; nothing changed for trigger %s of %s.", id, plainName, op.App)
	case store.Expired:
		head = fmt.Sprintf("⌛ *%s* expired at %s without a decision. Nothing changed: trigger %s of *%s* is still suspended.", id, When(op.ExpiresAt), name, op.App)
		plain = fmt.Sprintf("%s expired; nothing changed for trigger %s of %s.", id, plainName, op.App)
		tail = append(tail, note(fmt.Sprintf("Still needed? Ask again with %s.", b.typed("trigger resume", op.App, plainName, "--skip-missed", "&lt;reason…&gt;"))))
	}
	blocks := []slack.Block{
		section(head),
		fields(
			"*Requested by*\n"+Mention(op.Requester),
			"*Trigger*\n"+name+" of "+op.App+" (database)",
			"*Change*\n"+TriggerStateWords(op.SyncBefore)+" → "+TriggerStateWords(adminapi.TriggerEnabled)+", missed events skipped",
			"*Requested*\n"+When(op.CreatedAt),
		),
		section("*Reason:* " + Escape(op.Reason)),
	}
	if op.State == store.Pending {
		blocks = append(blocks, slack.NewDividerBlock(), section("*What skipping the missed events costs*\n"+
			"• The change events between the suspension and the resume are *never processed*: the trigger's function never runs for them.\n"+
			"• It cannot be undone. "+fmt.Sprintf("If the resume token is still in the oplog, %s resumes *with* them instead, without approval.", b.typed("trigger resume", op.App, plainName))))
	}
	return Message{Text: plain, Blocks: append(blocks, tail...)}
}

// TriggerNotFound answers a trigger name that names none of the app's
// triggers, or several (ambiguous); close are the names to try.
func (b Book) TriggerNotFound(app, name string, ambiguous bool, close []string) Message {
	quoted := make([]string, len(close))
	for i, n := range close {
		quoted[i] = "`" + Escape(n) + "`"
	}
	var head string
	if ambiguous {
		head = fmt.Sprintf("`%s` matches several triggers of *%s*: %s. Type more of the name.", Escape(Clip(name, 60)), app, strings.Join(quoted, ", "))
	} else if len(close) > 0 {
		head = fmt.Sprintf("*%s* has no trigger called `%s`. Did you mean %s?", app, Escape(Clip(name, 60)), strings.Join(quoted, ", "))
	} else {
		head = fmt.Sprintf("*%s* has no trigger called `%s`, and no triggers at all.", app, Escape(Clip(name, 60)))
	}
	return Text(head + " Nothing changed. " + fmt.Sprintf("%s lists them.", b.typed("triggers", app)))
}

// TriggerAlready answers a disable of a disabled trigger or an enable of an
// enabled one: nothing sent.
func TriggerAlready(app, name, state string) string {
	return fmt.Sprintf("Trigger *%s* of *%s* is already %s. Nothing changed.", Escape(name), app, TriggerStateWords(state))
}

// TriggerEnableSuspended refuses to enable a suspended trigger: resume is
// the way back.
func (b Book) TriggerEnableSuspended(app, name string) string {
	return fmt.Sprintf("Trigger *%s* of *%s* is %s, not disabled: enabling does not restart it. Resume it with %s (the missed events are processed). Nothing changed.",
		Escape(name), app, TriggerStateWords(adminapi.TriggerSuspended), b.typed("trigger resume", app, Escape(name)))
}

// TriggerNotSuspended refuses a resume of a trigger that is not suspended.
func (b Book) TriggerNotSuspended(app, name, state string) string {
	s := fmt.Sprintf("Trigger *%s* of *%s* is %s, not suspended: there is nothing to resume. Nothing changed.", Escape(name), app, TriggerStateWords(state))
	if state == adminapi.TriggerDisabled {
		s += fmt.Sprintf(" To start it again, %s.", b.typed("trigger enable", app, Escape(name)))
	}
	return s
}

// TriggerNotResumable refuses a resume of a scheduled or authentication
// trigger: only database triggers have a change stream to resume.
func (b Book) TriggerNotResumable(app, name, typ string) string {
	return fmt.Sprintf("Trigger *%s* of *%s* is a %s trigger: only database triggers can be suspended and resumed (they follow a change stream). Nothing changed. To stop or start it, use %s or %s.",
		Escape(name), app, TriggerTypeWords(typ), b.typed("trigger disable", app, Escape(name), "&lt;reason…&gt;"), b.typed("trigger enable", app, Escape(name)))
}

// OutcomeTokenGone is a resume refused because the resume token left the
// oplog; it offers the command that resumes without it.
func (b Book) OutcomeTokenGone(app, name string) string {
	return fmt.Sprintf("Atlas could not resume the trigger with its resume token: the token is no longer in the cluster's oplog (`ChangeStreamHistoryLost`), so the missed events cannot be replayed. "+
		"To resume it without them (they are lost for good; a second person must approve): %s",
		b.typed("trigger resume", app, Escape(name), "--skip-missed", "&lt;reason…&gt;"))
}

// OutcomeTriggerChanged refuses an approved resume whose trigger moved
// since the card was posted.
func OutcomeTriggerChanged(was, now string) string {
	return fmt.Sprintf("not run: the trigger changed since the request (it was %s, it is now %s); nothing was sent. Ask again if it is still needed.", TriggerStateWords(was), TriggerStateWords(now))
}

// OutcomeTriggerGone refuses an approved resume whose trigger was deleted
// or whose app the alias no longer names.
const OutcomeTriggerGone = "not run: the trigger is no longer in the app the request was made for; nothing was sent."

// TriggerDisabledReminder tells the channel a trigger is still disabled.
func (b Book) TriggerDisabledReminder(op store.Op, now time.Time) Message {
	head := fmt.Sprintf("⏰ Trigger %s of *%s* is still disabled: for %s now (since %s, by %s, %s).", triggerName(op), op.App, Ago(now.Sub(op.UpdatedAt)), When(op.UpdatedAt), Mention(op.Requester), OpName(op.ID))
	blocks := []slack.Block{section(head)}
	if op.Reason != "" {
		blocks = append(blocks, section("*Reason given:* "+Escape(op.Reason)))
	}
	blocks = append(blocks, note(meansTriggerDisabled, meansCatchUp, fmt.Sprintf("Enable it with %s as soon as it is safe.", b.typed("trigger enable", op.App, Escape(op.SyncKind)))))
	return Message{Text: fmt.Sprintf("Trigger %s of %s is still disabled (%s).", Escape(op.SyncKind), op.App, Ago(now.Sub(op.UpdatedAt))), Blocks: blocks}
}

// OutcomeTriggerRepointed: the alias names another app (or none) since a
// skip-missed request, so it is refused rather than run elsewhere.
func (b Book) OutcomeTriggerRepointed(app, name string) string {
	return fmt.Sprintf("`%s` now names another app than when this was requested (or none), so syncbot sent nothing; ask again with %s if it is still needed.",
		app, b.typed("trigger resume", app, Escape(name), "--skip-missed", "&lt;reason…&gt;"))
}
