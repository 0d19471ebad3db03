package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/syncbot/syncbot/internal/app"
	"github.com/syncbot/syncbot/internal/config"
)

func TestCheckPassesAndPostsNothing(t *testing.T) {
	e := newEnvWithoutBot(t)
	var out strings.Builder
	if err := app.Check(context.Background(), e.cfg, discardLogger(), &out); err != nil {
		t.Fatalf("Check: %v\n%s", err, out.String())
	}
	for _, want := range []string{"Slack bot token (auth.test)", "ok: bot user UBOT", "Socket Mode is enabled", "Atlas Admin API login", "app prod", `state "enabled" (running)`, "app staging", `"disabled" (paused)`, "app legacy", "sync, state"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if n := len(e.slack.Messages("")) + len(e.slack.Ephemerals()); n != 0 {
		t.Errorf("check posted %d messages", n)
	}
	if n := len(e.admin.Patches()); n != 0 {
		t.Errorf("check sent %d PATCHes", n)
	}
}

func TestCheckFailsOnEveryBadPart(t *testing.T) {
	e := newEnvWithoutBot(t, func(c *config.Config) {
		c.SlackAppToken = "xapp-WRONG"
		c.Apps = append(c.Apps, config.App{Alias: "ghost", GroupID: group, AppID: "64b7f0c2a1b2c3d4e5f6ffff"})
	})
	var out strings.Builder
	err := app.Check(context.Background(), e.cfg, discardLogger(), &out)
	if !errors.Is(err, app.ErrCheckFailed) {
		t.Fatalf("Check = %v, want ErrCheckFailed", err)
	}
	got := out.String()
	if !strings.Contains(got, "Slack app token (apps.connections.open)  FAIL") || !strings.Contains(got, "app ghost") || strings.Count(got, "FAIL") != 2 {
		t.Errorf("output:\n%s", got)
	}
	if strings.Contains(got, "WRONG") || strings.Contains(got, "SECRET") {
		t.Errorf("a secret was printed:\n%s", got)
	}
	e2 := newEnvWithoutBot(t, func(c *config.Config) { c.AtlasPrivateKey = "PRIVKEY-WRONG-SECRET" })
	out.Reset()
	if err := app.Check(context.Background(), e2.cfg, discardLogger(), &out); !errors.Is(err, app.ErrCheckFailed) || !strings.Contains(out.String(), "Atlas Admin API login") || strings.Contains(out.String(), "WRONG") {
		t.Errorf("bad key: %v\n%s", err, out.String())
	}
}

func TestCheckLooksUpUserGroupsAndTheWorkspace(t *testing.T) {
	e := newEnvWithoutBot(t, func(c *config.Config) {
		c.Approvers = []string{carol, "SAPPROVE"}
		c.Operators = []string{"SAPPROVE", "SGONE"}
		c.SlackTeamID = "T1"
	})
	e.slack.SetUsergroup("SAPPROVE", []string{carol, bob})
	var out strings.Builder
	err := app.Check(context.Background(), e.cfg, discardLogger(), &out)
	if !errors.Is(err, app.ErrCheckFailed) {
		t.Fatalf("Check = %v, want ErrCheckFailed", err)
	}
	got := out.String()
	for _, want := range []string{
		"SYNC_SLACK_TEAM_ID T1", "ok: the bot's workspace",
		"ok: 2 members", "FAIL: slackbot: usergroups.users.list SGONE: no_such_subteam",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "SAPPROVE") != 1 || strings.Count(got, "FAIL") != 1 {
		t.Errorf("output:\n%s", got)
	}

	e2 := newEnvWithoutBot(t, func(c *config.Config) { c.SlackTeamID = "TOTHER" })
	out.Reset()
	if err := app.Check(context.Background(), e2.cfg, discardLogger(), &out); !errors.Is(err, app.ErrCheckFailed) ||
		!strings.Contains(out.String(), "FAIL: the bot is installed in workspace T1: every envelope would be ignored") {
		t.Errorf("wrong workspace: %v\n%s", err, out.String())
	}
}
