package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/syncbot/syncbot/internal/store"
)

// Store counts the failures of st's calls. Not-found, a lost race and a busy
// app are answers, not failures, and are not counted.
func Store(st store.Store, m *Metrics) store.Store {
	// Zero series from the start, so a dashboard sees 0, not "no data".
	for _, method := range []string{"CreateOp", "GetOp", "Transition", "Reclaim", "SetMessage", "ListOps", "Events", "SaveSnapshot", "Snapshot", "ClaimReminder", "MarkShown", "Acknowledge", "Ping"} {
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

func (c *countingStore) Snapshot(ctx context.Context, app string) (store.Snapshot, error) {
	s, err := c.st.Snapshot(ctx, app)
	c.count("Snapshot", err)
	return s, err
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
