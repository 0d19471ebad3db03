package messages

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
	"unicode"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/store"
)

// Problem says in words what went wrong talking to Atlas about app, for the
// channel or the asker. It is the one place errors become text; details
// stay in the log.
func (b Book) Problem(err error, app string) string {
	var apiErr *adminapi.APIError
	var netErr net.Error
	switch {
	case errors.Is(err, adminapi.ErrDraftOpen):
		return "The Atlas API key's user has an open draft in App Services, so a change now would land in that draft and not deploy. Deploy or discard the draft in the Atlas UI, then try again."
	case errors.Is(err, adminapi.ErrOutcomeUnknown):
		return fmt.Sprintf("Atlas did not confirm the change, and syncbot could not tell whether it was applied. Check %s before trying again.", b.typed("status", app))
	case errors.Is(err, adminapi.ErrNotFound):
		return fmt.Sprintf("Atlas says the app or its linked cluster was not found (404): *%s* may have been deleted, or Device Sync is no longer available for it.", app)
	case errors.Is(err, adminapi.ErrSyncNotConfigured):
		return fmt.Sprintf("Device Sync is not configured for `%s`; MongoDB removed Device Sync from Atlas on %s (%s).", app, DeviceSyncRemoved, eolLink)
	case errors.Is(err, adminapi.ErrForbidden):
		return "Atlas refused the change (403 Forbidden): syncbot's API key needs the *Project Owner* role on this project."
	case errors.Is(err, adminapi.ErrUnauthorized):
		return "Atlas rejected syncbot's API key (401). Whoever runs syncbot should check `ATLAS_PUBLIC_API_KEY` and `ATLAS_PRIVATE_API_KEY`."
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("The Atlas Admin API did not answer in time. The change may still be applied by Atlas: check %s before trying again.", b.typed("status", app))
	case errors.Is(err, context.Canceled):
		return fmt.Sprintf("syncbot was shutting down before Atlas answered. Check %s before trying again.", b.typed("status", app))
	case errors.As(err, &apiErr):
		msg := apiErr.Message
		if msg == "" {
			msg = "no message"
		}
		return sentence(fmt.Sprintf("The Atlas Admin API answered %d: %s", apiErr.Status, Escape(Clip(strings.TrimSpace(msg), 300))))
	case errors.As(err, &netErr):
		return "syncbot could not reach the Atlas Admin API (network error). Try again in a moment."
	}
	return "Something went wrong talking to Atlas; the details are in syncbot's log."
}

// The end of Device Sync, said once where an app has none.
const (
	DeviceSyncRemoved = "30 September 2025"
	DeviceSyncEOLURL  = "https://www.mongodb.com/docs/atlas/app-services/sync/device-sync-deprecation/"
	eolLink           = "<" + DeviceSyncEOLURL + "|end of life>"
)

// NotConfiguredPlain says an app has no Device Sync, in plain text (check).
func NotConfiguredPlain(app string) string {
	return fmt.Sprintf("Device Sync is not configured for %s (MongoDB removed Device Sync from Atlas on %s: %s)", app, DeviceSyncRemoved, DeviceSyncEOLURL)
}

