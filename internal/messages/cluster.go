package messages

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/atlasapi"
	"github.com/syncbot/syncbot/internal/store"
)

// AppSync is an app of SYNC_APPS on a cluster, with its sync state.
type AppSync struct {
	Alias string `json:"alias"`
	AppID string `json:"app_id"`
	State string `json:"state"`
}

// ClusterPreview is what a cluster pause's card previewed: the journal
// keeps it (as the cluster's snapshot, tagged with the op) and the
// approval is bound to it.
type ClusterPreview struct {
	Tier string    `json:"tier"`
	Apps []AppSync `json:"apps"`
	// Others are App Services apps linked to the cluster that syncbot does
	// not manage (where the key can list the project's apps).
	Others []string `json:"others,omitempty"`
}

// ClusterView is a cluster as read, for status.
type ClusterView struct {
	Alias      string // what was typed: a cluster's alias or an app's
	Name       string // the cluster's name in Atlas
	Tier       string // M10, M0, FLEX…
	StateName  string // IDLE, UPDATING…
	Paused     bool
	Apps       []AppSync
	AppsErr    string // why the apps on it could not be listed, if so
	OplogHours float64
	Last       *store.Op // the latest operation on the cluster, if any
	Pending    *store.Op // a pause waiting for approval, if any
	Now        time.Time
}

const (
	clusterPauseCost = "Every connection to the cluster is refused while it is paused: apps, drivers, Device Sync, Data API, triggers. " +
		"The data stays. Atlas resumes a paused cluster by itself after 30 days."
	clusterSyncFirst = "syncbot pauses Device Sync of every app on it first (a cluster paused under running sync forces a terminate and a client reset on every device), then the cluster."
)

// ClusterWords is a cluster's state in words.
func ClusterWords(paused bool, stateName string) string {
	switch {
	case paused:
		return "⏸️ paused"
	case stateName == "IDLE":
		return "▶️ running (`IDLE`)"
	}
	return "⏳ running, `" + Escape(stateName) + "`"
}

func appLines(apps []AppSync) string {
	if len(apps) == 0 {
		return "none of syncbot's apps"
	}
	l := make([]string, len(apps))
	for i, a := range apps {
		l[i] = fmt.Sprintf("*%s*: sync %s", a.Alias, StateWords(a.State))
	}
	return strings.Join(l, "\n")
}

// ClusterStatus answers /sync cluster status (ephemeral).
func (b Book) ClusterStatus(v ClusterView) Message {
	head := fmt.Sprintf("*Cluster %s* (%s): %s", Escape(v.Name), v.Alias, ClusterWords(v.Paused, v.StateName))
	fs := []string{"*Tier*\n" + Escape(v.Tier), "*State*\n`" + Escape(v.StateName) + "`"}
	apps := appLines(v.Apps)
	if v.AppsErr != "" {
		apps = "could not be listed: " + v.AppsErr
	}
	fs = append(fs, "*Apps on it*\n"+apps)
	if v.Last != nil {
		fs = append(fs, "*Last operation*\n"+opLine(*v.Last))
	}
	blocks := []slack.Block{section(head), fields(fs...)}
	if v.Pending != nil {
		blocks = append(blocks, section(fmt.Sprintf("⏳ %s to pause it is waiting for approval (expires %s).", OpName(v.Pending.ID), When(v.Pending.ExpiresAt))))
	}
	var notes []string
	if v.Paused {
		notes = append(notes, "Every connection is refused while it is paused. Atlas resumes it by itself after 30 days.",
			fmt.Sprintf("Resume with %s: syncbot waits for it, then resumes the syncs its pause paused.", b.typed("cluster", "resume", v.Alias)))
	}
	if v.OplogHours > 0 {
		notes = append(notes, fmt.Sprintf("Minimum oplog window: %s: a sync paused longer than that may need a terminate.", Ago(time.Duration(v.OplogHours*float64(time.Hour)))))
	}
	if len(notes) > 0 {
		blocks = append(blocks, note(notes...))
	}
	state := "running"
	if v.Paused {
		state = "paused"
	}
	return Message{Text: fmt.Sprintf("Cluster %s (%s) is %s, %s", v.Name, v.Tier, state, v.StateName), Blocks: blocks}
}

// ClusterLine is the line status <app> gains for the app's cluster.
func ClusterLine(name, tier string, paused bool, stateName string) string {
	return fmt.Sprintf("*Cluster*\n%s (%s): %s", Escape(name), Escape(tier), ClusterWords(paused, stateName))
}

