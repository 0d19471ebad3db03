// Command bot runs syncbot: /sync in Slack pauses, resumes and (with a
// second person's approval) terminates Atlas Device Sync.
//
//	bot          run the bot
//	bot check    validate the deployment (tokens, key, every app) and exit
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/syncbot/syncbot/internal/app"
	"github.com/syncbot/syncbot/internal/config"
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
	defer stop()
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "syncbot:", err)
		os.Exit(2)
	}
	log := app.NewLogger(os.Stderr, cfg.LogFormat)
	if len(os.Args) > 1 && os.Args[1] == "check" {
		if err := app.Check(ctx, cfg, log, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "syncbot:", err)
			os.Exit(1)
		}
		return
	}
	if err := app.Run(ctx, cfg, log, app.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, "syncbot:", err)
		os.Exit(1)
	}
}
