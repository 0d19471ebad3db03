// Command bot runs syncbot: /sync in Slack pauses, resumes and (with a
// second person's approval) terminates Atlas Device Sync.
//
//	bot              run the bot
//	bot check [-v]   validate the deployment (tokens, key, every app, store) and exit
//	bot version      print the version, commit and Go version
//	bot help         print the commands and every variable (also -h, --help)
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// defaultMemoryLimit is the soft limit on the Go runtime's memory (heap,
// goroutine stacks, runtime structures) when GOMEMLIMIT is not set. An idle
// bot uses a few MiB of it. With 200 changes in flight (about 8 MiB of
// goroutine stacks plus their heap) the collector, left to GOGC alone, let
// garbage pile up until peak RSS reached 34-36 MiB against a 35 MB target;
// under this limit it collects earlier instead, for a peak of 31-32 MiB
// (docs/benchmarks.md). Past the limit the collector only runs more often
// (at most half the CPU, by the runtime's own cap); nothing fails. A
// deployment chooses otherwise with GOMEMLIMIT (GOMEMLIMIT=off: no limit).
const defaultMemoryLimit = 20 << 20

func main() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
