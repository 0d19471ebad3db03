package fakeslack_test

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/fakeslack"
)

func TestClickDecodesAsBlockActions(t *testing.T) {
	s := newServer(t)
	s.AddUser(fakeslack.User{ID: "U2", Name: "bob"})
	s.AddChannel("C1", "ops")
	_, clicks := connectedClient(t, s)
	ctx := testCtx(t)
	_, ts, err := webClient(s, botToken).PostMessageContext(ctx, "C1", slack.MsgOptionText("Terminate?", false), slack.MsgOptionBlocks(approvalBlocks()...))
	if err != nil {
		t.Fatal(err)
	}

	id, err := s.Click(fakeslack.Click{UserID: "U2", ChannelID: "C1", MessageTS: ts, ActionID: "approve", Value: "req-42"})
	if err != nil {
		t.Fatal(err)
	}
	cb := recv(t, clicks)
	if _, err := s.WaitAck(ctx, id); err != nil {
		t.Fatal(err)
	}
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != "U2" || cb.User.Name != "bob" || cb.User.TeamID != "T1" || cb.Team.ID != "T1" {
		t.Errorf("who = %+v / team %+v", cb.User, cb.Team)
	}
	if cb.Channel.ID != "C1" || cb.Channel.Name != "ops" || cb.Container.MessageTs != ts || cb.Container.ChannelID != "C1" || cb.Container.IsEphemeral {
		t.Errorf("where = %+v / %+v", cb.Channel, cb.Container)
	}
	if cb.Message.Timestamp != ts || cb.Message.Text != "Terminate?" || len(cb.Message.Blocks.BlockSet) != 2 {
		t.Errorf("message = ts %q text %q %d blocks", cb.Message.Timestamp, cb.Message.Text, len(cb.Message.Blocks.BlockSet))
	}
	if len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("actions = %+v", cb.ActionCallback)
	}
	a := cb.ActionCallback.BlockActions[0]
	if a.ActionID != "approve" || a.BlockID != "approval" || a.Value != "req-42" || a.Type != "button" || a.Text.Text != "Approve" {
		t.Errorf("action = %+v", a)
	}
	if cb.APIAppID != "A1" || cb.TriggerID == "" || !strings.Contains(cb.ResponseURL, "/hooks/actions/") {
		t.Errorf("app %q trigger %q response_url %q", cb.APIAppID, cb.TriggerID, cb.ResponseURL)
	}
}

func TestClickOnEphemeralAndUnknownMessages(t *testing.T) {
	s := newServer(t)
	_, clicks := connectedClient(t, s)
	ctx := testCtx(t)
	ts, err := webClient(s, botToken).PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("Sure?", false), slack.MsgOptionBlocks(approvalBlocks()...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Click(fakeslack.Click{UserID: "U1", ChannelID: "C1", MessageTS: ts, ActionID: "deny"}); err != nil {
		t.Fatal(err)
	}
	cb := recv(t, clicks)
	if !cb.Container.IsEphemeral || cb.ActionCallback.BlockActions[0].BlockID != "approval" {
		t.Errorf("ephemeral click = %+v / %+v", cb.Container, cb.ActionCallback.BlockActions[0])
	}
	if _, err := s.Click(fakeslack.Click{UserID: "U1", ChannelID: "C1", MessageTS: "1.1", ActionID: "x"}); err == nil {
		t.Error("click on an unknown message succeeded")
	}
}
