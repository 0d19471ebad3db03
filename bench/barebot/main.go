// Command barebot is the floor for syncbot's ack latency: the smallest
// slack-go Socket Mode program there is. It acks every envelope the moment
// slack-go hands it over and does nothing else: no worker pool, no logging,
// no store. The benchmark in ../ runs it against the same fake Slack, with
// the same burst, in the same run as the real bot, so the difference
// between the two is what syncbot's own code costs on the ack path.
//
// It reads SLACK_APP_TOKEN, SLACK_BOT_TOKEN and SLACK_API_URL, like the bot,
// and exits on SIGTERM or SIGINT.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	api := slack.New(os.Getenv("SLACK_BOT_TOKEN"),
		slack.OptionAppLevelToken(os.Getenv("SLACK_APP_TOKEN")),
		slack.OptionAPIURL(os.Getenv("SLACK_API_URL")))
	sm := socketmode.New(api)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-sm.Events:
				if evt.Request != nil && evt.Request.EnvelopeID != "" {
					_ = sm.Ack(*evt.Request)
				}
			}
		}
	}()
	if err := sm.RunContext(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "barebot:", err)
		os.Exit(1)
	}
}
