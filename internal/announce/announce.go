// Package announce tells Slack what the journal says: it posts an
// operation's message, updates it as the operation moves, records its
// outcome and shows it, and answers people privately. The verbs (package
// service) and the background work (package sweeper) share it, so an
// operation looks the same whoever moves it.
package announce

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/target"
)

// Slack is how operations are told.
type Slack interface {
	Post(ctx context.Context, channel string, m messages.Message) (ts string, err error)
	Update(ctx context.Context, channel, ts string, m messages.Message) error
	Ephemeral(ctx context.Context, channel, user string, m messages.Message) error
	Respond(ctx context.Context, responseURL string, m messages.Message, inChannel bool) error
	// Replace replaces the clicked message through a click's response_url.
	Replace(ctx context.Context, responseURL string, m messages.Message) error
}

// Announcer shows operations from the journal in Slack.
type Announcer struct {
	Book      messages.Book
	Approvers approval.List // named on break-glass messages
	Store     store.Store
	Slack     Slack
	Clock     clock.Clock
	shown     opLocks
}

// Asker is whom a private answer goes to.
type Asker struct {
	Channel, User, ResponseURL string
}

// Whisper answers the asker alone; where the bot cannot post ephemerally
// (a channel it is not in), the command's response_url still can.
func (a *Announcer) Whisper(ctx context.Context, log *slog.Logger, to Asker, m messages.Message) {
	err := a.Slack.Ephemeral(ctx, to.Channel, to.User, m)
	if err == nil {
		return
	}
	log.Warn("ephemeral reply failed; using response_url", "err", err)
	if to.ResponseURL == "" {
		return
	}
	if err := a.Slack.Respond(ctx, to.ResponseURL, m, false); err != nil {
		log.Error("reply lost", "err", err)
	}
}

// Render is op's channel message as the journal has it.
func (a *Announcer) Render(op store.Op) messages.Message {
	switch {
	case op.Target.Kind == target.KindCluster:
		return a.renderCluster(op, messages.ClusterPreview{}, nil)
	case op.BreakGlass:
		return a.Book.BreakGlass(op, a.Approvers)
	case op.Target.Kind == store.TriggerTarget && op.Kind == store.ResumeSkip:
		return a.Book.SkipMissedCard(op, a.Clock.Now())
	case op.Target.Kind == store.TriggerTarget:
		return a.Book.TriggerChange(op)
	case op.Kind == store.Terminate:
		return a.Book.Card(op, a.Clock.Now())
	}
	return a.Book.Change(op)
}

// Show renders op from the journal into its channel message: updated in
// place when it has one, posted otherwise. A lost update heals later.
func (a *Announcer) Show(ctx context.Context, log *slog.Logger, op store.Op) {
	defer a.shown.lock(op.ID)()
	if op.MessageTS == "" {
		// Its first post may have landed since op was read.
		if cur, err := a.Store.GetOp(ctx, op.ID); err == nil {
			op.MessageTS = cur.MessageTS
		}
	}
	m := a.render(ctx, op)
	if op.MessageTS != "" {
		if err := a.Slack.Update(ctx, op.Channel, op.MessageTS, m); err != nil && !a.replace(ctx, log, op, m) {
			log.Warn("updating the channel message failed; it is shown again later", "op", op.ID, "err", err)
			return
		}
	} else if _, delivered := a.post(ctx, log, op, m); !delivered {
		return
	}
	if op.State.Final() {
		// The message shows how the op ended: nothing left to do for it.
		if _, err := a.Store.MarkShown(ctx, op.ID, op.State); err != nil {
			log.Warn("marking the message as up to date failed", "op", op.ID, "err", err)
		}
	}
}

// Announce posts the first channel message for op and journals where,
// before anyone else may show op. It returns the message's ts ("" if it
// went through response_url or not at all).
func (a *Announcer) Announce(ctx context.Context, log *slog.Logger, op store.Op) string {
	defer a.shown.lock(op.ID)()
	ts, _ := a.post(ctx, log, op, a.render(ctx, op))
	return ts
}

// post posts m as op's channel message and journals where. Where the bot
// cannot post (a private channel it is not in, Slack failing), the
// command's response_url carries m instead, as a message that can never be
// updated. delivered reports whether m reached the channel either way; if
// not, the journal still has op, and the message is shown from it on the
// next chance.
func (a *Announcer) post(ctx context.Context, log *slog.Logger, op store.Op, m messages.Message) (ts string, delivered bool) {
	ts, err := a.Slack.Post(ctx, op.Channel, m)
	if err != nil {
		if op.ResponseURL == "" {
			log.Warn("posting in the channel failed; it is posted again later", "op", op.ID, "err", err)
			a.tellPeople(ctx, log, op, m)
			return "", false
		}
		log.Warn("posting in the channel failed; using response_url", "op", op.ID, "err", err)
		if err := a.Slack.Respond(ctx, op.ResponseURL, m, true); err != nil {
			log.Warn("response_url post failed too; the message is posted again later", "op", op.ID, "err", err)
			a.tellPeople(ctx, log, op, m)
			return "", false
		}
		return "", true
	}
	if err := a.Store.SetMessage(ctx, op.ID, op.Channel, ts); err != nil {
		log.Error("recording the message failed", "op", op.ID, "err", err)
		return ts, true
	}
	log.Info("channel message posted", "op", op.ID, "ts", ts)
	return ts, true
}

