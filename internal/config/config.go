// Package config reads syncbot's settings from the environment.
package config

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// Config is every setting, read from the environment by Load. The envconfig
// tags name the variables exactly as the README's table does.
type Config struct {
	SlackAppToken Secret `envconfig:"SLACK_APP_TOKEN" desc:"app-level token xapp-…, scope connections:write"`
	SlackBotToken Secret `envconfig:"SLACK_BOT_TOKEN" desc:"bot token xoxb-…"`
	SlackAPIURL   string `envconfig:"SLACK_API_URL" default:"https://slack.com/api/" desc:"Slack Web API base"`
	// SlackCommand lets a second install (say, staging) use its own command.
	SlackCommand string `envconfig:"SYNC_SLASH_COMMAND" default:"/sync" desc:"the slash command this install answers"`

	AtlasPublicKey  Secret `envconfig:"ATLAS_PUBLIC_API_KEY" desc:"Atlas programmatic API key, public part"`
	AtlasPrivateKey Secret `envconfig:"ATLAS_PRIVATE_API_KEY" desc:"Atlas programmatic API key, private part"`
	AdminAPIURL     string `envconfig:"ATLAS_ADMIN_API_URL" default:"https://services.cloud.mongodb.com/api/admin/v3.0" desc:"App Services Admin API base"`

	AppsRaw     string        `envconfig:"SYNC_APPS" desc:"alias:GROUP_ID/APP_ID, comma separated"`
	ApprovalTTL time.Duration `envconfig:"SYNC_APPROVAL_TTL" default:"15m" desc:"how long a terminate request may wait for approval"`
	Approvers   []string      `envconfig:"SYNC_APPROVERS" desc:"user or group IDs who may approve; empty = anyone but the requester"`
	// Who may do what beyond the two-person rule; all optional. Entries
	// are Slack user IDs (U…, W…) or user group IDs (S…), channels are
	// channel IDs (C…, G…).
	Operators  []string `envconfig:"SYNC_OPERATORS" desc:"user or group IDs who may pause, resume, terminate; empty = everyone"`
	Breakglass []string `envconfig:"SYNC_BREAKGLASS" desc:"user or group IDs allowed terminate --break-glass; empty = off"`
	Channels   []string `envconfig:"SYNC_CHANNELS" desc:"channel IDs where changes may be asked for; empty = any"`
	// The workspace (and Slack app) syncbot serves: envelopes from any other
	// are ignored. Empty: not checked.
	SlackTeamID      string        `envconfig:"SYNC_SLACK_TEAM_ID" desc:"the workspace T… served, others ignored; empty = not checked"`
	SlackAppID       string        `envconfig:"SYNC_SLACK_APP_ID" desc:"the Slack app A… served, others ignored; empty = not checked"`
	DataDir          string        `envconfig:"SYNC_DATA_DIR" default:"./data" desc:"folder of the embedded store, one process at a time"`
	DatabaseURL      Secret        `envconfig:"SYNC_DATABASE_URL" desc:"postgres://… selects the PostgreSQL store; empty = embedded"`
	HTTPAddr         string        `envconfig:"SYNC_HTTP_ADDR" default:":8080" desc:"serves /healthz, /readyz, /metrics to anyone who can connect; 127.0.0.1:8080 = this machine only"`
	LogFormat        string        `envconfig:"SYNC_LOG_FORMAT" default:"json" desc:"json or text"`
	AdminConcurrency int           `envconfig:"SYNC_ADMIN_CONCURRENCY" default:"16" desc:"most Admin API round trips in flight"`
	AdminTimeout     time.Duration `envconfig:"SYNC_ADMIN_TIMEOUT" default:"15s" desc:"one Admin API call"`
	ReminderInterval time.Duration `envconfig:"SYNC_REMINDER_INTERVAL" default:"6h" desc:"how often a still-paused app is mentioned (well inside a typical oplog window)"`
	SnapshotMaxAge   time.Duration `envconfig:"SYNC_SNAPSHOT_MAX_AGE" default:"720h" desc:"a saved configuration older than this is re-sent by resume only with --saved"`

	// Clusters (Atlas Administration API v2, same API key, HTTP Digest).
	AtlasAPIURL     string        `envconfig:"ATLAS_API_URL" default:"https://cloud.mongodb.com" desc:"Atlas Administration API base (resources under /api/atlas/v2)"`
	ClustersRaw     string        `envconfig:"SYNC_CLUSTERS" desc:"alias:GROUP_ID/CLUSTER_NAME, comma separated: clusters by name, with or without apps"`
	ClusterApproval string        `envconfig:"SYNC_CLUSTER_APPROVAL" default:"required" desc:"required or none: whether a cluster pause waits for a second person"`
	ClusterWait     time.Duration `envconfig:"SYNC_CLUSTER_WAIT" default:"20m" desc:"how long a resume waits for the cluster to be IDLE"`

	// Apps is SYNC_APPS parsed, in the order given.
	Apps []App `ignored:"true"`
	// Clusters is SYNC_CLUSTERS parsed, in the order given.
	Clusters []Cluster `ignored:"true"`
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
// at once, one problem per variable, never printing a secret value.
func Load() (Config, error) {
	var c Config
	unreadable, unread := read(&c)
	// Missing variables first: on a first run they are the whole story.
	p := append(c.missing(), unreadable...)
	p = append(p, c.normalize(unread)...)
	if len(p) > 0 {
		return Config{}, p
	}
	return c, nil
}

// required are the variables without which the bot cannot start. They have
// no default and no `required` tag: a missing one is reported with every
// other problem, not alone (DESIGN.md).
var required = []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "ATLAS_PUBLIC_API_KEY", "ATLAS_PRIVATE_API_KEY"}

