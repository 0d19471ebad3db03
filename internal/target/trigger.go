package target

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/store"
)

// KindTrigger is the kind name of Atlas Triggers in the journal; a
// trigger target's Name is the trigger's _id.
const KindTrigger = store.TriggerTarget

// TriggerAdmin is what the Trigger kind needs of the Admin API.
type TriggerAdmin interface {
	Resolve(ctx context.Context, app adminapi.App) (adminapi.App, error)
	Triggers(ctx context.Context, app adminapi.App) ([]adminapi.Trigger, error)
	Trigger(ctx context.Context, app adminapi.App, id string) (adminapi.Trigger, error)
	ReadTriggerForChange(ctx context.Context, app adminapi.App, id string) (adminapi.Trigger, error)
	SetTriggerDisabled(ctx context.Context, app adminapi.App, id string, object json.RawMessage, disabled bool) error
	ResumeTrigger(ctx context.Context, app adminapi.App, id string, disableToken bool) error
	LastProcessed(ctx context.Context, app adminapi.App, id string) (time.Time, error)
}

// Trigger is the Atlas Triggers of the apps of SYNC_APPS. A Reading's
// State is adminapi.TriggerEnabled, TriggerDisabled or TriggerSuspended,
// its Variant the trigger's type.
type Trigger struct {
	Admin TriggerAdmin
	Apps  map[string]adminapi.App // alias → app as configured
	// SkipMissed makes Apply resume a suspended trigger without its
	// resume token (Skipping).
	SkipMissed bool
}

// Skipping is k whose resume drops the missed events.
func (k Trigger) Skipping() Kind { k.SkipMissed = true; return k }

// Identify resolves alias to its app, as a trigger target without a
// trigger: Find names one.
func (k Trigger) Identify(ctx context.Context, alias string) (store.Target, error) {
	app, ok := k.Apps[alias]
	if !ok {
		return store.Target{}, fmt.Errorf("identify %q: %w", alias, ErrUnknownAlias)
	}
	app, err := k.Admin.Resolve(ctx, app)
	if err != nil {
		return store.Target{}, err
	}
	return store.Target{Kind: KindTrigger, GroupID: app.GroupID, AppID: app.AppID}, nil
}

// NameError: a trigger name that names no trigger, or several; Close are
// the names to offer instead.
type NameError struct {
	Name      string
	Ambiguous bool
	Close     []string
}

func (e *NameError) Error() string {
	if e.Ambiguous {
		return fmt.Sprintf("trigger name %q is ambiguous: %s", e.Name, strings.Join(e.Close, ", "))
	}
	return fmt.Sprintf("no trigger named %q", e.Name)
}

// List reads the triggers of alias's app.
func (k Trigger) List(ctx context.Context, alias string) (store.Target, []adminapi.Trigger, error) {
	t, err := k.Identify(ctx, alias)
	if err != nil {
		return t, nil, err
	}
	list, err := k.Admin.Triggers(ctx, app(t))
	return t, list, err
}

// Find names one trigger of alias's app by the name Atlas shows:
// case-insensitive, a unique prefix accepted; otherwise a *NameError with
// the close names.
func (k Trigger) Find(ctx context.Context, alias, name string) (store.Target, adminapi.Trigger, error) {
	t, list, err := k.List(ctx, alias)
	if err != nil {
		return t, adminapi.Trigger{}, err
	}
	tr, err := match(list, name)
	if err != nil {
		return t, tr, err
	}
	t.Name = tr.ID
	return t, tr, nil
}

func match(list []adminapi.Trigger, name string) (adminapi.Trigger, error) {
	want := strings.ToLower(name)
	var prefixed []adminapi.Trigger
	for _, tr := range list {
		n := strings.ToLower(tr.Name)
		if n == want {
			return tr, nil
		}
		if strings.HasPrefix(n, want) {
			prefixed = append(prefixed, tr)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0], nil
	}
	if len(prefixed) > 1 {
		return adminapi.Trigger{}, &NameError{Name: name, Ambiguous: true, Close: names(prefixed)}
	}
	return adminapi.Trigger{}, &NameError{Name: name, Close: closeNames(list, want)}
}

func names(list []adminapi.Trigger) []string {
	out := make([]string, 0, len(list))
	for _, tr := range list {
		out = append(out, tr.Name)
	}
	slices.Sort(out)
	return out
}

// closeNames are the names sharing a word or the first letters with want,
// else every name: at most 10.
func closeNames(list []adminapi.Trigger, want string) []string {
	var close []adminapi.Trigger
	for _, tr := range list {
		n := strings.ToLower(tr.Name)
		if strings.Contains(n, want) || strings.Contains(want, n) || (len(want) >= 2 && len(n) >= 2 && n[:2] == want[:2]) {
			close = append(close, tr)
		}
	}
	if len(close) == 0 {
		close = list
	}
	out := names(close)
	if len(out) > 10 {
		out = out[:10]
	}
	return out
}

// Read reads trigger t.
func (k Trigger) Read(ctx context.Context, t store.Target) (Reading, error) {
	tr, err := k.Admin.Trigger(ctx, app(t), t.Name)
	return triggerReading(tr), err
}

// ReadForChange reads trigger t and refuses an open draft.
func (k Trigger) ReadForChange(ctx context.Context, t store.Target) (Reading, error) {
	tr, err := k.Admin.ReadTriggerForChange(ctx, app(t), t.Name)
	return triggerReading(tr), err
}

func triggerReading(tr adminapi.Trigger) Reading {
	return Reading{State: tr.State, Variant: tr.Type, Object: tr.Object}
}

// Apply moves trigger t, as read in r, to state to: a suspended trigger
// moving to enabled is resumed (without its token when SkipMissed);
// otherwise the trigger is PUT with only "disabled" changed.
func (k Trigger) Apply(ctx context.Context, t store.Target, r Reading, to string) error {
	switch {
	case r.State == adminapi.TriggerSuspended && to == adminapi.TriggerEnabled:
		return k.Admin.ResumeTrigger(ctx, app(t), t.Name, k.SkipMissed)
	case to == adminapi.TriggerEnabled || to == adminapi.TriggerDisabled:
		return k.Admin.SetTriggerDisabled(ctx, app(t), t.Name, r.Object, to == adminapi.TriggerDisabled)
	}
	return fmt.Errorf("trigger: %q is not a state a trigger can be moved to", to)
}

// Effect names Apply's request for the audit log.
func (k Trigger) Effect(r Reading, to string) string {
	if r.State == adminapi.TriggerSuspended && to == adminapi.TriggerEnabled {
		return fmt.Sprintf("PUT trigger resume disable_token=%t", k.SkipMissed)
	}
	return fmt.Sprintf("PUT trigger disabled=%t", to == adminapi.TriggerDisabled)
}

// LastProcessed is when trigger id of t's app last processed events.
func (k Trigger) LastProcessed(ctx context.Context, t store.Target, id string) (time.Time, error) {
	return k.Admin.LastProcessed(ctx, app(t), id)
}
