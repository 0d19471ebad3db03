// Package target is the seam between syncbot's one core (journal,
// approvals, fencing, reconcile, reminders) and the kinds of things an
// operation can change. A kind supplies how to find a target by its alias,
// how to read its state, and its one effect; its words and messages live
// in package messages. Device Sync of an App Services app is the first
// kind (Sync); an Atlas cluster and a trigger are the next.
package target

import (
	"context"
	"encoding/json"
	"time"

	"github.com/syncbot/syncbot/internal/store"
)

// Reading is a target's state as last read.
type Reading struct {
	// State is in the kind's API words (sync: "enabled", "disabled", "").
	State string
	// Variant further names what was read (sync: flexible_sync or sync).
	Variant string
	// Object is what the effect sends back with only the state changed,
	// exactly as read, fields syncbot does not own included.
	Object json.RawMessage
	// ServiceID is the service the state was read from, if any.
	ServiceID string
	// Since is when the target last entered State, zero if unknown.
	Since time.Time
}

// Kind is one kind of target.
type Kind interface {
	// Identify resolves alias to the identity of what it names now.
	Identify(ctx context.Context, alias string) (store.Target, error)
	// Read reads t's state, for status, reconcile and reminders.
	Read(ctx context.Context, t store.Target) (Reading, error)
	// ReadForChange reads what an effect on t needs, and refuses (an
	// error) where a change could not take effect.
	ReadForChange(ctx context.Context, t store.Target) (Reading, error)
	// Apply sends the one effect that moves t, as read in r, to state to.
	Apply(ctx context.Context, t store.Target, r Reading, to string) error
	// Effect describes Apply's request for the audit log.
	Effect(r Reading, to string) string
}
