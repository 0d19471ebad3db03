// Package adminapi is syncbot's client for the Atlas App Services Admin API
// v3: it logs in with a programmatic API key, finds an app's linked
// mongodb-atlas service, reads its Device Sync configuration and changes the
// sync state (pause = "disabled", terminate = "", re-enable = "enabled").
//
// The wire facts it relies on are in shared/adminapi.md. The client is a
// concrete type with no interfaces: consumers that need a seam declare their
// own small interface over the methods they call.
//
// Failures from the API are *APIError values; use errors.Is with ErrNotFound,
// ErrUnauthorized, ErrForbidden and ErrSyncNotConfigured, or errors.As to read
// the status and the API's error_code. No error text or log line carries the
// API keys or a session token.
package adminapi
