// Package bench measures syncbot against the targets of issue 7: ack
// latency under a burst (next to a bare slack-go handler, the floor), the
// time to answer bursts of status, pause and approved terminates, the bot
// process's memory, and its Admin API calls, logins and refreshes.
//
// Everything runs over loopback against the in-repo fakes (internal/fakeslack,
// internal/fakeadmin) with an Admin API latency L. The bot under test is the
// real binary, built from ./cmd/bot the way the Dockerfile builds it and run
// as a subprocess, so the memory figures are its own. The one exception is
// the simulated hour of token renewals, which needs the bot and the fake
// Admin API to share a fake clock and so runs app.Run in-process.
//
// Rerun (about two minutes at L = 1 s):
//
//	go test -run '^$' -bench . -benchtime 1x ./bench/
//
// Flags go after the package, in the -flag=value form: -admin-latency,
// -admin-concurrency, -burst, -pause-apps, -terminates, -bot-env,
// -profile-dir. The output is benchstat-readable; docs/benchmarks.md has
// the figures, what bounds them and the targets.
//
// go test ./... runs only TestSmoke here: every scenario once, tiny, with
// checks on what was answered and counted, never on time.
package bench
