package target

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/store"
)

// KindSync is the kind name of Device Sync targets in the journal.
const KindSync = "sync"

// SyncAdmin is what the Sync kind needs of the App Services Admin API.
type SyncAdmin interface {
	Resolve(ctx context.Context, app adminapi.App) (adminapi.App, error)
	Service(ctx context.Context, app adminapi.App) (string, error)
	Sync(ctx context.Context, app adminapi.App) (adminapi.SyncConfig, error)
	// ReadForChange is Sync plus the open-draft check a change needs, as
	// one round trip; an open draft gives adminapi.ErrDraftOpen.
	ReadForChange(ctx context.Context, app adminapi.App) (adminapi.SyncConfig, error)
	SetState(ctx context.Context, app adminapi.App, kind string, object json.RawMessage, state string) error
}

// Sync is Device Sync of the apps of SYNC_APPS.
type Sync struct {
	Admin SyncAdmin
	Apps  map[string]adminapi.App // alias → app as configured
}

// ErrUnknownAlias: the alias names no app any more.
var ErrUnknownAlias = errors.New("the alias names no configured app")

// Identify resolves alias to its app's _id and, where the app has one, its
// mongodb-atlas service.
func (s Sync) Identify(ctx context.Context, alias string) (store.Target, error) {
	app, ok := s.Apps[alias]
	if !ok {
		return store.Target{}, fmt.Errorf("identify %q: %w", alias, ErrUnknownAlias)
	}
	app, err := s.Admin.Resolve(ctx, app)
	if err != nil {
		return store.Target{}, err
	}
	t := store.Target{Kind: KindSync, GroupID: app.GroupID, AppID: app.AppID}
	// An app without a linked cluster has no service: it is still the app.
	if sid, err := s.Admin.Service(ctx, app); err == nil {
		t.ServiceID = sid
	} else if !errors.Is(err, adminapi.ErrSyncNotConfigured) && !errors.Is(err, adminapi.ErrNotFound) {
		return store.Target{}, err
	}
	return t, nil
}

func app(t store.Target) adminapi.App { return adminapi.App{GroupID: t.GroupID, AppID: t.AppID} }

func reading(c adminapi.SyncConfig) Reading {
	return Reading{State: c.State, Variant: c.Kind, Object: c.Object, ServiceID: c.ServiceID, Since: c.LastDisabled}
}

// Read reads t's sync configuration.
func (s Sync) Read(ctx context.Context, t store.Target) (Reading, error) {
	c, err := s.Admin.Sync(ctx, app(t))
	return reading(c), err
}

// ReadForChange reads t's sync configuration and refuses an open draft.
func (s Sync) ReadForChange(ctx context.Context, t store.Target) (Reading, error) {
	c, err := s.Admin.ReadForChange(ctx, app(t))
	return reading(c), err
}

// Apply PATCHes the sync object of r with only its state set to to.
func (s Sync) Apply(ctx context.Context, t store.Target, r Reading, to string) error {
	return s.Admin.SetState(ctx, app(t), r.Variant, r.Object, to)
}

// Effect names the PATCH for the audit log.
func (s Sync) Effect(r Reading, to string) string {
	return fmt.Sprintf("PATCH %s state %q", r.Variant, to)
}