// read fills c from the environment one variable at a time: given the whole
// struct, envconfig stops at the first value it cannot convert and words
// the error in Go's terms. Each field is processed alone, as a one-field
// struct with the same tags, and a failure becomes a problem in the bot's
// words. unread names the variables that could not be read.
func read(c *Config) (p Problems, unread map[string]bool) {
	unread = map[string]bool{}
	v := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		key := f.Tag.Get("envconfig")
		if key == "" {
			continue
		}
		one := reflect.New(reflect.StructOf([]reflect.StructField{{Name: f.Name, Type: f.Type, Tag: f.Tag}}))
		if err := envconfig.Process("", one.Interface()); err != nil {
			p = append(p, parseProblem(key, f.Type, err))
			unread[key] = true
			continue
		}
		v.Field(i).Set(one.Elem().Field(0))
	}
	return p, unread
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	secretType   = reflect.TypeFor[Secret]()
)

// parseProblem words a conversion error for people. A secret's value is
// never quoted.
func parseProblem(key string, t reflect.Type, err error) string {
	var value string
	var pe *envconfig.ParseError
	if errors.As(err, &pe) {
		value = pe.Value
	}
	var what string
	switch {
	case t == durationType:
		what = "is not a duration (e.g. 15m, 1h)"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		what = "is not a whole number"
	case t.Kind() == reflect.Bool:
		what = "is not true or false"
	default:
		what = "cannot be read as " + t.String()
	}
	if t == secretType {
		return key + ": the value " + what
	}
	return fmt.Sprintf("%s: %q %s", key, value, what)
}

// Usage writes one line per variable Load reads: its name, what it is for
// and its default ("required" when it has none and must be set). It is
// read from Config's tags, so it cannot drift from what Load does.
func Usage(w io.Writer) error {
	// By hand, not with envconfig.Usaget: its text/template calls methods
	// by name through reflect, which makes the linker keep every exported
	// method of the program: 3.7 MB more binary and 2 MB more idle memory.
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		f := t.Field(i)
		key := f.Tag.Get("envconfig")
		if key == "" || f.Tag.Get("ignored") == "true" {
			continue
		}
		def := "default empty"
		switch d := f.Tag.Get("default"); {
		case d != "":
			def = "default " + d
		case slices.Contains(required, key):
			def = "required"
		case key == "SYNC_APPS" || key == "SYNC_CLUSTERS":
			def = "required: this, the other or both"
		}
		if _, err := fmt.Fprintf(tw, "  %s\t%s (%s)\n", key, f.Tag.Get("desc"), def); err != nil {
			return err
		}
	}
	return tw.Flush()
}

// Problems is every configuration problem found, reported together: one
// entry per variable, each starting with the variable's name.
type Problems []string

func (p Problems) Error() string {
	return "configuration: " + strings.Join(p, "; ")
}

// missing names each required variable that is unset or blank.
func (c *Config) missing() Problems {
	var p Problems
	value := map[string]string{
		"SLACK_APP_TOKEN":       string(c.SlackAppToken),
		"SLACK_BOT_TOKEN":       string(c.SlackBotToken),
		"ATLAS_PUBLIC_API_KEY":  string(c.AtlasPublicKey),
		"ATLAS_PRIVATE_API_KEY": string(c.AtlasPrivateKey),
	}
	for _, name := range required {
		if strings.TrimSpace(value[name]) == "" {
			p = append(p, name+": missing or empty")
		}
	}
	if strings.TrimSpace(c.AppsRaw) == "" && strings.TrimSpace(c.ClustersRaw) == "" {
		p = append(p, "SYNC_APPS: missing or empty (set it, SYNC_CLUSTERS, or both)")
	}
	return p
}

// normalize checks and tidies what read could read; the variables in
// unread were already reported.
func (c *Config) normalize(unread map[string]bool) Problems {
	var p Problems
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
	if strings.TrimSpace(c.AppsRaw) != "" {
		apps, err := ParseApps(c.AppsRaw)
		var ap Problems
		if errors.As(err, &ap) {
			p = append(p, ap...) // one prefix, not "configuration: configuration: …"
		} else if err != nil {
			p = append(p, err.Error())
		}
		c.Apps = apps
	}
	p = append(p, c.normalizeClusters()...)
	for _, d := range []struct {
		name string
		val  time.Duration
	}{{"SYNC_APPROVAL_TTL", c.ApprovalTTL}, {"SYNC_ADMIN_TIMEOUT", c.AdminTimeout}, {"SYNC_REMINDER_INTERVAL", c.ReminderInterval}, {"SYNC_CLUSTER_WAIT", c.ClusterWait}} {
		if !unread[d.name] && d.val <= 0 {
			p = append(p, d.name+" must be positive")
		}
	}
	if !unread["SYNC_ADMIN_CONCURRENCY"] && c.AdminConcurrency < 1 {
		p = append(p, "SYNC_ADMIN_CONCURRENCY must be at least 1")
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
	return p
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
