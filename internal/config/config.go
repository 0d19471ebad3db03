// Package config reads syncbot's settings from the environment.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// Config is every setting, read from the environment by Load. The envconfig
// tags name the variables exactly as the README's table does.
type Config struct {
	SlackAppToken Secret `envconfig:"SLACK_APP_TOKEN"`
	SlackBotToken Secret `envconfig:"SLACK_BOT_TOKEN"`
	SlackAPIURL   string `envconfig:"SLACK_API_URL" default:"https://slack.com/api/"`
	// SlackCommand lets a second install (say, staging) use its own command.
	SlackCommand string `envconfig:"SYNC_SLASH_COMMAND" default:"/sync"`

	AtlasPublicKey  Secret `envconfig:"ATLAS_PUBLIC_API_KEY"`
	AtlasPrivateKey Secret `envconfig:"ATLAS_PRIVATE_API_KEY"`
	AdminAPIURL     string `envconfig:"ATLAS_ADMIN_API_URL" default:"https://services.cloud.mongodb.com/api/admin/v3.0"`

	AppsRaw     string        `envconfig:"SYNC_APPS"`
	ApprovalTTL time.Duration `envconfig:"SYNC_APPROVAL_TTL" default:"15m"`
	Approvers   []string      `envconfig:"SYNC_APPROVERS"`
	// Who may do what beyond the two-person rule; all optional. Entries
	// are Slack user IDs (U…, W…) or user group IDs (S…), channels are
	// channel IDs (C…, G…).
	Operators  []string `envconfig:"SYNC_OPERATORS"`
	Breakglass []string `envconfig:"SYNC_BREAKGLASS"`
	Channels   []string `envconfig:"SYNC_CHANNELS"`
	// The workspace (and Slack app) syncbot serves: envelopes from any other
	// are ignored. Empty: not checked.
	SlackTeamID      string        `envconfig:"SYNC_SLACK_TEAM_ID"`
	SlackAppID       string        `envconfig:"SYNC_SLACK_APP_ID"`
	DataDir          string        `envconfig:"SYNC_DATA_DIR" default:"./data"`
	DatabaseURL      Secret        `envconfig:"SYNC_DATABASE_URL"`
	HTTPAddr         string        `envconfig:"SYNC_HTTP_ADDR" default:":8080"`
	LogFormat        string        `envconfig:"SYNC_LOG_FORMAT" default:"json"`
	AdminConcurrency int           `envconfig:"SYNC_ADMIN_CONCURRENCY" default:"16"`
	AdminTimeout     time.Duration `envconfig:"SYNC_ADMIN_TIMEOUT" default:"15s"`
	ReminderInterval time.Duration `envconfig:"SYNC_REMINDER_INTERVAL" default:"24h"`

	// Apps is SYNC_APPS parsed, in the order given.
	Apps []App `ignored:"true"`
}

// App is one SYNC_APPS entry: the alias people type and where the app lives.
type App struct {
	Alias   string
	GroupID string
	// AppID is the app's _id (24 hex digits). When the entry named a
	// client_app_id instead, AppID is empty until resolved at start and
	// ClientAppID holds what was written.
	AppID       string
	ClientAppID string
}

// Name is how the app is written in messages: its alias.
func (a App) Name() string { return a.Alias }

