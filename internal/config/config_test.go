package config_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/syncbot/syncbot/internal/config"
)

const (
	group = "5b2ec991973129243223a114"
	appID = "64b7f0c2a1b2c3d4e5f60718"
)

func setValid(t *testing.T) {
	t.Helper()
	t.Setenv("SLACK_APP_TOKEN", "xapp-1-SECRETAPPTOKEN")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-SECRETBOTTOKEN")
	t.Setenv("ATLAS_PUBLIC_API_KEY", "PUBKEYSECRET")
	t.Setenv("ATLAS_PRIVATE_API_KEY", "PRIVKEY-0000-SECRET")
	t.Setenv("SYNC_APPS", "prod:"+group+"/"+appID+", Staging:"+group+"/myapp-abcde")
}

func TestLoadDefaults(t *testing.T) {
	setValid(t)
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.SlackAPIURL != "https://slack.com/api/" || c.AdminAPIURL != "https://services.cloud.mongodb.com/api/admin/v3.0" {
		t.Errorf("urls: %q %q", c.SlackAPIURL, c.AdminAPIURL)
	}
	// The still-paused reminder comes well inside a 12-hour oplog window.
	if c.ApprovalTTL != 15*time.Minute || c.AdminTimeout != 15*time.Second || c.ReminderInterval != 6*time.Hour || c.SnapshotMaxAge != 30*24*time.Hour {
		t.Errorf("durations: %v %v %v %v", c.ApprovalTTL, c.AdminTimeout, c.ReminderInterval, c.SnapshotMaxAge)
	}
	if c.DataDir != "./data" || c.HTTPAddr != ":8080" || c.LogFormat != "json" || c.AdminConcurrency != 16 || c.SlackCommand != "/sync" {
		t.Errorf("defaults: %+v", c)
	}
	want := []config.App{
		{Alias: "prod", GroupID: group, AppID: appID},
		{Alias: "staging", GroupID: group, ClientAppID: "myapp-abcde"},
	}
	if d := cmp.Diff(want, c.Apps); d != "" {
		t.Errorf("apps (-want +got):\n%s", d)
	}
}

func TestLoadURLsGetOneSlashEach(t *testing.T) {
	setValid(t)
	t.Setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
	t.Setenv("ATLAS_ADMIN_API_URL", "http://127.0.0.1:9/api/admin/v3.0/")
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.SlackAPIURL != "http://127.0.0.1:9/api/" {
		t.Errorf("SlackAPIURL = %q", c.SlackAPIURL)
	}
	if c.AdminAPIURL != "http://127.0.0.1:9/api/admin/v3.0" {
		t.Errorf("AdminAPIURL = %q", c.AdminAPIURL)
	}
}

func TestLoadReportsEveryMissingVariableAtOnce(t *testing.T) {
	for _, v := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "ATLAS_PUBLIC_API_KEY", "ATLAS_PRIVATE_API_KEY", "SYNC_APPS"} {
		t.Setenv(v, "") // set but empty counts as missing
	}
	_, err := config.Load()
	if err == nil {
		t.Fatal("no error")
	}
	for _, v := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "ATLAS_PUBLIC_API_KEY", "ATLAS_PRIVATE_API_KEY", "SYNC_APPS"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error does not name %s: %v", v, err)
		}
	}
}

func TestLoadRejectsBadValuesWithoutSecrets(t *testing.T) {
	setValid(t)
	t.Setenv("SLACK_APP_TOKEN", "xoxb-SWAPPEDSECRET")
	t.Setenv("SYNC_LOG_FORMAT", "yaml")
	t.Setenv("SYNC_ADMIN_CONCURRENCY", "0")
	t.Setenv("SYNC_APPROVERS", "U123ABC, bob")
	t.Setenv("SYNC_DATABASE_URL", "mysql://root:DBPASSWORD@h/db")
	_, err := config.Load()
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"SLACK_APP_TOKEN must be an app-level token", "SYNC_LOG_FORMAT", "SYNC_ADMIN_CONCURRENCY", `"bob"`, "SYNC_DATABASE_URL"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
	for _, secret := range []string{"SWAPPEDSECRET", "DBPASSWORD", "SECRETBOTTOKEN", "PRIVKEY"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error leaks %s: %s", secret, msg)
		}
	}
}