// stepLines shows each journaled step of a cluster operation.
func stepLines(steps []store.Step) string {
	if len(steps) == 0 {
		return ""
	}
	l := make([]string, 0, len(steps))
	for _, s := range steps {
		what := s.Label
		if what == "" {
			switch s.Name {
			case "cluster":
				what = "the cluster"
			case "wait":
				what = "waiting for the cluster to be IDLE"
			case "oplog":
				what = "oplog window"
			default:
				what = s.Name
			}
		} else {
			what = "sync of *" + what + "*"
		}
		icon := map[store.StepState]string{store.StepStarted: "⏳", store.StepDone: "✅", store.StepFailed: "❌", store.StepSkipped: "➖"}[s.State]
		line := fmt.Sprintf("%s %s", icon, what)
		if s.Detail != "" {
			line += ": " + s.Detail
		}
		l = append(l, line)
	}
	return strings.Join(l, "\n")
}

// ClusterCard is the cluster pause, from its approval card (or, without
// approval, its announcement) to its outcome; apps is what the card
// previewed, steps what the journal has done.
func (b Book) ClusterCard(op store.Op, p ClusterPreview, steps []store.Step, now time.Time) Message {
	id, name := OpName(op.ID), Escape(op.Target.Name)
	var head, plain string
	var tail []slack.Block
	switch op.State {
	case store.Pending:
		head = fmt.Sprintf("⏸️ *%s: pause cluster %s (%s)?* Needs a second person's approval.", id, name, Escape(op.SyncKind))
		plain = fmt.Sprintf("%s: %s asks to pause cluster %s. Approve or deny.", id, nameOf(op), op.Target.Name)
		approve := slack.NewButtonBlockElement(ActionApprove, id, slack.NewTextBlockObject(slack.PlainTextType, "Approve pause", true, false)).WithStyle(slack.StyleDanger)
		approve.Confirm = slack.NewConfirmationBlockObject(
			slack.NewTextBlockObject(slack.PlainTextType, "Pause cluster "+Clip(op.Target.Name, 40)+"?", false, false),
			// Slack's confirm dialog takes plain_text only.
			slack.NewTextBlockObject(slack.PlainTextType, "Every connection to "+name+" is refused until it is resumed. Sync of its apps is paused first.", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Pause", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Go back", false, false),
		).WithStyle(slack.StyleDanger)
		deny := slack.NewButtonBlockElement(ActionDeny, id, slack.NewTextBlockObject(slack.PlainTextType, "Deny", false, false))
		tail = append(tail, slack.NewActionBlock(blockDecision, approve, deny),
			note(fmt.Sprintf("Expires %s (in %s). The requester cannot approve their own request; their Deny withdraws it.", When(op.ExpiresAt), Ago(op.ExpiresAt.Sub(now)))))
	case store.Approved, store.Executing:
		head = fmt.Sprintf("⏳ *%s*: pausing cluster *%s*: Device Sync first, then the cluster…", id, name)
		if op.DecidedBy != "" {
			head += " Approved by " + Mention(op.DecidedBy) + "."
		}
		plain = fmt.Sprintf("%s: pausing cluster %s…", id, op.Target.Name)
	case store.Succeeded:
		head = fmt.Sprintf("⏸️ *%s: cluster %s is paused.* Every connection is refused until it is resumed.", id, name)
		plain = fmt.Sprintf("%s: cluster %s is paused, asked by %s.", id, op.Target.Name, nameOf(op))
		tail = append(tail, note("The data stays. Atlas resumes the cluster by itself after 30 days.",
			fmt.Sprintf("Resume with %s: syncbot resumes the cluster, waits until it is IDLE, then resumes the syncs this pause paused.", b.typed("cluster", "resume", op.App))))
	case store.Failed:
		head = fmt.Sprintf("❌ *%s: pause of cluster %s failed.* The cluster was not paused.", id, name)
		plain = fmt.Sprintf("%s: pause of cluster %s failed: %s", id, op.Target.Name, op.Outcome)
		tail = append(tail, section("*What went wrong:* "+op.Outcome),
			note(fmt.Sprintf("Check with %s. Syncs this request paused stay paused: resume them with %s, or ask again.", b.typed("cluster", "status", op.App), b.typed("resume", "&lt;app&gt;"))))
	case store.Denied:
		head = fmt.Sprintf("🚫 *%s* denied by %s. Nothing changed: cluster *%s* and its syncs are untouched.", id, Mention(op.DecidedBy), name)
		plain = fmt.Sprintf("%s denied; nothing changed for cluster %s.", id, op.Target.Name)
	case store.Cancelled:
		head = fmt.Sprintf("↩️ *%s* withdrawn by %s. Nothing changed: cluster *%s* and its syncs are untouched.", id, Mention(op.DecidedBy), name)
		plain = fmt.Sprintf("%s withdrawn; nothing changed for cluster %s.", id, op.Target.Name)
	case store.Expired:
		head = fmt.Sprintf("⌛ *%s* expired at %s without a decision. Nothing changed: cluster *%s* is untouched.", id, When(op.ExpiresAt), name)
		plain = fmt.Sprintf("%s expired; nothing changed for cluster %s.", id, op.Target.Name)
	}
	blocks := []slack.Block{
		section(head),
		fields("*Requested by*\n"+Mention(op.Requester), "*Cluster*\n"+name+" ("+Escape(op.SyncKind)+")",
			"*Change*\nrunning → paused", "*Requested*\n"+When(op.CreatedAt)),
		section("*Reason:* " + Escape(op.Reason)),
		section("*Apps on it (sync paused first)*\n" + appLines(p.Apps)),
	}
	if len(p.Others) > 0 {
		blocks = append(blocks, section(fmt.Sprintf("*Also linked to it, not managed by syncbot* (their sync is not paused): %s", Escape(strings.Join(p.Others, ", ")))))
	}
	if s := stepLines(steps); s != "" {
		blocks = append(blocks, section("*Steps*\n"+s))
	}
	if op.State == store.Pending {
		blocks = append(blocks, slack.NewDividerBlock(), section("*What pausing costs*\n"+clusterPauseCost+"\n"+clusterSyncFirst))
	}
	return Message{Text: plain, Blocks: append(blocks, tail...)}
}