// sentence ends s with a full stop unless it already ends a sentence, so
// the next one ("Nothing was changed.") does not run into it.
func sentence(s string) string {
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// JournalDown says the journal did not answer while syncbot tried to do
// what, and that nothing happened (nothing, e.g. "nothing was done").
func JournalDown(what, nothing string) Message {
	return Text(fmt.Sprintf("I could not %s (the journal did not answer), so %s. Try again in a moment.", what, nothing))
}

// Busy answers a change asked for while another runs on the same target.
func (b Book) Busy(op store.Op, now time.Time) Message {
	what := fmt.Sprintf("%s (%s)", op.Kind, OpName(op.ID))
	return Text(fmt.Sprintf("*%s* is busy: %s asked for %s %s ago and it is still running. Nothing was done; try again when it finishes (%s).",
		op.App, Mention(op.Requester), what, Ago(now.Sub(op.CreatedAt)), b.typed("status", op.App)))
}

// CouldNot answers a change that could not start: problem says why.
func CouldNot(verb, app, problem string) Message {
	return Text(fmt.Sprintf("Could not %s *%s*: %s Nothing was changed.", verb, app, problem))
}

// CouldNotRead answers a status that could not read the app.
func CouldNotRead(app, problem string) Message {
	return Text(fmt.Sprintf("Could not read the state of *%s*: %s", app, problem))
}

// AlreadyPaused answers a pause of paused sync.
func AlreadyPaused(app string, since time.Time) string {
	s := ""
	if !since.IsZero() {
		s = " since " + When(since)
	}
	return fmt.Sprintf("*%s* is already paused (`disabled`)%s. Nothing was sent.", app, s)
}

// AlreadyRunning answers a resume of running sync.
func AlreadyRunning(app string) string {
	return fmt.Sprintf("*%s* is already running (`enabled`). Nothing was sent.", app)
}

// NothingToPause refuses a pause of terminated sync.
func (b Book) NothingToPause(app string) string {
	return fmt.Sprintf("Sync for *%s* is terminated, so there is nothing to pause. %s re-enables it with the saved configuration.", app, b.typed("resume", app))
}

// UnexpectedState refuses a change of sync in a state syncbot does not know.
func UnexpectedState(app, state string) string {
	return fmt.Sprintf("Sync for *%s* is in an unexpected state `%s`; check it in the Atlas UI.", app, Escape(state))
}

// NoSavedConfig refuses a resume of terminated sync with nothing to re-send.
func NoSavedConfig(app string) string {
	return fmt.Sprintf("Sync for *%s* is terminated and syncbot has no saved configuration for it, so it cannot re-enable it. Re-enable sync in the Atlas UI with the full configuration.", app)
}

// UnboundSavedConfig refuses a resume whose only saved configuration was
// kept before syncbot bound configurations to apps: it may be another app's.
func UnboundSavedConfig(app string, saved time.Time) string {
	return fmt.Sprintf("Sync for *%s* is terminated. syncbot has a configuration saved under the name *%s* on %s, from before it recorded which app a configuration belongs to, so it cannot tell whether it is this app's and will not re-send it. Re-enable sync in the Atlas UI with the full configuration.", app, app, When(saved))
}

// SavedConfigUnreadable refuses a resume whose saved configuration could
// not be read.
const SavedConfigUnreadable = "I could not read the saved sync configuration (the journal did not answer). Nothing was changed; try again in a moment."

// AlreadyTerminated answers a terminate of terminated sync; undone says
// what was not done ("requested").
func AlreadyTerminated(app, undone string) Message {
	return Text(fmt.Sprintf("Sync for *%s* is already terminated. Nothing was %s.", app, undone))
}

// CouldNotPrepare answers a terminate whose preparation failed.
func CouldNotPrepare(what, app, problem, undone string) Message {
	return Text(fmt.Sprintf("Could not prepare a %s of *%s*: %s Nothing was %s.", what, app, problem, undone))
}

// Outcomes recorded in the journal, in the words the channel reads.
const (
	OutcomeSnapshotFailed = "syncbot could not save the sync configuration before terminating, so it did not terminate."
	OutcomeStartFailed    = "the journal did not answer when the terminate was about to start; nothing was changed."
	OutcomeNotStarted     = "interrupted before it ran (syncbot restarted); nothing was changed. Request again if it is still needed."
	OutcomeLeaseLost      = "syncbot lost hold of this operation before sending the change (it was too slow and another syncbot process took it over); nothing was sent by this attempt."
)

// OutcomeBusy: another operation held the target when this was approved.
func OutcomeBusy(other store.Op, app string) string {
	return fmt.Sprintf("another operation (%s %s by %s) was running on %s when this was approved. Request again once it is done.", OpName(other.ID), other.Kind, Mention(other.Requester), app)
}

// OutcomeRepointed: the alias names another app (or none) since the
// request, so the request is refused rather than run on another app.
func (b Book) OutcomeRepointed(app string) string {
	return fmt.Sprintf("`%s` now names another app than when this was requested (or none), so syncbot sent nothing; ask again with %s if it is still needed.", app, b.typed("terminate", app, "&lt;reason…&gt;"))
}

// OutcomeChanged: sync moved since the request was previewed.
func OutcomeChanged(wasState, wasKind, nowState, nowKind string) string {
	return fmt.Sprintf("sync changed since the request: it was %s (%s) and is now %s (%s). Nothing was changed; request again if terminate is still right.",
		StateWords(wasState), KindWords(wasKind), StateWords(nowState), KindWords(nowKind))
}

// OutcomeDone is a change's outcome: before → after in plain words.
func OutcomeDone(before, after string) string {
	return PlainState(before) + " → " + PlainState(after)
}

// OutcomeNoChange is a no-op's outcome.
func OutcomeNoChange(state string) string { return "no change: already " + PlainState(state) }

// Target is what an outcome is about, as its message names it: the sync of
// an app, or one of its triggers.
type Target struct {
	Kind string // "sync" or "trigger" (store.Target.Kind)
	Name string // the trigger's name; "" for sync
}

// what names t ("sync", "trigger *orders*"), and in words its state.
func (t Target) what() string {
	switch t.Kind {
	case "trigger":
		return "trigger *" + Escape(t.Name) + "*"
	case clusterKind:
		return "the cluster *" + Escape(t.Name) + "*"
	}
	return "sync"
}

func (t Target) words(state string) string {
	switch t.Kind {
	case "trigger":
		return TriggerStateWords(state)
	case clusterKind:
		return "`" + Escape(state) + "`"
	}
	return StateWords(state)
}

func (t Target) plain(state string) string {
	if t.Kind == "trigger" || t.Kind == clusterKind {
		return "`" + Escape(state) + "`"
	}
	return PlainState(state)
}

// OutcomeConfirmed: a change found done after syncbot restarted.
func OutcomeConfirmed(t Target, after string) string {
	return t.plain(after) + " (confirmed after syncbot restarted)"
}

// OutcomeInterrupted: a change found not done after syncbot restarted.
func OutcomeInterrupted(t Target, now string) string {
	return fmt.Sprintf("interrupted: syncbot stopped while this was running and %s is %s. Nothing was retried; run the command again if it is still needed.", t.what(), t.words(now))
}

// OutcomeSentNotSeen: the process that sent the change stopped before it
// heard back, and Atlas does not show the change: it may yet land.
func OutcomeSentNotSeen(t Target, now string) string {
	return fmt.Sprintf("syncbot stopped after it began sending the change and before Atlas answered; Atlas shows %s still %s, so the change most likely never reached it. Nothing was retried: check, then run the command again if it is still needed.", t.what(), t.words(now))
}

// OutcomeShutDown: syncbot was stopping before it sent the change.
const OutcomeShutDown = "syncbot was shutting down before it sent the change, so nothing was sent. Run the command again once it is back."

// OutcomeFenceFailed: the journal could not confirm this process still
// held the operation, so it sent nothing.
const OutcomeFenceFailed = "the journal did not answer just before the change was to be sent, so syncbot sent nothing. Try again in a moment."

// OutcomeCorrectedDone corrects an operation settled as failed while its
// change was still on its way: Atlas shows it landed.
func OutcomeCorrectedDone(t Target, before, now string) string {
	return t.plain(before) + " → " + t.plain(now) + " (corrected: the change landed after syncbot had first recorded it otherwise)"
}

// OutcomeCorrectedFailed corrects an operation recorded as done that Atlas
// does not show.
func OutcomeCorrectedFailed(t Target, now string) string {
	return fmt.Sprintf("corrected: syncbot first recorded this otherwise, but Atlas shows %s %s.", t.what(), t.words(now))
}

// OutcomeInterruptedUnknownTarget: an abandoned operation whose target can
// no longer be read (its alias left SYNC_APPS before it was bound).
const OutcomeInterruptedUnknownTarget = "interrupted: syncbot stopped while this was running, and it can no longer tell which app it was for. Nothing was retried; check the app in the Atlas UI."

// SavedNeedsConfirming refuses a resume that would re-send a saved
// configuration that may not be right (why lists the reasons), and says
// how to re-send it anyway.
func (b Book) SavedNeedsConfirming(app, saved string, why []string) Message {
	md := fmt.Sprintf("Sync for *%s* is terminated. syncbot saved this configuration for it: %s. It did not re-send it, because %s.\n\nIf it is still right, re-send it with %s; otherwise re-enable sync in the Atlas UI. Nothing was changed.",
		app, saved, strings.Join(why, ", and "), b.typed("resume", app, "--saved"))
	return Text(md)
}

// SavedKindDiffers: the app's sync kind today is not the saved one.
func SavedKindDiffers(saved, now string) string {
	return fmt.Sprintf("the app's sync kind is now %s, not %s", KindWords(now), KindWords(saved))
}

// SavedOutsideSyncbot: the last terminate was not done through syncbot.
func SavedOutsideSyncbot(from string) string {
	return fmt.Sprintf("sync was terminated outside syncbot: the configuration was saved %s", from)
}

// SavedTooOld: the saved configuration is older than SYNC_SNAPSHOT_MAX_AGE.
func SavedTooOld(age, max time.Duration) string {
	return fmt.Sprintf("it was saved %s ago, longer ago than `SYNC_SNAPSHOT_MAX_AGE` (%s)", Ago(age), Ago(max))
}

// TargetOf is what op is about, for its outcome's words.
func TargetOf(op store.Op) Target {
	switch op.Target.Kind {
	case "trigger":
		return Target{Kind: "trigger", Name: op.SyncKind} // a trigger op keeps its name there
	case clusterKind:
		return Target{Kind: clusterKind, Name: op.Target.Name}
	}
	return Target{Kind: op.Target.Kind}
}
