package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// OpenDraft reports whether the API key's user has a draft open on the app.
// While one is, a config PATCH lands in the draft and is not deployed
// (adminapi.md 7), so the bot refuses to act. The SPEC says the answer is
// an object and realm-cli decodes an array of 0 or 1: both are accepted, and
// so are null, {} and a 404 DraftNotFound as "no draft".
func (c *Client) OpenDraft(ctx context.Context, app App) (bool, error) {
	app, err := c.resolve(ctx, app)
	if err != nil {
		return false, err
	}
	body, err := c.api(ctx, call{op: "get drafts", method: http.MethodGet, path: appPath(app) + "/drafts", idempotent: true})
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound && apiErr.Code == "DraftNotFound" {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	open, err := draftOpen(body)
	if err != nil {
		return false, fmt.Errorf("admin api: get drafts: %w", err)
	}
	return open, nil
}

func draftOpen(body []byte) (bool, error) {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || string(b) == "null" {
		return false, nil
	}
	switch b[0] {
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(b, &list); err != nil {
			return false, fmt.Errorf("decode the answer: %w", err)
		}
		for _, d := range list {
			if open, err := draftOpen(d); err != nil || open {
				return open, err
			}
		}
		return false, nil
	case '{':
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(b, &fields); err != nil {
			return false, fmt.Errorf("decode the answer: %w", err)
		}
		return len(fields) > 0, nil
	}
	return false, fmt.Errorf("decode the answer: want an object or an array, got %.20q", b)
}

// ErrDraftOpen means the API key's user has a draft open on the app, so a
// config PATCH would land in the draft and not deploy.
var ErrDraftOpen = errors.New("admin api: a draft is open on the app")

// ReadForChange reads what a change needs before its PATCH: the sync
// configuration (as Sync does, shared with concurrent readers) and whether
// a draft is open, which gives an error matching ErrDraftOpen whatever the
// configuration read returned: a resume after a terminate finds no sync
// object, and its PATCH would land in the draft all the same. The two
// GETs go out together as one round trip, and share one concurrency slot.
func (c *Client) ReadForChange(ctx context.Context, app App) (SyncConfig, error) {
	ctx = withTrip(ctx)
	var cfg SyncConfig
	var draft bool
	var cerr, derr error
	// Not an errgroup: the first error must not cancel the other read.
	var wg sync.WaitGroup
	wg.Go(func() { cfg, cerr = c.Sync(ctx, app) })
	wg.Go(func() { draft, derr = c.OpenDraft(ctx, app) })
	wg.Wait()
	switch {
	case derr == nil && draft:
		return SyncConfig{}, ErrDraftOpen
	case cerr != nil:
		return SyncConfig{}, cerr
	case derr != nil:
		return SyncConfig{}, derr
	}
	return cfg, nil
}
