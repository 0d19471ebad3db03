package adminapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Trigger types (the SPEC's Trigger schema, tag triggers).
const (
	TriggerDatabase       = "DATABASE"
	TriggerScheduled      = "SCHEDULED"
	TriggerAuthentication = "AUTHENTICATION"
)

// Trigger states in syncbot's words: the API has only "disabled"; a
// suspended database trigger is one whose change stream stopped (docs:
// triggers/database-triggers, "Suspended Triggers"). See docs/triggers.md
// for how the API shows it.
const (
	TriggerEnabled   = "enabled"
	TriggerDisabled  = "disabled"
	TriggerSuspended = "suspended"
)

// SuspensionField is the member of a trigger object whose non-empty string
// syncbot reads as "suspended, and why". The SPEC's Trigger schema has no
// such member and MongoDB's docs are silent on what the API shows (only the
// UI's Status column is documented): this is an assumption, written down
// in docs/triggers.md, and fakeadmin can serve either shape.
const SuspensionField = "error"

// Trigger is one trigger as last read.
type Trigger struct {
	ID, Name, Type string
	// State is TriggerEnabled, TriggerDisabled or TriggerSuspended.
	State string
	// Error is the suspension's reason as the API gave it ("" if none).
	Error string
	// Object is the trigger exactly as received; SetTriggerDisabled sends
	// it back with only "disabled" changed.
	Object json.RawMessage
}

func triggersPath(app App) string { return appPath(app) + "/triggers" }

func triggerPath(app App, id string) string { return triggersPath(app) + "/" + url.PathEscape(id) }

var (
	// ErrTriggerNotFound: the app has no trigger with that id (deleted since).
	ErrTriggerNotFound = errors.New("admin api: trigger not found")
	// ErrResumeTokenGone: a resume with the token refused because the
	// token has left the oplog (ChangeStreamHistoryLost, the docs' name
	// for it; how the API words the refusal is an assumption).
	ErrResumeTokenGone = errors.New("admin api: the trigger's resume token is no longer in the oplog")
)

// Triggers lists the app's triggers (database, scheduled, authentication).
func (c *Client) Triggers(ctx context.Context, app App) ([]Trigger, error) {
	app, err := c.resolve(ctx, app)
	if err != nil {
		return nil, err
	}
	body, err := c.api(ctx, call{op: "list triggers", method: http.MethodGet, path: triggersPath(app), idempotent: true})
	if err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("admin api: list triggers: decode the answer: %w", err)
	}
	out := make([]Trigger, 0, len(raw))
	for _, r := range raw {
		t, err := parseTrigger(r)
		if err != nil {
			return nil, fmt.Errorf("admin api: list triggers: %w", err)
		}
		out = append(out, t)
	}
	return out, nil
}

// Trigger reads one trigger; ErrTriggerNotFound if the app has none by id.
func (c *Client) Trigger(ctx context.Context, app App, id string) (Trigger, error) {
	app, err := c.resolve(ctx, app)
	if err != nil {
		return Trigger{}, err
	}
	return c.readTrigger(ctx, app, id)
}

func (c *Client) readTrigger(ctx context.Context, app App, id string) (Trigger, error) {
	body, err := c.api(ctx, call{op: "get trigger", method: http.MethodGet, path: triggerPath(app, id), idempotent: true})
	if errors.Is(err, ErrNotFound) {
		return Trigger{}, fmt.Errorf("%w: %w", ErrTriggerNotFound, err)
	}
	if err != nil {
		return Trigger{}, err
	}
	t, err := parseTrigger(body)
	if err != nil {
		return Trigger{}, fmt.Errorf("admin api: get trigger: %w", err)
	}
	return t, nil
}

// ReadTriggerForChange reads a trigger and whether a draft is open (a PUT
// would land in it and not deploy: ErrDraftOpen), as one round trip.
func (c *Client) ReadTriggerForChange(ctx context.Context, app App, id string) (Trigger, error) {
	app, err := c.resolve(ctx, app)
	if err != nil {
		return Trigger{}, err
	}
	ctx = withTrip(ctx)
	var t Trigger
	var draft bool
	terr := make(chan error, 1)
	go func() { var err error; t, err = c.readTrigger(ctx, app, id); terr <- err }()
	draft, derr := c.OpenDraft(ctx, app)
	if err := <-terr; err != nil {
		return Trigger{}, err
	}
	if derr != nil {
		return Trigger{}, derr
	}
	if draft {
		return Trigger{}, ErrDraftOpen
	}
	return t, nil
}

func parseTrigger(b []byte) (Trigger, error) {
	var w struct {
		ID       string          `json:"_id"`
		Name     string          `json:"name"`
		Type     string          `json:"type"`
		Disabled bool            `json:"disabled"`
		Error    json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return Trigger{}, fmt.Errorf("decode a trigger: %w", err)
	}
	if w.ID == "" {
		return Trigger{}, errors.New("a trigger without an _id")
	}
	t := Trigger{ID: w.ID, Name: w.Name, Type: w.Type, State: TriggerEnabled, Object: append(json.RawMessage(nil), b...)}
	var msg string
	if json.Unmarshal(w.Error, &msg) == nil && strings.TrimSpace(msg) != "" {
		t.Error = capText(strings.TrimSpace(msg), maxJSONMessage)
	}
	switch {
	case w.Disabled:
		t.State = TriggerDisabled
	case t.Error != "" && w.Type == TriggerDatabase:
		t.State = TriggerSuspended
	}
	return t, nil
}

