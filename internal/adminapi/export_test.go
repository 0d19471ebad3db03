package adminapi

// SyncWaiters reports how many callers wait on the shared config read for
// app, so a test can release a held GET only once every caller has joined.
func SyncWaiters(c *Client, app App) int { return c.syncFlights.waiting(app.key()) }

// SlotWaiters reports how many calls wait for a concurrency slot.
func SlotWaiters(c *Client) int {
	c.sem.mu.Lock()
	defer c.sem.mu.Unlock()
	return len(c.sem.high) + len(c.sem.low)
}
