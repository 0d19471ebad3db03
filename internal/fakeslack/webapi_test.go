package fakeslack_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/fakeslack"
)

// approvalBlocks is a small card with a button, as the bot posts.
func approvalBlocks() []slack.Block {
	return []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Terminate prod?*", false, false), nil, nil),
		slack.NewActionBlock("approval",
			slack.NewButtonBlockElement("approve", "req-42", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)),
			slack.NewButtonBlockElement("deny", "req-42", slack.NewTextBlockObject(slack.PlainTextType, "Deny", false, false)),
		),
	}
}

func slackErr(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

func TestWebAPIChecksTheBotToken(t *testing.T) {
	s := newServer(t)
	ctx := testCtx(t)
	resp, err := webClient(s, botToken).AuthTestContext(ctx)
	if err != nil || resp.UserID != "UBOT" || resp.TeamID != "T1" || resp.BotID == "" {
		t.Fatalf("auth.test = %+v, %v", resp, err)
	}
	for _, tok := range []string{"", "xoxb-wrong", appToken} {
		_, err := webClient(s, tok).AuthTestContext(ctx)
		if slackErr(err) != "invalid_auth" {
			t.Errorf("token %q: err %v, want invalid_auth", tok, err)
		}
		_, _, err = webClient(s, tok).PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
		if slackErr(err) != "invalid_auth" {
			t.Errorf("token %q post: err %v, want invalid_auth", tok, err)
		}
	}
	if got := s.Messages(""); len(got) != 0 {
		t.Errorf("refused posts were stored: %+v", got)
	}
}

func TestPostAndUpdateStoreTextBlocksAndVersions(t *testing.T) {
	s := newServer(t)
	ctx := testCtx(t)
	api := webClient(s, botToken)

	ch, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("Terminate prod?", false), slack.MsgOptionBlocks(approvalBlocks()...))
	if err != nil || ch != "C1" || ts != "1700000000.000100" {
		t.Fatalf("post = %q %q %v", ch, ts, err)
	}
	_, ts2, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("second", false))
	if err != nil || ts2 <= ts {
		t.Fatalf("second ts %q not after %q (%v)", ts2, ts, err)
	}
	m, ok := s.Message("C1", ts)
	if !ok || m.User != "UBOT" || m.Text != "Terminate prod?" || !strings.Contains(string(m.Blocks), `"action_id":"approve"`) {
		t.Fatalf("stored message = %+v", m)
	}

	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("Approved by bob", false), slack.MsgOptionBlocks()); err != nil {
		t.Fatal(err)
	}
	m, _ = s.Message("C1", ts)
	if m.Updates != 1 || len(m.Versions) != 2 || m.Text != "Approved by bob" || string(m.Blocks) != "[]" {
		t.Errorf("after update: %+v", m)
	}
	if m.Versions[0].Text != "Terminate prod?" || !strings.Contains(string(m.Versions[0].Blocks), "approve") {
		t.Errorf("first version lost: %+v", m.Versions[0])
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", "1.2", slack.MsgOptionText("x", false)); slackErr(err) != "message_not_found" {
		t.Errorf("update of unknown ts: %v, want message_not_found", err)
	}
	if got := s.Messages("C1"); len(got) != 2 || got[0].TS != ts || got[1].TS != ts2 {
		t.Errorf("Messages(C1) = %+v", got)
	}

	// Getters hand out copies.
	m.Blocks[0] = 'X'
	if again, _ := s.Message("C1", ts); again.Blocks[0] != '[' {
		t.Error("Message returned the stored slice, not a copy")
	}
}

