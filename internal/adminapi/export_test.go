package adminapi

// SyncWaiters reports how many callers wait on the shared config read for
// app, so a test can release a held GET only once every caller has joined.
func SyncWaiters(c *Client, app App) int { return c.syncFlights.waiting(app.key()) }