// SetTriggerDisabled PUTs the trigger object (as read) with only
// "disabled" set: the PUT replaces the whole trigger, so every other member
// goes back byte for byte. A PUT with an unknown outcome is resent only
// after a fresh GET shows it did not take; if the GET shows it did, the
// call succeeds. Otherwise as SetState.
func (c *Client) SetTriggerDisabled(ctx context.Context, app App, id string, object json.RawMessage, disabled bool) error {
	ctx = withPriority(ctx)
	app, err := c.resolve(ctx, app)
	if err != nil {
		return err
	}
	body, err := withMember(object, "disabled", []byte(strconv.FormatBool(disabled)), "trigger")
	if err != nil {
		return fmt.Errorf("admin api: update trigger: %w", err)
	}
	k := call{op: "update trigger", method: http.MethodPut, path: triggerPath(app, id), body: body}
	return c.changeTrigger(ctx, app, id, k, func(t Trigger) bool { return (t.State == TriggerDisabled) == disabled },
		slog.Bool("disabled", disabled))
}

// ResumeTrigger resumes a suspended database trigger: disableToken false
// resumes from the event after the failure (its resume token), true
// resumes without the missed events, which are then lost for good. An
// unknown outcome is resent only after a GET shows the trigger still
// suspended.
func (c *Client) ResumeTrigger(ctx context.Context, app App, id string, disableToken bool) error {
	ctx = withPriority(ctx)
	app, err := c.resolve(ctx, app)
	if err != nil {
		return err
	}
	k := call{op: "resume trigger", method: http.MethodPut, path: triggerPath(app, id) + "/resume",
		body: []byte(`{"disable_token":` + strconv.FormatBool(disableToken) + `}`)}
	err = c.changeTrigger(ctx, app, id, k, func(t Trigger) bool { return t.State != TriggerSuspended },
		slog.Bool("disable_token", disableToken))
	var apiErr *APIError
	if !disableToken && errors.As(err, &apiErr) && apiErr.Status < 500 &&
		(apiErr.Code == "ChangeStreamHistoryLost" || strings.Contains(apiErr.Message, "ChangeStreamHistoryLost")) {
		return fmt.Errorf("%w: %w", ErrResumeTokenGone, err)
	}
	return err
}

// changeTrigger sends a trigger's PUT once, and again only where a read
// shows it did not take (done false) after an answer that left the
// outcome unknown.
func (c *Client) changeTrigger(ctx context.Context, app App, id string, k call, done func(Trigger) bool, attr slog.Attr) error {
	attrs := []slog.Attr{slog.String("group_id", app.GroupID), slog.String("app_id", app.AppID), slog.String("trigger_id", id), attr}
	err := c.sendOnce(ctx, k, "trigger", attrs, func(ctx context.Context) (bool, error) {
		t, err := c.readTrigger(ctx, app, id)
		return err == nil && done(t), err
	})
	if errors.Is(err, ErrNotFound) && !errors.Is(err, ErrOutcomeUnknown) {
		return fmt.Errorf("%w: %w", ErrTriggerNotFound, err)
	}
	return err
}

// LastProcessed is when the trigger last processed a batch of events
// (completed_at of its event subscription's latest execution); zero when
// it never ran or the API did not say. The trigger's _id is its event
// subscription's id (the SPEC's EventSubscription is a Trigger).
func (c *Client) LastProcessed(ctx context.Context, app App, id string) (time.Time, error) {
	app, err := c.resolve(ctx, app)
	if err != nil {
		return time.Time{}, err
	}
	body, err := c.api(ctx, call{op: "get trigger execution", method: http.MethodGet,
		path: appPath(app) + "/event_subscriptions/" + url.PathEscape(id) + "/execution", idempotent: true})
	if errors.Is(err, ErrNotFound) {
		return time.Time{}, nil // never executed
	}
	if err != nil {
		return time.Time{}, err
	}
	var w struct {
		CompletedAt json.RawMessage `json:"completed_at"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return time.Time{}, fmt.Errorf("admin api: get trigger execution: decode the answer: %w", err)
	}
	return parseInstant(w.CompletedAt), nil
}

// parseInstant reads a time the SPEC types only as "object": an RFC 3339
// string, Unix seconds, or extended JSON {"$date": …}; zero otherwise.
func parseInstant(raw json.RawMessage) time.Time {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t
		}
		return time.Time{}
	}
	var n float64
	if json.Unmarshal(raw, &n) == nil && n > 0 {
		return time.Unix(int64(n), 0).UTC()
	}
	var d struct {
		Date json.RawMessage `json:"$date"`
	}
	if json.Unmarshal(raw, &d) == nil && d.Date != nil {
		var ms int64
		if json.Unmarshal(d.Date, &ms) == nil {
			return time.UnixMilli(ms).UTC()
		}
		return parseInstant(d.Date)
	}
	return time.Time{}
}