func TestEphemeralUsersUsergroupsConversations(t *testing.T) {
	s := newServer(t)
	ctx := testCtx(t)
	api := webClient(s, botToken)
	s.AddUser(fakeslack.User{ID: "U1", Name: "alice", RealName: "Alice A"})
	s.SetUsergroup("S1", []string{"U1", "U2"})
	s.AddChannel("C1", "ops")

	ts, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("only you", false), slack.MsgOptionBlocks(approvalBlocks()...))
	if err != nil || ts == "" {
		t.Fatalf("postEphemeral = %q, %v", ts, err)
	}
	eph := s.Ephemerals()
	if len(eph) != 1 || eph[0].TS != ts || eph[0].User != "U1" || eph[0].Text != "only you" || len(eph[0].Blocks) == 0 {
		t.Errorf("Ephemerals() = %+v", eph)
	}

	u, err := api.GetUserInfoContext(ctx, "U1")
	if err != nil || u.Name != "alice" || u.RealName != "Alice A" || u.TeamID != "T1" {
		t.Errorf("users.info = %+v, %v", u, err)
	}
	if _, err := api.GetUserInfoContext(ctx, "U404"); slackErr(err) != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
	members, err := api.GetUserGroupMembersContext(ctx, "S1")
	if err != nil || !slices.Equal(members, []string{"U1", "U2"}) {
		t.Errorf("usergroups.users.list = %v, %v", members, err)
	}
	c, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C1"})
	if err != nil || c.ID != "C1" || c.Name != "ops" {
		t.Errorf("conversations.info = %+v, %v", c, err)
	}
}

func TestFaults(t *testing.T) {
	s := newServer(t)
	ctx := testCtx(t)
	api := webClient(s, botToken)
	post := func() error {
		_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
		return err
	}

	s.FailMethod("chat.postMessage", fakeslack.Fault{Status: 429, RetryAfter: 3, Times: 1})
	var rl *slack.RateLimitedError
	if err := post(); !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Errorf("429 fault: %v, want RateLimitedError 3s", err)
	}
	if err := post(); err != nil {
		t.Errorf("after a one-time fault: %v", err)
	}

	s.FailMethod("chat.postMessage", fakeslack.Fault{Status: 500, Times: 1})
	var sc slack.StatusCodeError
	if err := post(); !errors.As(err, &sc) || sc.Code != 500 {
		t.Errorf("500 fault: %v", err)
	}

	s.FailMethod("chat.postMessage", fakeslack.Fault{Error: "not_in_channel"})
	for range 2 {
		if err := post(); slackErr(err) != "not_in_channel" {
			t.Errorf("forever fault: %v", err)
		}
	}
	s.ClearFaults()
	if err := post(); err != nil {
		t.Errorf("after ClearFaults: %v", err)
	}
	if got := len(s.Messages("C1")); got != 2 {
		t.Errorf("%d messages stored, want only the 2 successful posts", got)
	}
}

func TestConnectAndResponseURLFaults(t *testing.T) {
	s := newServer(t)
	// slack-go retries a 500 from apps.connections.open with backoff.
	s.FailMethod("apps.connections.open", fakeslack.Fault{Status: 500, Times: 2})
	cmds, _ := connectedClient(t, s)
	if got := s.Tickets(); got != 1 {
		t.Errorf("Tickets() = %d, want 1: faulted calls hand out no ticket", got)
	}

	if _, err := s.SlashCommand(fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1"}); err != nil {
		t.Fatal(err)
	}
	url := recv(t, cmds).ResponseURL
	s.FailMethod(fakeslack.ResponseURLMethod, fakeslack.Fault{Error: "expired_url", Times: 1})
	post := func() error {
		_, _, err := webClient(s, botToken).PostMessageContext(testCtx(t), "", slack.MsgOptionResponseURL(url, "ephemeral"), slack.MsgOptionText("x", false))
		return err
	}
	if err := post(); err == nil || !strings.Contains(err.Error(), "expired_url") {
		t.Errorf("faulted response_url post = %v", err)
	}
	if err := post(); err != nil {
		t.Errorf("after the fault: %v", err)
	}
	if n := len(s.ResponsePosts()); n != 1 {
		t.Errorf("%d response posts recorded, want 1", n)
	}
}
