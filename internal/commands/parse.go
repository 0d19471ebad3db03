// Package commands parses the text of a /sync command into a Command. It is
// pure: no I/O, no rendering beyond the usage error it returns, which names
// the install's own slash command.
package commands

import (
	"fmt"
	"html"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/syncbot/syncbot/internal/messages"
)

// Verb is what a /sync command asks for.
type Verb string

const (
	Help      Verb = "help"
	Status    Verb = "status"
	Pause     Verb = "pause"
	Resume    Verb = "resume"
	Terminate Verb = "terminate"
	History   Verb = "history"
	Pending   Verb = "pending"
	Cancel    Verb = "cancel"
	Ack       Verb = "ack"

	// The cluster verbs: /sync cluster status|pause|resume <alias>.
	ClusterStatus Verb = "cluster-status"
	ClusterPause  Verb = "cluster-pause"
	ClusterResume Verb = "cluster-resume"
	// Triggers lists an app's Atlas Triggers; Trigger changes one
	// (Command.Action).
	Triggers Verb = "triggers"
	Trigger  Verb = "trigger"
)

// Trigger actions.
const (
	TriggerDisable = "disable"
	TriggerEnable  = "enable"
	TriggerResume  = "resume"
)

// MaxReason caps a reason so that a pasted log cannot flood the channel.
const MaxReason = 500

// Command is one parsed /sync command.
type Command struct {
	Verb      Verb
	App       string // alias, lower case; empty for help, pending, history of all
	Reason    string // free text as typed (unescaped, control characters removed)
	RequestID int64  // cancel's and ack's T-<n>
	// BreakGlass: terminate --break-glass, run without approval.
	BreakGlass bool
	// Saved: resume --saved, re-send a saved configuration syncbot has
	// doubts about (see the service's resume).
	Saved bool
	// Action (TriggerDisable, TriggerEnable, TriggerResume) and the
	// trigger's name as typed, for Verb Trigger; SkipMissed: resume
	// --skip-missed, without the missed events (needs approval).
	Action, TriggerName string
	SkipMissed          bool
}

// UsageError is a /sync text that cannot be run; Msg is written for the
// person who typed it (mrkdwn) and nothing has changed.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// usage is a UsageError; {cmd} in format stands for the slash command.
func usage(slash, format string, a ...any) error {
	// The name goes into the format, not the result: a user's own words,
	// quoted back in a, are never rewritten.
	return &UsageError{Msg: fmt.Sprintf(strings.ReplaceAll(format, "{cmd}", strings.ReplaceAll(slash, "%", "%%")), a...)}
}

var verbs = map[string]Verb{
	"help": Help, "?": Help,
	"status": Status, "state": Status,
	"pause": Pause, "disable": Pause,
	"resume": Resume, "enable": Resume, "re-enable": Resume, "reenable": Resume, "unpause": Resume,
	"terminate": Terminate,
	"history":   History, "log": History,
	"pending": Pending,
	"cancel":  Cancel, "withdraw": Cancel,
	"ack": Ack, "acknowledge": Ack,
	"triggers": Triggers,
	"trigger":  Trigger,
}

// Parse reads /sync text as Slack delivers it (HTML-escaped). apps are the
// known aliases; slash is the command people type ("" is /sync), named in
// usage errors. Verbs and aliases are case-insensitive; extra spaces are
// fine. A *UsageError says what to type instead.
func Parse(text string, apps []string, slash string) (Command, error) {
	return ParseWith(text, apps, nil, slash)
}

