// Package messages renders every Slack message syncbot sends: its Block Kit
// blocks and its plain-text fallback, built from values alone. It does no
// I/O. The slash command's name is an input (Book), so an install under
// another name says its own command in every hint.
package messages

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/approval"
)

// Message is a Slack message: a plain-text fallback (notifications, screen
// readers) next to its Block Kit blocks.
type Message struct {
	Text   string
	Blocks []slack.Block
	// ThreadTS, when set, posts the message as a reply in that thread.
	ThreadTS string
}

// Book renders messages for one install of syncbot.
type Book struct {
	// Command is the slash command people type, e.g. /sync or
	// /sync-staging: every hint names it.
	Command string
	// hideReasons leaves reasons out of lists (WithoutReasons).
	hideReasons bool
}

// WithoutReasons is b for answers given outside the channels where
// changes are asked for (SYNC_CHANNELS): lists leave the reasons out,
// which may name customers or incidents.
func (b Book) WithoutReasons() Book {
	b.hideReasons = true
	return b
}

// New returns the Book of the install answering command ("" is /sync).
func New(command string) Book {
	if command == "" {
		command = "/sync"
	}
	return Book{Command: command}
}

// typed is a command to type, as inline code: typed("resume", "prod") is
// `/sync resume prod`. Its words come from syncbot or SYNC_* settings,
// never from what a user typed.
func (b Book) typed(words ...string) string {
	return "`" + strings.Join(append([]string{b.Command}, words...), " ") + "`"
}

// Action ids on the approval card's buttons.
const (
	ActionApprove = "approve"
	ActionDeny    = "deny"
	blockDecision = "decision"
)

// OpName is how people write an operation's id: T-42. Every operation has
// one, shown on its message and in history, so no number goes missing.
func OpName(id int64) string { return "T-" + strconv.FormatInt(id, 10) }

// Escape makes user text inert in mrkdwn: <!channel>, <@U…> and
// <http://evil|Approve> show as typed. Slack escapes these three and nothing
// else; the parser unescaped them once, so this is the only escape.
func Escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// When renders t in each reader's own time zone, with a UTC fallback.
func When(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// Mention shows a user, or a user group (S…), by name; the IDs come from
// Slack or SYNC_* lists, never from text a user typed.
func Mention(user string) string {
	switch {
	case user == "" || user == "syncbot":
		return "syncbot"
	case approval.IsGroup(user):
		return "<!subteam^" + user + ">"
	}
	return "<@" + user + ">"
}

// Mentions shows several users or groups.
func Mentions(users []string) string {
	m := make([]string, len(users))
	for i, u := range users {
		m[i] = Mention(u)
	}
	return strings.Join(m, ", ")
}

// StateWords shows the Admin API's word and the plain one together.
func StateWords(state string) string {
	switch state {
	case adminapi.StateEnabled:
		return "`enabled` (running)"
	case adminapi.StateDisabled:
		return "`disabled` (paused)"
	case adminapi.StateTerminated:
		return "terminated (`\"\"`)"
	}
	return "`" + Escape(state) + "`"
}

// PlainState is a sync state in plain words.
func PlainState(state string) string {
	switch state {
	case adminapi.StateEnabled:
		return "running"
	case adminapi.StateDisabled:
		return "paused"
	case adminapi.StateTerminated:
		return "terminated"
	}
	return state
}

// KindWords names a sync kind the way people say it.
func KindWords(kind string) string {
	switch kind {
	case adminapi.KindFlexible:
		return "Flexible Sync"
	case adminapi.KindPartition:
		return "Partition-Based Sync"
	}
	return kind
}

// Ago says how long d is, in the words of a status line.
func Ago(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 24*time.Hour:
		if m := int(d.Minutes()) % 60; m > 0 {
			return fmt.Sprintf("%d h %d min", int(d.Hours()), m)
		}
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h > 0 {
		return fmt.Sprintf("%s %d h", plural(days, "day"), h)
	}
	return plural(days, "day")
}

// Clip cuts s to n characters, marking the cut.
func Clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// List shows aliases as inline code, comma separated.
func List(apps []string) string {
	if len(apps) == 0 {
		return "none configured"
	}
	q := make([]string, len(apps))
	for i, a := range apps {
		q[i] = "`" + a + "`"
	}
	return strings.Join(q, ", ")
}

// Text is a message of one mrkdwn section, its fallback the same words.
func Text(md string) Message { return Message{Text: md, Blocks: []slack.Block{section(md)}} }

func section(md string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, md, false, false), nil, nil)
}

func fields(md ...string) *slack.SectionBlock {
	fs := make([]*slack.TextBlockObject, 0, len(md))
	for _, m := range md {
		fs = append(fs, slack.NewTextBlockObject(slack.MarkdownType, m, false, false))
	}
	return slack.NewSectionBlock(nil, fs, nil)
}

func note(md ...string) *slack.ContextBlock {
	els := make([]slack.MixedElement, 0, len(md))
	for _, m := range md {
		els = append(els, slack.NewTextBlockObject(slack.MarkdownType, m, false, false))
	}
	return slack.NewContextBlock("", els...)
}

// sections puts one entry per section: Slack caps a section at 3000
// characters, and 15 entries with reasons would pass that.
func sections(lines []string) []slack.Block {
	b := make([]slack.Block, len(lines))
	for i, l := range lines {
		b[i] = section(l)
	}
	return b
}

func channelList(ids []string) string {
	m := make([]string, len(ids))
	for i, id := range ids {
		m[i] = "<#" + id + ">"
	}
	return strings.Join(m, " or ")
}