// ClusterResume is the cluster resume in the channel, from start to
// outcome, with its steps (the wait shows its progress).
func (b Book) ClusterResume(op store.Op, steps []store.Step) Message {
	id, name := OpName(op.ID), Escape(op.Target.Name)
	var head, plain string
	var tail []slack.Block
	switch op.State {
	case store.Succeeded:
		head = fmt.Sprintf("▶️ *%s: cluster %s is running* (`IDLE`), and the syncs its pause paused are resumed.", id, name)
		plain = fmt.Sprintf("%s: cluster %s resumed, asked by %s.", id, op.Target.Name, nameOf(op))
		if op.Outcome != "" {
			tail = append(tail, section(op.Outcome))
		}
	case store.Failed:
		head = fmt.Sprintf("❌ *%s: resume of cluster %s did not finish.*", id, name)
		plain = fmt.Sprintf("%s: resume of cluster %s did not finish: %s", id, op.Target.Name, op.Outcome)
		tail = append(tail, section("*What went wrong:* "+op.Outcome),
			note(fmt.Sprintf("Check with %s, then run %s again: it carries on where this stopped.", b.typed("cluster", "status", op.App), b.typed("cluster", "resume", op.App))))
	default:
		head = fmt.Sprintf("⏳ *%s*: resuming cluster *%s*: the cluster first, then Device Sync once it is IDLE…", id, name)
		plain = fmt.Sprintf("%s: resuming cluster %s…", id, op.Target.Name)
	}
	blocks := []slack.Block{section(head), fields("*Asked by*\n"+Mention(op.Requester), "*When*\n"+When(op.CreatedAt), "*Cluster*\n"+name+" ("+Escape(op.SyncKind)+")")}
	if s := stepLines(steps); s != "" {
		blocks = append(blocks, section("*Steps*\n"+s))
	}
	return Message{Text: plain, Blocks: append(blocks, tail...)}
}

// ClusterPausedReminder tells the channel a cluster is still paused; near
// Atlas's 30-day automatic resume it says when that comes.
func (b Book) ClusterPausedReminder(pause store.Op, now time.Time) Message {
	since := now.Sub(pause.UpdatedAt)
	head := fmt.Sprintf("⏰ Cluster *%s* is still paused: for %s now (since %s, by %s, %s). Every connection to it is refused.",
		Escape(pause.Target.Name), Ago(since), When(pause.UpdatedAt), Mention(pause.Requester), OpName(pause.ID))
	blocks := []slack.Block{section(head)}
	if left := AutoResume - since; left <= 24*time.Hour {
		blocks = append(blocks, section(fmt.Sprintf("⚠️ *Atlas resumes it by itself in %s* (%s), with Device Sync of its apps still paused.", Ago(max(left, 0)), When(pause.UpdatedAt.Add(AutoResume)))))
	}
	blocks = append(blocks, note(fmt.Sprintf("Resume with %s: syncbot resumes the cluster, waits until it is IDLE, then the syncs it paused.", b.typed("cluster", "resume", pause.App))))
	return Message{Text: fmt.Sprintf("Cluster %s is still paused (%s).", pause.Target.Name, Ago(since)), Blocks: blocks}
}

