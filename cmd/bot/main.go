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
