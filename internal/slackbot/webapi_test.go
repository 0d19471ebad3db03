package slackbot_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/fakeslack"
	"github.com/syncbot/syncbot/internal/slackbot"
)

func TestWebAPICallsAreRecordedWithBlocks(t *testing.T) {
	urls := make(chan string, 1)
	e := start(t, &handler{command: func(_ context.Context, _ *slackbot.Bot, c slackbot.Command) { urls <- c.ResponseURL }}, nil)
	ctx := testCtx(t)

	ts, err := e.bot.Post(ctx, "C1", card())
	if err != nil {
		t.Fatal(err)
	}
	m, ok := e.fake.Message("C1", ts)
	if !ok || m.Text != "Terminate prod?" || !strings.Contains(string(m.Blocks), `"action_id":"approve"`) {
		t.Fatalf("posted = %+v", m)
	}

	done := slackbot.Message{Text: "Terminated by bob", Blocks: []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Terminated* by bob", false, false), nil, nil),
	}}
	if err := e.bot.Update(ctx, "C1", ts, done); err != nil {
		t.Fatal(err)
	}
	m, _ = e.fake.Message("C1", ts)
	if m.Updates != 1 || m.Text != "Terminated by bob" || strings.Contains(string(m.Blocks), "approve") || !strings.Contains(string(m.Blocks), "Terminated") {
		t.Errorf("updated = %+v", m)
	}

	if err := e.bot.Ephemeral(ctx, "C1", "U1", card()); err != nil {
		t.Fatal(err)
	}
	if eph := e.fake.Ephemerals(); len(eph) != 1 || eph[0].User != "U1" || !strings.Contains(string(eph[0].Blocks), "deny") {
		t.Errorf("ephemerals = %+v", eph)
	}

	e.ack(t, e.command(t, "status prod"))
	url := recv(t, urls)
	if err := e.bot.Respond(ctx, url, card(), true); err != nil {
		t.Fatal(err)
	}
	if err := e.bot.Respond(ctx, url, slackbot.Message{Text: "only you"}, false); err != nil {
		t.Fatal(err)
	}
	posts := e.fake.ResponsePosts()
	if len(posts) != 2 || posts[0].ResponseType != "in_channel" || posts[0].Text != "Terminate prod?" ||
		!strings.Contains(string(posts[0].Blocks), "approve") || posts[1].ResponseType != "ephemeral" {
		t.Errorf("response posts = %+v", posts)
	}
	if msgs := e.fake.Messages("C1"); len(msgs) != 2 || !msgs[1].FromResponseURL {
		t.Errorf("in_channel response not shown in the channel: %+v", msgs)
	}

	user, team, err := e.bot.AuthTest(ctx)
	if err != nil || user != "UBOT" || team != "T1" {
		t.Errorf("AuthTest = %q %q %v", user, team, err)
	}
	e.fake.SetUsergroup("S1", []string{"U1", "U3"})
	members, err := e.bot.UsergroupMembers(ctx, "S1")
	if err != nil || !slices.Equal(members, []string{"U1", "U3"}) {
		t.Errorf("UsergroupMembers = %v %v", members, err)
	}
}

func TestWebAPIErrorsAreWrappedAndCarryNoSecrets(t *testing.T) {
	e := start(t, &handler{}, nil)
	ctx := testCtx(t)

	e.fake.FailMethod("chat.postMessage", fakeslack.Fault{Error: "not_in_channel"})
	_, err := e.bot.Post(ctx, "C9", slackbot.Message{Text: "x"})
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "not_in_channel" || !strings.Contains(err.Error(), "chat.postMessage") {
		t.Errorf("Post = %v", err)
	}
	// Slack asks to wait longer than syncbot waits: the call fails at once.
	e.fake.FailMethod("chat.postEphemeral", fakeslack.Fault{Status: 429, RetryAfter: 120})
	var rl *slack.RateLimitedError
	if err := e.bot.Ephemeral(ctx, "C1", "U1", slackbot.Message{Text: "x"}); !errors.As(err, &rl) || rl.RetryAfter != 120*time.Second {
		t.Errorf("Ephemeral under 429 = %v", err)
	}
	if err := e.bot.Update(ctx, "C1", "1.1", slackbot.Message{Text: "x"}); !errors.As(err, &se) || se.Err != "message_not_found" {
		t.Errorf("Update of unknown ts = %v", err)
	}

	// A response_url is a capability: a transport error must not echo it.
	const hook = "http://127.0.0.1:1/hooks/commands/T1/1/SECRETPATH"
	err = e.bot.Respond(ctx, hook, slackbot.Message{Text: "x"}, false)
	if err == nil || strings.Contains(err.Error(), "SECRETPATH") {
		t.Errorf("Respond to a dead url = %v", err)
	}
	for _, s := range []string{err.Error(), e.logs.String()} {
		if strings.Contains(s, appToken) || strings.Contains(s, botToken) {
			t.Errorf("token leaked: %s", s)
		}
	}
}
