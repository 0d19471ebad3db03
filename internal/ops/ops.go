// Package ops serves the endpoints an orchestrator and an operator look at:
// /healthz (the process is alive) and /readyz (it can do its job).
package ops

import (
	"context"
	"net/http"
	"time"
)

// Check reports one dependency of readiness; nil means ready.
type Check func(ctx context.Context) error

// Handler serves /healthz and /readyz. Readiness is the Slack socket and the
// store, never the Admin API: an Atlas outage must not take down the bot
// that reports it.
func Handler(checks map[string]Check, extra ...func(*http.ServeMux)) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		status, body := http.StatusOK, ""
		for name, check := range checks {
			if err := check(ctx); err != nil {
				status = http.StatusServiceUnavailable
				body += name + ": not ready\n"
			} else {
				body += name + ": ok\n"
			}
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	})
	for _, f := range extra {
		f(mux)
	}
	return mux
}