func TestParseApps(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []config.App
		wantErr string
	}{
		{name: "one", in: "web:" + group + "/" + appID, want: []config.App{{Alias: "web", GroupID: group, AppID: appID}}},
		{name: "spaces and case", in: " Web : " + strings.ToUpper(group) + " / " + appID + " ,api:" + group + "/api-xyz",
			want: []config.App{{Alias: "web", GroupID: group, AppID: appID}, {Alias: "api", GroupID: group, ClientAppID: "api-xyz"}}},
		{name: "duplicate alias", in: "web:" + group + "/" + appID + ",WEB:" + group + "/x-1", wantErr: `alias "web" is used twice`},
		{name: "no colon", in: "web", wantErr: `SYNC_APPS entry "web": want alias:GROUP_ID/APP_ID`},
		{name: "no slash", in: "web:" + group, wantErr: "want alias:GROUP_ID/APP_ID"},
		{name: "empty alias", in: ":" + group + "/" + appID, wantErr: "the alias is empty"},
		{name: "empty group", in: "web:/" + appID, wantErr: "GROUP_ID (project id) is empty"},
		{name: "empty app", in: "web:" + group + "/", wantErr: "APP_ID is empty"},
		{name: "bad group", in: "web:123/" + appID, wantErr: "GROUP_ID must be 24 hex digits"},
		{name: "bad app", in: "web:" + group + "/not an id!", wantErr: "APP_ID must be"},
		{name: "stray comma", in: "web:" + group + "/" + appID + ",", wantErr: "empty entry"},
		{name: "reserved", in: "help:" + group + "/" + appID, wantErr: "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := config.ParseApps(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "SYNC_APPS") {
					t.Errorf("error does not name SYNC_APPS: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	setValid(t)
	t.Setenv("SYNC_DATABASE_URL", "postgres://u:DBPASSWORD@h/db")
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("cfg", "config", c, "token", c.SlackBotToken)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("cfg", "config", c, "key", c.AtlasPrivateKey)
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Join([]string{
		fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c),
		fmt.Sprintf("%s %q %x", c.SlackAppToken, c.SlackAppToken, c.SlackAppToken),
		logs.String(), string(js),
	}, "\n")
	for _, secret := range []string{"SECRETAPPTOKEN", "SECRETBOTTOKEN", "PUBKEYSECRET", "PRIVKEY-0000-SECRET", "DBPASSWORD"} {
		if strings.Contains(out, secret) {
			t.Errorf("%s printed:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "[redacted]") {
		t.Error("no [redacted] marker printed")
	}
	if c.SlackAppToken.Reveal() != "xapp-1-SECRETAPPTOKEN" {
		t.Error("Reveal does not return the value")
	}
}

func TestLoadWhoMayDoWhat(t *testing.T) {
	setValid(t)
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Operators != nil || c.Breakglass != nil || c.Channels != nil || c.Approvers != nil || c.SlackTeamID != "" || c.SlackAppID != "" {
		t.Errorf("authorisation is on by default: %+v", c)
	}

	t.Setenv("SYNC_APPROVERS", " UCAROL, SONCALL ,, UCAROL")
	t.Setenv("SYNC_OPERATORS", "UALICE,UBOB,WENT")
	t.Setenv("SYNC_BREAKGLASS", "UALICE")
	t.Setenv("SYNC_CHANNELS", "COPS, GPRIVATE")
	t.Setenv("SYNC_SLACK_TEAM_ID", " T0123ABC ")
	t.Setenv("SYNC_SLACK_APP_ID", "A0SYNCBOT")
	c, err = config.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{
		cmp.Diff([]string{"UCAROL", "SONCALL"}, c.Approvers),
		cmp.Diff([]string{"UALICE", "UBOB", "WENT"}, c.Operators),
		cmp.Diff([]string{"UALICE"}, c.Breakglass),
		cmp.Diff([]string{"COPS", "GPRIVATE"}, c.Channels),
		cmp.Diff("T0123ABC", c.SlackTeamID),
		cmp.Diff("A0SYNCBOT", c.SlackAppID),
	} {
		if d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	}

	// With a group in SYNC_OPERATORS, a break-glass user may be in it.
	t.Setenv("SYNC_OPERATORS", "SONCALL")
	t.Setenv("SYNC_BREAKGLASS", "UERIN")
	if _, err := config.Load(); err != nil {
		t.Errorf("break-glass user who may be in an operator group: %v", err)
	}
}

func TestLoadReportsEveryAuthorisationProblemAtOnce(t *testing.T) {
	setValid(t)
	t.Setenv("SYNC_APPROVERS", "alice")
	t.Setenv("SYNC_OPERATORS", "UALICE,@bob")
	t.Setenv("SYNC_BREAKGLASS", "UERIN")
	t.Setenv("SYNC_CHANNELS", "#ops")
	t.Setenv("SYNC_SLACK_TEAM_ID", "acme")
	t.Setenv("SYNC_SLACK_APP_ID", "syncbot")
	t.Setenv("SYNC_LOG_FORMAT", "yaml")
	_, err := config.Load()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`SYNC_APPROVERS: "alice" is not a Slack user ID (U… or W…) or user group ID (S…)`,
		`SYNC_OPERATORS: "@bob" is not a Slack user ID`,
		`SYNC_BREAKGLASS: UERIN is not in SYNC_OPERATORS, so they could not use break-glass`,
		`SYNC_CHANNELS: "#ops" is not a Slack channel ID (C… or G…, from the channel's details; not its name)`,
		`SYNC_SLACK_TEAM_ID: "acme" is not a Slack workspace ID (T…)`,
		`SYNC_SLACK_APP_ID: "syncbot" is not a Slack app ID (A…)`,
		"SYNC_LOG_FORMAT",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
}

// TestLoadReportsEveryProblemInItsOwnLine pins the whole list Load returns:
// a value that does not parse is one line in the bot's words, reported with
// every missing variable and every other problem, never with a secret.
func TestLoadReportsEveryProblemInItsOwnLine(t *testing.T) {
	missing := config.Problems{
		"SLACK_APP_TOKEN: missing or empty", "SLACK_BOT_TOKEN: missing or empty",
		"ATLAS_PUBLIC_API_KEY: missing or empty", "ATLAS_PRIVATE_API_KEY: missing or empty",
		"SYNC_APPS: missing or empty (set it, SYNC_CLUSTERS, or both)",
	}
	tests := []struct {
		name  string
		valid bool // start from a valid environment, else from nothing
		env   map[string]string
		want  config.Problems
	}{
		{name: "nothing set", want: missing},
		{
			name: "a bad duration does not hide the missing tokens",
			env:  map[string]string{"SYNC_APPROVAL_TTL": "soon"},
			want: append(slices.Clone(missing), `SYNC_APPROVAL_TTL: "soon" is not a duration (e.g. 15m, 1h)`),
		},
		{
			name:  "every unparsable value at once, none also called not positive",
			valid: true,
			env: map[string]string{
				"SYNC_APPROVAL_TTL":      "soon",
				"SYNC_ADMIN_TIMEOUT":     "10", // no unit
				"SYNC_REMINDER_INTERVAL": "1d",
				"SYNC_ADMIN_CONCURRENCY": "many",
				"SYNC_LOG_FORMAT":        "yaml",
			},
			want: config.Problems{
				`SYNC_APPROVAL_TTL: "soon" is not a duration (e.g. 15m, 1h)`,
				`SYNC_ADMIN_CONCURRENCY: "many" is not a whole number`,
				`SYNC_ADMIN_TIMEOUT: "10" is not a duration (e.g. 15m, 1h)`,
				`SYNC_REMINDER_INTERVAL: "1d" is not a duration (e.g. 15m, 1h)`,
				`SYNC_LOG_FORMAT must be json or text (got "yaml")`,
			},
		},
		{
			name:  "parsable but out of range",
			valid: true,
			env:   map[string]string{"SYNC_APPROVAL_TTL": "-1m", "SYNC_ADMIN_CONCURRENCY": "0"},
			want:  config.Problems{"SYNC_APPROVAL_TTL must be positive", "SYNC_ADMIN_CONCURRENCY must be at least 1"},
		},
		{
			name:  "SYNC_APPS problems are lines of their own",
			valid: true,
			env:   map[string]string{"SYNC_APPS": "prod:nothex/app,", "SYNC_ADMIN_TIMEOUT": "later"},
			want: config.Problems{
				`SYNC_ADMIN_TIMEOUT: "later" is not a duration (e.g. 15m, 1h)`,
				`SYNC_APPS entry "prod:nothex/app": the GROUP_ID must be 24 hex digits`,
				"SYNC_APPS has an empty entry (a stray comma?)",
			},
		},
		{
			name:  "blank SYNC_APPS is missing, not an empty entry",
			valid: true,
			env:   map[string]string{"SYNC_APPS": "  "},
			want:  config.Problems{"SYNC_APPS: missing or empty (set it, SYNC_CLUSTERS, or both)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "ATLAS_PUBLIC_API_KEY", "ATLAS_PRIVATE_API_KEY", "SYNC_APPS"} {
				t.Setenv(v, "")
			}
			if tt.valid {
				setValid(t)
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := config.Load()
			var got config.Problems
			if !errors.As(err, &got) {
				t.Fatalf("Load = %v, want config.Problems", err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("problems (-want +got):\n%s", d)
			}
			msg := err.Error()
			if strings.Count(msg, "configuration:") != 1 || strings.Contains(msg, "envconfig") {
				t.Errorf("Error() = %q", msg)
			}
			for _, secret := range []string{"SECRETAPPTOKEN", "SECRETBOTTOKEN", "PUBKEYSECRET", "PRIVKEY"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error leaks %s: %s", secret, msg)
				}
			}
		})
	}
}

// TestUsageListsEveryVariable checks the --help table against Config's
// tags: every variable once, with its default or "required".
func TestUsageListsEveryVariable(t *testing.T) {
	var out strings.Builder
	if err := config.Usage(&out); err != nil {
		t.Fatal(err)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(l), " ")
		lines[name] = l
	}
	typ := reflect.TypeFor[config.Config]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		name := f.Tag.Get("envconfig")
		if name == "" {
			continue
		}
		l, ok := lines[name]
		delete(lines, name)
		switch {
		case !ok:
			t.Errorf("usage lacks %s:\n%s", name, out.String())
		case f.Tag.Get("desc") == "" || !strings.Contains(l, f.Tag.Get("desc")):
			t.Errorf("%s has no description: %q", name, l)
		case f.Tag.Get("default") != "" && !strings.HasSuffix(l, "(default "+f.Tag.Get("default")+")"):
			t.Errorf("%s does not show its default %q: %q", name, f.Tag.Get("default"), l)
		}
	}
	if len(lines) > 0 {
		t.Errorf("usage lines for no variable: %v", lines)
	}
	for _, want := range []string{"SLACK_APP_TOKEN", "SYNC_APPS", "SYNC_CLUSTERS"} {
		if !strings.Contains(out.String(), want) || !regexp.MustCompile(`(?m)^\s+`+want+`\s.*\(required[^)]*\)$`).MatchString(out.String()) {
			t.Errorf("%s is not marked required:\n%s", want, out.String())
		}
	}
	if !strings.Contains(out.String(), "SYNC_APPROVERS") || !regexp.MustCompile(`(?m)^\s+SYNC_APPROVERS\s.*\(default empty\)$`).MatchString(out.String()) {
		t.Errorf("SYNC_APPROVERS does not say its default is empty:\n%s", out.String())
	}
}
