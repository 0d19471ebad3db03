// Command bot runs syncbot: /sync in Slack pauses, resumes and (with a
// second person's approval) terminates Atlas Device Sync.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/syncbot/syncbot/internal/app"
	"github.com/syncbot/syncbot/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "syncbot:", err)
		os.Exit(2)
	}
	if err := app.Run(ctx, cfg, app.NewLogger(os.Stderr, cfg.LogFormat), app.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, "syncbot:", err)
		os.Exit(1)
	}
}