// tellPeople sends how op ended to the people involved (who asked, who
// decided), each in their direct messages with syncbot, when the channel
// cannot be told: an outcome must reach someone. Claimed in the store, so
// it is sent once per ending whatever retries and replicas follow; the
// channel is still tried again later.
func (a *Announcer) tellPeople(ctx context.Context, log *slog.Logger, op store.Op, m messages.Message) {
	if !op.State.Final() {
		return
	}
	claimed, err := a.Store.ClaimReminder(ctx, fmt.Sprintf("told/%d/%s", op.ID, op.State), a.Clock.Now())
	if err != nil || !claimed {
		return
	}
	people := []string{op.Requester}
	if op.DecidedBy != "" && op.DecidedBy != op.Requester {
		people = append(people, op.DecidedBy)
	}
	for _, user := range people {
		if _, err := a.Slack.Post(ctx, user, m); err != nil {
			log.Error("the outcome reached neither the channel nor a person involved", "op", op.ID, "user", user, "err", err)
			continue
		}
		log.Warn("the outcome was sent to a person involved, since the channel could not be told", "op", op.ID, "user", user)
	}
}

// Ending is how an operation ends.
type Ending struct {
	To      store.State
	Outcome string
	// Before is the target's state the operation started from, where
	// known only now.
	Before string
	// Quiet: the outcome is told to the asker alone, never in the channel.
	Quiet bool
}

// closeWithin bounds the writes and the message that end an operation.
const closeWithin = 10 * time.Second

// closing is the context for what ends an operation (its journal entry,
// its message): they must happen even when the command's own context was
// cancelled (the bot shutting down mid-change), within closeWithin.
func closing(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), closeWithin)
}

// Finish records op's ending. An op leaves executing only in the hands of
// its holder (the store checks op.Holder); on a conflict, someone else (the
// reconciler, another click) got there first and the journal's version is
// returned with lost set.
func (a *Announcer) Finish(ctx context.Context, log *slog.Logger, op store.Op, e Ending) (done store.Op, lost bool) {
	ctx, cancel := closing(ctx)
	defer cancel()
	ch := store.Change{To: e.To, Actor: "syncbot", At: a.Clock.Now(), Outcome: e.Outcome, SyncBefore: e.Before, Quiet: e.Quiet}
	if op.State == store.Executing {
		ch.Fence = op.Holder
	}
	done, err := a.Store.Transition(ctx, op.ID, op.State, ch)
	if err != nil {
		conflict := errors.Is(err, store.ErrConflict)
		if conflict {
			log.Warn("the operation was finished by someone else first", "op", op.ID, "to", e.To, "err", err)
		} else {
			log.Error("recording the outcome failed", "op", op.ID, "to", e.To, "err", err)
		}
		if cur, gerr := a.Store.GetOp(ctx, op.ID); gerr == nil {
			return cur, conflict
		}
		op.State, op.Outcome = e.To, e.Outcome
		if e.Before != "" {
			op.SyncBefore = e.Before
		}
		return op, conflict
	}
	log.Info("operation finished", "op", op.ID, "state", e.To, "outcome", e.Outcome)
	return done, false
}

// Conclude records op's ending, then shows the journal's version of it.
// If the process dies in between, the message is not marked as showing
// the outcome (MarkShown), and the reconciler shows it again.
func (a *Announcer) Conclude(ctx context.Context, log *slog.Logger, op store.Op, e Ending) (store.Op, bool) {
	ctx, cancel := closing(ctx)
	defer cancel()
	done, lost := a.Finish(ctx, log, op, e)
	if done.MessageTS == "" {
		done.MessageTS = op.MessageTS
	}
	a.Show(ctx, log, done)
	return done, lost
}

// Expire moves a pending request to expired (if no one else did) and
// updates its card.
func (a *Announcer) Expire(ctx context.Context, log *slog.Logger, op store.Op) {
	next, err := a.Store.Transition(ctx, op.ID, store.Pending, store.Change{To: store.Expired, Actor: "syncbot", At: a.Clock.Now()})
	if errors.Is(err, store.ErrConflict) {
		return // another click, replica or sweep decided it first and showed it
	}
	if err != nil {
		log.Error("expiring the request failed", "op", op.ID, "err", err)
		return
	}
	log.Info("request expired", "op", op.ID)
	a.Show(ctx, log, next)
}
