package fakeslack_test

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/fakeslack"
)

func TestResponseURLRecordsPostsAndAllowsFiveUses(t *testing.T) {
	s := newServer(t)
	cmds, _ := connectedClient(t, s)
	ctx := testCtx(t)
	api := webClient(s, botToken)
	if _, err := s.SlashCommand(fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1", Text: "status"}); err != nil {
		t.Fatal(err)
	}
	url := recv(t, cmds).ResponseURL

	respond := func(rt string) error {
		_, _, err := api.PostMessageContext(ctx, "",
			slack.MsgOptionResponseURL(url, rt),
			slack.MsgOptionText("sync is running", false),
			slack.MsgOptionBlocks(approvalBlocks()...))
		return err
	}
	if err := respond(slack.ResponseTypeEphemeral); err != nil {
		t.Fatalf("ephemeral response: %v", err)
	}
	for i := range 4 {
		if err := respond(slack.ResponseTypeInChannel); err != nil {
			t.Fatalf("in_channel response %d: %v", i, err)
		}
	}
	if err := respond(slack.ResponseTypeInChannel); slackErr(err) != "used_up" {
		t.Errorf("sixth use: %v, want used_up", err)
	}

	posts := s.ResponsePosts()
	if len(posts) != 5 {
		t.Fatalf("%d response posts recorded, want 5", len(posts))
	}
	if p := posts[0]; p.URL != url || p.ResponseType != "ephemeral" || p.Text != "sync is running" || !strings.Contains(string(p.Blocks), "approve") || p.ReplaceOriginal {
		t.Errorf("first post = %+v", p)
	}
	msgs := s.Messages("C1")
	if len(msgs) != 4 {
		t.Fatalf("%d channel messages, want the 4 in_channel responses", len(msgs))
	}
	for _, m := range msgs {
		if !m.FromResponseURL || m.TS == "" || m.Text != "sync is running" {
			t.Errorf("in_channel response message = %+v", m)
		}
	}

	_, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(strings.Replace(url, "/hooks/", "/hooks/x", 1), "in_channel"), slack.MsgOptionText("x", false))
	if err == nil {
		t.Error("post to an unknown response_url succeeded")
	}
}

func TestResponseURLReplaceOriginalEditsTheClickedMessage(t *testing.T) {
	s := newServer(t)
	_, clicks := connectedClient(t, s)
	ctx := testCtx(t)
	api := webClient(s, botToken)
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("Terminate?", false), slack.MsgOptionBlocks(approvalBlocks()...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Click(fakeslack.Click{UserID: "U2", ChannelID: "C1", MessageTS: ts, ActionID: "deny", Value: "req-42"}); err != nil {
		t.Fatal(err)
	}
	url := recv(t, clicks).ResponseURL
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionReplaceOriginal(url), slack.MsgOptionText("Denied by bob", false)); err != nil {
		t.Fatal(err)
	}
	m, _ := s.Message("C1", ts)
	if m.Updates != 1 || m.Text != "Denied by bob" || m.FromResponseURL {
		t.Errorf("clicked message after replace_original = %+v", m)
	}
	if p := s.ResponsePosts(); len(p) != 1 || !p[0].ReplaceOriginal {
		t.Errorf("ResponsePosts() = %+v", p)
	}
	if n := len(s.Messages("C1")); n != 1 {
		t.Errorf("%d messages, want the original only", n)
	}
}