// ParseWith is Parse with the cluster aliases of SYNC_CLUSTERS too: a
// cluster command takes an app's alias (its cluster) or a cluster's.
func ParseWith(text string, apps, clusters []string, slash string) (Command, error) {
	if slash == "" {
		slash = "/sync"
	}
	c := slash
	text = strings.TrimSpace(html.UnescapeString(text))
	if text == "" {
		return Command{Verb: Help}, nil
	}
	word, rest := cutWord(text)
	if strings.ToLower(word) == "cluster" {
		return parseCluster(rest, apps, clusters, c)
	}
	verb, ok := verbs[strings.ToLower(word)]
	if !ok {
		if slices.Contains(apps, strings.ToLower(word)) {
			return Command{}, usage(c, "Say what to do with `%s` first, e.g. `{cmd} status %s`.", strings.ToLower(word), strings.ToLower(word))
		}
		return Command{}, usage(c, "I don't know the command `%s`. Try `{cmd} help`.", echo(word, 40))
	}
	cmd := Command{Verb: verb}
	switch verb {
	case Help:
		return cmd, nil
	case Pending:
		// An optional app narrows a list too long for one message.
		app, after := cutWord(rest)
		if app == "" {
			return cmd, nil
		}
		app = strings.ToLower(app)
		if !slices.Contains(apps, app) || after != "" {
			return Command{}, usage(c, "`{cmd} pending` takes at most an app name: `{cmd} pending &lt;app&gt;`. Known apps: %s.", messages.List(apps))
		}
		cmd.App = app
		return cmd, nil
	case History:
		if rest == "" {
			return cmd, nil
		}
		fallthrough
	case Status, Pause, Resume, Terminate:
		app, after := cutWord(rest)
		if verb == Terminate && isBreakGlass(app) { // terminate --break-glass prod …
			cmd.BreakGlass = true
			app, after = cutWord(after)
		}
		if app == "" {
			if cmd.BreakGlass {
				return Command{}, usage(c, "Which app? `{cmd} terminate &lt;app&gt; --break-glass &lt;reason…&gt;`. Known apps: %s.", messages.List(apps))
			}
			return Command{}, usage(c, "Which app? `{cmd} %s &lt;app&gt;`. Known apps: %s.", verb, messages.List(apps))
		}
		app = strings.ToLower(app)
		if slices.Contains(clusters, app) && !slices.Contains(apps, app) {
			return Command{}, usage(c, "`%s` is a cluster: `{cmd} cluster %s %s`.", app, clusterVerb(verb), app)
		}
		if !slices.Contains(apps, app) {
			return Command{}, usage(c, "I don't know an app called `%s`. Known apps: %s.", echo(app, 40), messages.List(apps))
		}
		cmd.App = app
		if flag, rest := cutWord(after); isBreakGlass(flag) {
			if verb != Terminate {
				return Command{}, usage(c, "`--break-glass` is only for terminate: `{cmd} terminate %s --break-glass &lt;reason…&gt;`.", app)
			}
			cmd.BreakGlass, after = true, rest
		}
		if flag, rest := cutWord(after); isFlag(flag, "saved") {
			if verb != Resume {
				return Command{}, usage(c, "`--saved` is only for resume: `{cmd} resume %s --saved`.", app)
			}
			cmd.Saved, after = true, rest
		}
		cmd.Reason = cleanReason(after)
		if cmd.BreakGlass && cmd.Reason == "" {
			return Command{}, usage(c, "Break-glass needs a reason: it is announced in the channel and reviewed afterwards. `{cmd} terminate %s --break-glass &lt;reason…&gt;`.", app)
		}
		if verb == Terminate && cmd.Reason == "" {
			return Command{}, usage(c, "Terminate needs a reason that approvers will read: `{cmd} terminate %s &lt;reason…&gt;`.", app)
		}
		if (verb == Status || verb == Resume || verb == History) && cmd.Reason != "" {
			return Command{}, usage(c, "`{cmd} %s` takes only an app name: `{cmd} %s %s`.", verb, verb, app)
		}
		if len([]rune(cmd.Reason)) > MaxReason {
			return Command{}, usage(c, "That reason is %d characters long; keep it under %d.", len([]rune(cmd.Reason)), MaxReason)
		}
		return cmd, nil
	case Triggers, Trigger:
		return parseTrigger(c, cmd, rest, apps)
	case Cancel:
		id, after := cutWord(rest)
		n, ok := ParseRequestID(id)
		if !ok || after != "" {
			return Command{}, usage(c, "Which request? `{cmd} cancel T-42` (`{cmd} pending` lists them).")
		}
		cmd.RequestID = n
		return cmd, nil
	case Ack:
		id, after := cutWord(rest)
		n, ok := ParseRequestID(id)
		if !ok || after != "" {
			return Command{}, usage(c, "Which break-glass operation? `{cmd} ack T-42` (`{cmd} pending` lists those waiting for review).")
		}
		cmd.RequestID = n
		return cmd, nil
	}
	return Command{}, usage(c, "Try `{cmd} help`.")
}

