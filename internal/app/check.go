package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"text/tabwriter"
	"time"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/config"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/slackbot"
	"github.com/syncbot/syncbot/internal/store/sqlite"
)

// ErrCheckFailed is returned by Check when any check failed.
var ErrCheckFailed = errors.New("deployment check failed")

// Check validates a deployment without posting anything in Slack: the
// store opens (the SQLite folder is writable and no running bot holds it;
// PostgreSQL answers and its schema is current or migrated), the HTTP
// address is free, the bot token passes auth.test and the app token can
// open a Socket Mode connection, the Admin API key logs in, and every alias
// resolves to its app, its mongodb-atlas service and a sync state, and its
// triggers can be read. It
// prints one row per check to w, and nothing else: a failure is its row.
func Check(ctx context.Context, cfg config.Config, log *slog.Logger, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	rows, failed := 0, 0
	line := func(what string, err error, ok string) {
		rows++
		result := "ok"
		if ok != "" {
			result += ": " + ok
		}
		if err != nil {
			failed++
			result = "FAIL: " + err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\n", what, result)
	}
	fmt.Fprintf(tw, "CHECK\tRESULT\n")
	line("configuration", nil, fmt.Sprintf("%d app(s), approvals expire after %s", len(cfg.Apps), cfg.ApprovalTTL))
	checkStore(ctx, cfg, line)
	addr, err := checkHTTP(cfg.HTTPAddr)
	line("HTTP endpoints on "+cfg.HTTPAddr+" (SYNC_HTTP_ADDR)", err, addr)

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

	apps, aliases := appRefs(cfg.Apps)
	admin, err := adminapi.New(adminapi.Options{
		BaseURL: cfg.AdminAPIURL, PublicKey: cfg.AtlasPublicKey.Reveal(), PrivateKey: cfg.AtlasPrivateKey.Reveal(),
		Concurrency: cfg.AdminConcurrency, Timeout: cfg.AdminTimeout, Logger: log,
	})
	loginErr := err
	if err == nil {
		loginErr = admin.Login(ctx)
		line("Atlas Admin API login", loginErr, "")
	} else {
		line("Atlas Admin API client", err, "")
	}
	for _, alias := range aliases {
		if loginErr != nil {
			// Every app still gets its row: the README promises each is
			// checked, and a missing row reads like a missing app.
			fmt.Fprintf(tw, "app %s\tnot checked: login failed\n", alias)
			continue
		}
		sync, err := admin.Sync(ctx, apps[alias])
		if errors.Is(err, adminapi.ErrSyncNotConfigured) && !errors.Is(err, adminapi.ErrNotFound) {
			// A fact of the app since the end of life, not a mistake.
			rows++
			fmt.Fprintf(tw, "app %s	no Device Sync: %s\n", alias, messages.NotConfiguredPlain(alias))
			continue
		}
		line("app "+alias, err, fmt.Sprintf("%s, state %q (%s)", sync.Kind, sync.State, messages.PlainState(sync.State)))
		if err != nil {
			fmt.Fprintf(tw, "triggers of %s\tnot checked: the app could not be read\n", alias)
			continue
		}
		triggers, err := admin.Triggers(ctx, apps[alias])
		rows := make([]messages.TriggerRow, len(triggers))
		for i, tr := range triggers {
			rows[i] = messages.TriggerRow{State: tr.State}
		}
		line("triggers of "+alias, err, messages.TriggerSummary(rows))
	}
	if loginErr == nil || len(cfg.Clusters) > 0 {
		checkClusters(ctx, cfg, log, admin, apps, aliases, loginErr == nil, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%w: %d of %d checks failed", ErrCheckFailed, failed, rows)
	}
	return nil
}

// checkStore opens the store as the bot would, which also brings its
// schema up to date, and closes it again. A running bot is never
// disturbed: its lock on the SQLite folder makes the open fail at once.
func checkStore(ctx context.Context, cfg config.Config, line func(string, error, string)) {
	what, ok := "store: SQLite in "+cfg.DataDir+" (SYNC_DATA_DIR)", "writable, not in use by another syncbot, schema up to date"
	if cfg.DatabaseURL != "" {
		what, ok = "store: PostgreSQL (SYNC_DATABASE_URL)", "reachable, schema up to date (migrations applied with this role's rights)"
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, _, err := openStore(ctx, cfg)
	if errors.Is(err, sqlite.ErrLocked) {
		line(what, errors.New("another syncbot process is using it: a bot started now would refuse to start"), "")
		return
	}
	if err == nil {
		err = st.Ping(ctx)
		if cerr := st.Close(); err == nil {
			err = cerr
		}
	}
	line(what, err, ok)
}

// checkHTTP says who can reach the bot's unauthenticated endpoints, and
// whether the address is free to listen on.
func checkHTTP(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("the bot could not listen there: %w", err)
	}
	ln.Close()
	host, _, _ := net.SplitHostPort(addr)
	switch ip := net.ParseIP(host); {
	case host == "localhost" || ip != nil && ip.IsLoopback():
		return "/healthz, /readyz, /metrics for this machine only", nil
	case host == "" || ip != nil && ip.IsUnspecified():
		return "/healthz, /readyz, /metrics, unauthenticated, on every interface (SYNC_HTTP_ADDR=127.0.0.1:8080: this machine only)", nil
	}
	return "/healthz, /readyz, /metrics, unauthenticated, to anyone who can reach " + host, nil
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

type nopHandler struct{}

func (nopHandler) HandleCommand(context.Context, slackbot.Command) {}
func (nopHandler) HandleAction(context.Context, slackbot.Action)   {}
