package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/config"
	"github.com/syncbot/syncbot/internal/slackbot"
)

// ErrCheckFailed is returned by Check when any check failed.
var ErrCheckFailed = errors.New("deployment check failed")

// Check validates a deployment without posting anything in Slack: the Admin
// API key logs in, every alias resolves to its app, its mongodb-atlas
// service and a sync state, the bot token passes auth.test and the app token
// can open a Socket Mode connection. It prints one line per check to w.
func Check(ctx context.Context, cfg config.Config, log *slog.Logger, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	failed := false
	line := func(what string, err error, ok string) {
		result := "ok"
		if ok != "" {
			result += ": " + ok
		}
		if err != nil {
			failed, result = true, "FAIL: "+err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\n", what, result)
	}
	fmt.Fprintf(tw, "CHECK\tRESULT\n")
	line("configuration", nil, fmt.Sprintf("%d app(s), approvals expire after %s", len(cfg.Apps), cfg.ApprovalTTL))

	bot, err := slackbot.New(slackbot.Config{
		AppToken: cfg.SlackAppToken.Reveal(), BotToken: cfg.SlackBotToken.Reveal(), APIURL: cfg.SlackAPIURL, Logger: log,
	}, nopHandler{})
	if err != nil {
		line("Slack client", err, "")
	} else {
		user, team, err := bot.AuthTest(ctx)
		line("Slack bot token (auth.test)", err, fmt.Sprintf("bot user %s in workspace %s", user, team))
		if err == nil && cfg.SlackTeamID != "" {
			var werr error
			if team != cfg.SlackTeamID {
				werr = fmt.Errorf("the bot is installed in workspace %s: every envelope would be ignored", team)
			}
			line("SYNC_SLACK_TEAM_ID "+cfg.SlackTeamID, werr, "the bot's workspace")
		}
		line("Slack app token (apps.connections.open)", bot.OpenConnection(ctx), "Socket Mode is enabled")
		checkGroups(ctx, bot, cfg, line)
	}

	admin, err := adminapi.New(adminapi.Options{
		BaseURL: cfg.AdminAPIURL, PublicKey: cfg.AtlasPublicKey.Reveal(), PrivateKey: cfg.AtlasPrivateKey.Reveal(),
		Concurrency: cfg.AdminConcurrency, Timeout: cfg.AdminTimeout, Logger: log,
	})
	if err != nil {
		line("Atlas Admin API client", err, "")
	} else if err := admin.Login(ctx); err != nil {
		line("Atlas Admin API login", err, "")
	} else {
		line("Atlas Admin API login", nil, "")
		apps, aliases := appRefs(cfg.Apps)
		for _, alias := range aliases {
			sync, err := admin.Sync(ctx, apps[alias])
			line("app "+alias, err, fmt.Sprintf("%s, state %q (%s)", sync.Kind, sync.State, plain(sync.State)))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failed {
		return ErrCheckFailed
	}
	return nil
}

// checkGroups looks up every user group the SYNC_* lists name: a lookup
// that fails now (say, without the usergroups:read scope) would refuse
// those people later.
func checkGroups(ctx context.Context, bot *slackbot.Bot, cfg config.Config, line func(string, error, string)) {
	seen := map[string]bool{}
	for _, l := range []struct {
		name string
		ids  []string
	}{{"SYNC_APPROVERS", cfg.Approvers}, {"SYNC_OPERATORS", cfg.Operators}, {"SYNC_BREAKGLASS", cfg.Breakglass}} {
		for _, id := range l.ids {
			if !approval.IsGroup(id) || seen[id] {
				continue
			}
			seen[id] = true
			users, err := bot.UsergroupMembers(ctx, id)
			line(fmt.Sprintf("user group %s (%s, usergroups.users.list)", id, l.name), err, fmt.Sprintf("%d members", len(users)))
		}
	}
}

func plain(state string) string {
	switch state {
	case "enabled":
		return "running"
	case "disabled":
		return "paused"
	}
	return "terminated"
}

type nopHandler struct{}

func (nopHandler) HandleCommand(context.Context, slackbot.Command) {}
func (nopHandler) HandleAction(context.Context, slackbot.Action)   {}