// parseTrigger reads what follows triggers or trigger:
//
//	triggers <app>
//	trigger disable <app> <trigger> <reason…>
//	trigger enable  <app> <trigger>
//	trigger resume  <app> <trigger> [--skip-missed <reason…>]
//
// The trigger's name is matched against the app's triggers by the service.
func parseTrigger(c string, cmd Command, rest string, apps []string) (Command, error) {
	const forms = "`{cmd} trigger disable &lt;app&gt; &lt;trigger&gt; &lt;reason…&gt;`, `{cmd} trigger enable &lt;app&gt; &lt;trigger&gt;` or `{cmd} trigger resume &lt;app&gt; &lt;trigger&gt; [--skip-missed &lt;reason…&gt;]`"
	if cmd.Verb == Trigger {
		action, after := cutWord(rest)
		switch a := strings.ToLower(action); a {
		case TriggerDisable, TriggerEnable, TriggerResume:
			cmd.Action, rest = a, after
		default:
			return Command{}, usage(c, "What should happen to the trigger? "+forms+" (`{cmd} triggers &lt;app&gt;` lists them).")
		}
	}
	app, after := cutWord(rest)
	app = strings.ToLower(app)
	switch {
	case app == "" && cmd.Verb == Triggers:
		return Command{}, usage(c, "Which app? `{cmd} triggers &lt;app&gt;`. Known apps: %s.", messages.List(apps))
	case app == "":
		return Command{}, usage(c, "Which app? `{cmd} trigger %s &lt;app&gt; &lt;trigger&gt;`. Known apps: %s.", cmd.Action, messages.List(apps))
	case !slices.Contains(apps, app):
		return Command{}, usage(c, "I don't know an app called `%s`. Known apps: %s.", echo(app, 40), messages.List(apps))
	}
	cmd.App = app
	if cmd.Verb == Triggers {
		if after != "" {
			return Command{}, usage(c, "`{cmd} triggers` takes only an app name: `{cmd} triggers %s`.", app)
		}
		return cmd, nil
	}
	name, after := cutWord(after)
	if name == "" || isSkipMissed(name) {
		return Command{}, usage(c, "Which trigger? `{cmd} trigger %s %s &lt;trigger&gt;` (`{cmd} triggers %s` lists them).", cmd.Action, app, app)
	}
	cmd.TriggerName = name
	if flag, reason := cutWord(after); isSkipMissed(flag) {
		if cmd.Action != TriggerResume {
			return Command{}, usage(c, "`--skip-missed` is only for resume: `{cmd} trigger resume %s %s --skip-missed &lt;reason…&gt;`.", app, echo(name, 60))
		}
		cmd.SkipMissed, after = true, reason
	}
	cmd.Reason = cleanReason(after)
	switch {
	case cmd.SkipMissed && cmd.Reason == "":
		return Command{}, usage(c, "Resuming without the missed events loses them for good and needs a reason that approvers will read: `{cmd} trigger resume %s %s --skip-missed &lt;reason…&gt;`.", app, echo(name, 60))
	case cmd.Action == TriggerDisable && cmd.Reason == "":
		return Command{}, usage(c, "Disabling a trigger needs a reason the channel will read: `{cmd} trigger disable %s %s &lt;reason…&gt;`.", app, echo(name, 60))
	case cmd.Action != TriggerDisable && !cmd.SkipMissed && cmd.Reason != "":
		return Command{}, usage(c, "`{cmd} trigger %s` takes only an app and a trigger: `{cmd} trigger %s %s %s`.", cmd.Action, cmd.Action, app, echo(name, 60))
	case len([]rune(cmd.Reason)) > MaxReason:
		return Command{}, usage(c, "That reason is %d characters long; keep it under %d.", len([]rune(cmd.Reason)), MaxReason)
	}
	return cmd, nil
}

// isSkipMissed reports whether word is the --skip-missed flag (an em dash
// for "--" counts, as for --break-glass).
func isSkipMissed(word string) bool {
	rest := strings.TrimLeft(word, "-—–")
	if rest == word {
		return false
	}
	switch strings.ToLower(rest) {
	case "skip-missed", "skipmissed":
		return true
	}
	return false
}

// ParseRequestID reads an operation id as people write it: T-42, t-42,
// #42 or 42.
func ParseRequestID(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.ToUpper(s), "#"), "T-")
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

func cutWord(s string) (word, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// cleanReason drops control characters (a NUL or an escape sequence has no
// business in a channel) and format characters (Unicode Cf: a bidi
// override makes text read backwards, a zero-width space hides a word
// from a reader's search) and folds runs of white space.
func cleanReason(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			if unicode.IsSpace(r) {
				return ' '
			}
			return -1
		}
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// isBreakGlass reports whether word is the --break-glass flag.
func isBreakGlass(word string) bool { return isFlag(word, "break-glass") || isFlag(word, "breakglass") }

// isFlag reports whether word is the flag --name. Phones and macOS turn a
// typed "--" into a dash, so "—name" counts too.
func isFlag(word, name string) bool {
	rest := strings.TrimLeft(word, "-—–")
	return rest != word && strings.EqualFold(rest, name)
}

// echo is a word the user typed, quoted back in a usage message: clipped,
// with backticks (which would end the code span) made quotes, and escaped
// once for mrkdwn.
func echo(s string, n int) string {
	return messages.Escape(strings.ReplaceAll(messages.Clip(s, n), "`", "'"))
}