// AutoResume is how long Atlas lets a cluster stay paused.
const AutoResume = 30 * 24 * time.Hour

// Cluster refusals and outcomes, one sentence each, told to the asker.
func ClusterNotPausable(name, tier string) string {
	return fmt.Sprintf("Cluster *%s* is a %s cluster: Atlas pauses only dedicated clusters (M10 and up), not free, shared, Flex or serverless ones. Nothing was sent.", Escape(name), Escape(tier))
}

func ClusterAlreadyPaused(name string) string {
	return fmt.Sprintf("Cluster *%s* is already paused. Nothing was sent.", Escape(name))
}

func ClusterAlreadyRunning(name string) string {
	return fmt.Sprintf("Cluster *%s* is already running, and no sync its last pause paused is still paused. Nothing was sent.", Escape(name))
}

func ClusterBusy(name, stateName string) string {
	return fmt.Sprintf("Cluster *%s* is `%s` (another change is under way in Atlas). Nothing was sent; try again when it is `IDLE`.", Escape(name), Escape(stateName))
}

// OutcomeClusterChanged: the cluster or its apps moved since the card.
func OutcomeClusterChanged(what string) string {
	return "The cluster or its apps changed since the card was posted (" + what + "), so nothing was done. Request again if it is still needed."
}

// OutcomeOplog warns that a sync may not resume after a long pause.
func OutcomeOplog(paused time.Duration, hours float64) string {
	return fmt.Sprintf("⚠️ Sync was paused for %s, longer than the cluster's minimum oplog window (%s): resuming it may fail with `ChangeStreamHistoryLost`; then a terminate (with approval) and a client reset are needed.",
		Ago(paused), Ago(time.Duration(hours*float64(time.Hour))))
}

// StepSyncPaused and friends are the details on the steps.
var (
	StepSyncPaused  = "`enabled` → `disabled`"
	StepSyncResumed = "`disabled` → `enabled`"
)

// SyncStepSkipped says why an app's sync was left alone.
func SyncStepSkipped(state string) string {
	return "was " + StateWords(state) + "; left as it is"
}

// ClusterProblem says, for people, why a cluster (or an app's link to one)
// could not be read or changed.
func (b Book) ClusterProblem(err error, alias string) string {
	var apiErr *atlasapi.APIError
	switch {
	case errors.Is(err, atlasapi.ErrForbidden):
		return "Atlas refused (403 Forbidden): syncbot's API key needs the *Project Cluster Manager* role (or Project Owner) on this project to pause or resume clusters."
	case errors.Is(err, atlasapi.ErrUnauthorized):
		return "Atlas rejected syncbot's API key (401). Whoever runs syncbot should check `ATLAS_PUBLIC_API_KEY` and `ATLAS_PRIVATE_API_KEY`."
	case errors.Is(err, atlasapi.ErrNotFound):
		return fmt.Sprintf("Atlas has no such cluster (404): the cluster of *%s* may have been renamed or deleted.", alias)
	case atlasapi.IsCode(err, "CANNOT_USE_SERVERLESS_INSTANCE_IN_CLUSTER_API"):
		return "It is a serverless instance: Atlas does not pause serverless instances. Nothing was sent."
	case atlasapi.IsCode(err, "CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API"):
		return "It is a Flex cluster: Atlas pauses only dedicated clusters (M10 and up). Nothing was sent."
	case errors.As(err, &apiErr):
		return sentence(fmt.Sprintf("The Atlas Administration API answered %d: %s", apiErr.Status, Escape(Clip(apiErr.Detail, 300))))
	}
	return b.Problem(err, alias)
}

// kindLabel is what an operation does, in history and pending: a cluster
// operation says so.
func kindLabel(op store.Op) string {
	if op.Target.Kind == clusterKind {
		return "cluster " + string(op.Kind)
	}
	return string(op.Kind)
}

// targetLabel names what an operation changes: the alias, and for a
// cluster its name too.
func targetLabel(op store.Op) string {
	if op.Target.Kind == clusterKind && op.Target.Name != "" {
		return Escape(op.Target.Name) + " (" + op.App + ")"
	}
	return op.App
}

// clusterKind is target.KindCluster (messages does not import target).
const clusterKind = "cluster"
