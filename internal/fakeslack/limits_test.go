package fakeslack_test

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/fakeslack"
)

// TestMessagesBeyondSlackLimitsAreRefused: like Slack, the fake refuses
// blocks beyond Block Kit's limits (invalid_blocks) and a text beyond 4000
// characters (msg_too_long), on every method, and stores nothing; and a
// channel can be made to refuse every message with blocks (RefuseBlocks).
func TestMessagesBeyondSlackLimitsAreRefused(t *testing.T) {
	s := newServer(t)
	ctx := testCtx(t)
	api := webClient(s, botToken)
	many := make([]slack.Block, 51)
	for i := range many {
		many[i] = slack.NewDividerBlock()
	}
	wide := slack.NewSectionBlock(nil, []*slack.TextBlockObject{slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("&amp;", 401), false, false)}, nil)

	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("ok", false), slack.MsgOptionBlocks(approvalBlocks()...))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts []slack.MsgOption
		want string
	}{
		{"51 blocks", []slack.MsgOption{slack.MsgOptionText("x", false), slack.MsgOptionBlocks(many...)}, "invalid_blocks"},
		{"a field of 2005 characters", []slack.MsgOption{slack.MsgOptionText("x", false), slack.MsgOptionBlocks(wide)}, "invalid_blocks"},
		{"4001 characters of text", []slack.MsgOption{slack.MsgOptionText(strings.Repeat("x", 4001), false)}, "msg_too_long"},
	} {
		_, _, err := api.PostMessageContext(ctx, "C1", tc.opts...)
		if slackErr(err) != tc.want {
			t.Errorf("post %s: %v, want %s", tc.name, err, tc.want)
		}
		_, _, _, err = api.UpdateMessageContext(ctx, "C1", ts, tc.opts...)
		if slackErr(err) != tc.want {
			t.Errorf("update %s: %v, want %s", tc.name, err, tc.want)
		}
		_, err = api.PostEphemeralContext(ctx, "C1", "U1", tc.opts...)
		if slackErr(err) != tc.want {
			t.Errorf("ephemeral %s: %v, want %s", tc.name, err, tc.want)
		}
	}
	if n := len(s.Messages("")); n != 1 {
		t.Errorf("%d messages stored, want the first only", n)
	}
	if m, _ := s.Message("C1", ts); m.Updates != 0 {
		t.Errorf("a refused update changed the message")
	}

	s.RefuseBlocks("C2")
	if _, _, err := api.PostMessageContext(ctx, "C2", slack.MsgOptionText("x", false), slack.MsgOptionBlocks(approvalBlocks()...)); slackErr(err) != "invalid_blocks" {
		t.Errorf("blocks in a refusing channel: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C2", slack.MsgOptionText("plain words", false)); err != nil {
		t.Errorf("text alone in a refusing channel: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false), slack.MsgOptionBlocks(approvalBlocks()...)); err != nil {
		t.Errorf("blocks in another channel: %v", err)
	}
}

// TestResponseURLRefusesBlocksLikeTheWebAPI: a response_url post in a
// refusing channel, or beyond the limits, is refused (and uses nothing up).
func TestResponseURLRefusesBlocksLikeTheWebAPI(t *testing.T) {
	s := newServer(t)
	cmds, _ := connectedClient(t, s)
	ctx := testCtx(t)
	api := webClient(s, botToken)
	if _, err := s.SlashCommand(fakeslack.SlashCommand{UserID: "U1", ChannelID: "C9", Text: "status"}); err != nil {
		t.Fatal(err)
	}
	url := recv(t, cmds).ResponseURL
	s.RefuseBlocks("C9")
	_, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(url, slack.ResponseTypeInChannel),
		slack.MsgOptionText("x", false), slack.MsgOptionBlocks(approvalBlocks()...))
	if slackErr(err) != "invalid_blocks" {
		t.Errorf("blocks: %v, want invalid_blocks", err)
	}
	_, _, err = api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(url, slack.ResponseTypeInChannel),
		slack.MsgOptionText(strings.Repeat("x", 4001), false))
	if slackErr(err) != "msg_too_long" {
		t.Errorf("long text: %v, want msg_too_long", err)
	}
	if len(s.ResponsePosts()) != 0 {
		t.Errorf("refused posts were recorded")
	}
}