// Load reads the environment. It reports every missing or malformed variable
// at once, naming variables and never printing a secret value.
func Load() (Config, error) {
	var c Config
	// envconfig returns at its first parse error; with no `required` tags
	// and secrets as plain strings, only non-secret values can fail here.
	if err := envconfig.Process("", &c); err != nil {
		return Config{}, fmt.Errorf("configuration: %w", err)
	}
	if err := c.normalize(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Problems is every configuration problem found, reported together.
type Problems []string

func (p Problems) Error() string {
	return "configuration: " + strings.Join(p, "; ")
}

func (c *Config) normalize() error {
	var p Problems
	var missing []string
	for _, v := range []struct {
		name string
		val  string
	}{
		{"SLACK_APP_TOKEN", string(c.SlackAppToken)},
		{"SLACK_BOT_TOKEN", string(c.SlackBotToken)},
		{"ATLAS_PUBLIC_API_KEY", string(c.AtlasPublicKey)},
		{"ATLAS_PRIVATE_API_KEY", string(c.AtlasPrivateKey)},
		{"SYNC_APPS", c.AppsRaw},
	} {
		if strings.TrimSpace(v.val) == "" {
			missing = append(missing, v.name)
		}
	}
	if len(missing) > 0 {
		p = append(p, "missing or empty: "+strings.Join(missing, ", "))
	}
	if c.SlackAppToken != "" && !strings.HasPrefix(string(c.SlackAppToken), "xapp-") {
		p = append(p, "SLACK_APP_TOKEN must be an app-level token (xapp-…)")
	}
	if c.SlackBotToken != "" && !strings.HasPrefix(string(c.SlackBotToken), "xoxb-") {
		p = append(p, "SLACK_BOT_TOKEN must be a bot token (xoxb-…)")
	}
	if u, err := checkURL(c.SlackAPIURL); err != nil {
		p = append(p, "SLACK_API_URL "+err.Error())
	} else {
		c.SlackAPIURL = strings.TrimSuffix(u, "/") + "/" // slack-go concatenates method names
	}
	if u, err := checkURL(c.AdminAPIURL); err != nil {
		p = append(p, "ATLAS_ADMIN_API_URL "+err.Error())
	} else {
		c.AdminAPIURL = strings.TrimSuffix(u, "/")
	}
	if !strings.HasPrefix(c.SlackCommand, "/") || len(c.SlackCommand) < 2 {
		p = append(p, fmt.Sprintf("SYNC_SLASH_COMMAND must start with / (got %q)", c.SlackCommand))
	}
	if c.AppsRaw != "" {
		apps, err := ParseApps(c.AppsRaw)
		if err != nil {
			p = append(p, err.Error())
		}
		c.Apps = apps
	}
	if c.ApprovalTTL <= 0 {
		p = append(p, "SYNC_APPROVAL_TTL must be positive")
	}
	if c.AdminConcurrency < 1 {
		p = append(p, "SYNC_ADMIN_CONCURRENCY must be at least 1")
	}
	if c.AdminTimeout <= 0 {
		p = append(p, "SYNC_ADMIN_TIMEOUT must be positive")
	}
	if c.ReminderInterval <= 0 {
		p = append(p, "SYNC_REMINDER_INTERVAL must be positive")
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		p = append(p, fmt.Sprintf("SYNC_LOG_FORMAT must be json or text (got %q)", c.LogFormat))
	}
	const person = "a Slack user ID (U… or W…) or user group ID (S…)"
	c.Approvers = ids("SYNC_APPROVERS", c.Approvers, peopleID, person, &p)
	c.Operators = ids("SYNC_OPERATORS", c.Operators, peopleID, person, &p)
	c.Breakglass = ids("SYNC_BREAKGLASS", c.Breakglass, peopleID, person, &p)
	c.Channels = ids("SYNC_CHANNELS", c.Channels, channelID, "a Slack channel ID (C… or G…, from the channel's details; not its name)", &p)
	if len(c.Operators) > 0 && !slices.ContainsFunc(c.Operators, isGroup) {
		// A break-glass user must also pass SYNC_OPERATORS: say so now,
		// not at 3 a.m. (With a group in SYNC_OPERATORS it cannot be told
		// before the group is looked up.)
		for _, u := range c.Breakglass {
			if !isGroup(u) && !slices.Contains(c.Operators, u) {
				p = append(p, fmt.Sprintf("SYNC_BREAKGLASS: %s is not in SYNC_OPERATORS, so they could not use break-glass", u))
			}
		}
	}
	c.SlackTeamID = strings.TrimSpace(c.SlackTeamID)
	if c.SlackTeamID != "" && !teamID.MatchString(c.SlackTeamID) {
		p = append(p, fmt.Sprintf("SYNC_SLACK_TEAM_ID: %q is not a Slack workspace ID (T…)", c.SlackTeamID))
	}
	c.SlackAppID = strings.TrimSpace(c.SlackAppID)
	if c.SlackAppID != "" && !appIDPattern.MatchString(c.SlackAppID) {
		p = append(p, fmt.Sprintf("SYNC_SLACK_APP_ID: %q is not a Slack app ID (A…)", c.SlackAppID))
	}
	if d := string(c.DatabaseURL); d != "" && !strings.HasPrefix(d, "postgres://") && !strings.HasPrefix(d, "postgresql://") {
		p = append(p, "SYNC_DATABASE_URL must be a postgres:// URL")
	}
	if len(p) > 0 {
		return p
	}
	return nil
}

// ids trims and checks one comma-separated list of Slack IDs, dropping
// empty entries and repeats; every bad entry is a problem.
func ids(name string, raw []string, valid *regexp.Regexp, what string, p *Problems) []string {
	var out []string
	for _, id := range raw {
		id = strings.TrimSpace(id)
		if id == "" || slices.Contains(out, id) {
			continue
		}
		if !valid.MatchString(id) {
			*p = append(*p, fmt.Sprintf("%s: %q is not %s", name, id, what))
			continue
		}
		out = append(out, id)
	}
	return out
}

func isGroup(id string) bool { return strings.HasPrefix(id, "S") }

var (
	peopleID     = regexp.MustCompile(`^[UWS][A-Z0-9]{2,}$`)
	channelID    = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	teamID       = regexp.MustCompile(`^T[A-Z0-9]+$`)
	appIDPattern = regexp.MustCompile(`^A[A-Z0-9]+$`)
	objectID     = regexp.MustCompile(`^[0-9a-f]{24}$`)
	clientAppID  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	alias        = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,39}$`)
)

func checkURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("must be an http(s) URL")
	}
	if u.User != nil {
		return "", errors.New("must not carry credentials")
	}
	return u.String(), nil
}

// ParseApps parses SYNC_APPS: comma-separated alias:GROUP_ID/APP_ID entries.
// APP_ID is the app's 24-hex _id, or a client_app_id to resolve at start.
// Aliases are case-insensitive and stored lower-case.
func ParseApps(raw string) ([]App, error) {
	var apps []App
	seen := map[string]bool{}
	var p Problems
	for _, entry := range strings.Split(raw, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			p = append(p, "SYNC_APPS has an empty entry (a stray comma?)")
			continue
		}
		a, err := parseApp(entry)
		if err != nil {
			p = append(p, fmt.Sprintf("SYNC_APPS entry %q: %v", entry, err))
			continue
		}
		if seen[a.Alias] {
			p = append(p, fmt.Sprintf("SYNC_APPS entry %q: alias %q is used twice", entry, a.Alias))
			continue
		}
		seen[a.Alias] = true
		apps = append(apps, a)
	}
	if len(p) > 0 {
		return nil, p
	}
	return apps, nil
}

func parseApp(entry string) (App, error) {
	name, loc, ok := strings.Cut(entry, ":")
	if !ok {
		return App{}, errors.New("want alias:GROUP_ID/APP_ID")
	}
	group, app, ok := strings.Cut(strings.TrimSpace(loc), "/")
	name, group, app = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(group), strings.TrimSpace(app)
	switch {
	case !ok:
		return App{}, errors.New("want alias:GROUP_ID/APP_ID")
	case name == "":
		return App{}, errors.New("the alias is empty")
	case !alias.MatchString(name):
		return App{}, errors.New("the alias may hold only letters, digits, '-', '_' and '.' (at most 40)")
	case name == "help" || name == "all":
		return App{}, fmt.Errorf("%q is a reserved word", name)
	case group == "":
		return App{}, errors.New("the GROUP_ID (project id) is empty")
	case !objectID.MatchString(strings.ToLower(group)):
		return App{}, errors.New("the GROUP_ID must be 24 hex digits")
	case app == "":
		return App{}, errors.New("the APP_ID is empty")
	}
	a := App{Alias: name, GroupID: strings.ToLower(group)}
	switch {
	case objectID.MatchString(strings.ToLower(app)):
		a.AppID = strings.ToLower(app)
	case clientAppID.MatchString(app):
		a.ClientAppID = app
	default:
		return App{}, errors.New("the APP_ID must be the app's 24-hex _id or its client_app_id (myapp-abcde)")
	}
	return a, nil
}
