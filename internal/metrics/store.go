package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/syncbot/syncbot/internal/store"
)

// Store counts the failures of st's calls. Not-found, a lost race (a lost
// lease among them) and a busy target are answers, not failures, and are
// not counted; a forbidden move is a bug, and is.
func Store(st store.Store, m *Metrics) store.Store {
	// Zero series from the start, so a dashboard sees 0, not "no data".
	for _, method := range []string{"CreateOp", "GetOp", "Transition", "Reclaim", "Renew", "Fence", "SetMessage", "ListOps", "Events", "SaveSnapshot", "Snapshot", "LegacySnapshot", "AdoptLegacy", "ClaimReminder", "MarkShown", "Acknowledge", "Amend", "Annotate", "SetStep", "Steps", "Ping"} {
		m.storeErrors.WithLabelValues(method)
	}
	return &countingStore{st, m}
}

type countingStore struct {
	st store.Store
	m  *Metrics
}

func (c *countingStore) count(method string, err error) {
	var busy *store.BusyError
	if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) || errors.As(err, &busy) {
		return
	}
	c.m.StoreError(method)
}

func (c *countingStore) CreateOp(ctx context.Context, op store.Op, at time.Time) (store.Op, bool, error) {
	o, created, err := c.st.CreateOp(ctx, op, at)
	c.count("CreateOp", err)
	return o, created, err
}

func (c *countingStore) GetOp(ctx context.Context, id int64) (store.Op, error) {
	o, err := c.st.GetOp(ctx, id)
	c.count("GetOp", err)
	return o, err
}

func (c *countingStore) Transition(ctx context.Context, id int64, from store.State, ch store.Change) (store.Op, error) {
	o, err := c.st.Transition(ctx, id, from, ch)
	c.count("Transition", err)
	return o, err
}

func (c *countingStore) Reclaim(ctx context.Context, id int64, holder string, now, until time.Time) (store.Op, error) {
	o, err := c.st.Reclaim(ctx, id, holder, now, until)
	c.count("Reclaim", err)
	return o, err
}

func (c *countingStore) Renew(ctx context.Context, id int64, holder string, until time.Time) error {
	err := c.st.Renew(ctx, id, holder, until)
	c.count("Renew", err)
	return err
}

func (c *countingStore) Fence(ctx context.Context, id int64, holder string, now, until time.Time, effect string) error {
	err := c.st.Fence(ctx, id, holder, now, until, effect)
	c.count("Fence", err)
	return err
}

func (c *countingStore) SetMessage(ctx context.Context, id int64, channel, ts string) error {
	err := c.st.SetMessage(ctx, id, channel, ts)
	c.count("SetMessage", err)
	return err
}

func (c *countingStore) ListOps(ctx context.Context, f store.Filter) ([]store.Op, error) {
	ops, err := c.st.ListOps(ctx, f)
	c.count("ListOps", err)
	return ops, err
}

func (c *countingStore) Events(ctx context.Context, opID int64) ([]store.Event, error) {
	ev, err := c.st.Events(ctx, opID)
	c.count("Events", err)
	return ev, err
}

func (c *countingStore) SaveSnapshot(ctx context.Context, s store.Snapshot) error {
	err := c.st.SaveSnapshot(ctx, s)
	c.count("SaveSnapshot", err)
	return err
}

func (c *countingStore) Snapshot(ctx context.Context, t store.Target) (store.Snapshot, error) {
	s, err := c.st.Snapshot(ctx, t)
	c.count("Snapshot", err)
	return s, err
}

func (c *countingStore) LegacySnapshot(ctx context.Context, alias string) (store.Snapshot, error) {
	s, err := c.st.LegacySnapshot(ctx, alias)
	c.count("LegacySnapshot", err)
	return s, err
}

func (c *countingStore) AdoptLegacy(ctx context.Context, resolve func(alias string) (store.Target, bool)) (store.AdoptReport, error) {
	r, err := c.st.AdoptLegacy(ctx, resolve)
	c.count("AdoptLegacy", err)
	return r, err
}

func (c *countingStore) ClaimReminder(ctx context.Context, key string, at time.Time) (bool, error) {
	ok, err := c.st.ClaimReminder(ctx, key, at)
	c.count("ClaimReminder", err)
	return ok, err
}

func (c *countingStore) MarkShown(ctx context.Context, id int64, st store.State) (bool, error) {
	ok, err := c.st.MarkShown(ctx, id, st)
	c.count("MarkShown", err)
	return ok, err
}

func (c *countingStore) Acknowledge(ctx context.Context, id int64, by string, at time.Time) (store.Op, error) {
	op, err := c.st.Acknowledge(ctx, id, by, at)
	c.count("Acknowledge", err)
	return op, err
}

func (c *countingStore) Ping(ctx context.Context) error {
	err := c.st.Ping(ctx)
	c.count("Ping", err)
	return err
}

func (c *countingStore) Close() error { return c.st.Close() }

func (c *countingStore) Amend(ctx context.Context, id int64, from store.State, a store.Amendment) (store.Op, error) {
	op, err := c.st.Amend(ctx, id, from, a)
	c.count("Amend", err)
	return op, err
}

func (c *countingStore) Annotate(ctx context.Context, id int64, detail string) error {
	err := c.st.Annotate(ctx, id, detail)
	c.count("Annotate", err)
	return err
}

func (c *countingStore) SetStep(ctx context.Context, id int64, holder string, now time.Time, s store.Step) error {
	err := c.st.SetStep(ctx, id, holder, now, s)
	c.count("SetStep", err)
	return err
}

func (c *countingStore) Steps(ctx context.Context, id int64) ([]store.Step, error) {
	steps, err := c.st.Steps(ctx, id)
	c.count("Steps", err)
	return steps, err
}
