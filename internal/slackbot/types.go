package slackbot

import (
	"context"

	"github.com/slack-go/slack"
)

// Handler does the work behind an envelope. It is called on a worker
// goroutine after the envelope has been acked, so it may take its time; ctx
// outlives Run's ctx by up to Config.DrainTimeout so work already accepted
// can finish and report back. Run returns only after every call has
// returned, cancelled or not.
type Handler interface {
	HandleCommand(ctx context.Context, c Command)
	HandleAction(ctx context.Context, a Action)
}

// Command is one invocation of the configured slash command. Text is as
// Slack sent it: &, < and > are still HTML-escaped.
type Command struct {
	EnvelopeID, TeamID, APIAppID, EnterpriseID, ChannelID, ChannelName, UserID, UserName, Command, Text, ResponseURL, TriggerID string
}

// Action is one Block Kit element a user pressed. UserTeamID is the
// clicker's own workspace, which differs from TeamID for people from
// another organisation in a Slack Connect channel.
type Action struct {
	EnvelopeID, TeamID, APIAppID, UserID, UserName, UserTeamID, ChannelID, MessageTS, ActionID, BlockID, Value, ResponseURL, TriggerID string
}

// Message is what the bot posts: Text is the notification and
// accessibility fallback shown next to Blocks.
type Message struct {
	Text   string
	Blocks []slack.Block
	// ThreadTS, when set, posts the message as a reply in that thread.
	ThreadTS string
}
