package commands

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/slack-go/slack"
)

// renamed is the Slack of an install that answers another slash command
// (SYNC_SLASH_COMMAND, e.g. /sync-staging). Messages are written with
// /sync; in a second install, "type /sync resume prod" would send the
// command to the other install, so every mention is renamed on its way
// out, in the text and in every string of the blocks.
type renamed struct {
	Slack
	to string
}

func (r renamed) Post(ctx context.Context, channel string, m Message) (string, error) {
	return r.Slack.Post(ctx, channel, r.message(m))
}

func (r renamed) Update(ctx context.Context, channel, ts string, m Message) error {
	return r.Slack.Update(ctx, channel, ts, r.message(m))
}

func (r renamed) Ephemeral(ctx context.Context, channel, user string, m Message) error {
	return r.Slack.Ephemeral(ctx, channel, user, r.message(m))
}

func (r renamed) Respond(ctx context.Context, responseURL string, m Message, inChannel bool) error {
	return r.Slack.Respond(ctx, responseURL, r.message(m), inChannel)
}

func (r renamed) message(m Message) Message {
	m.Text = renameCommand(m.Text, r.to)
	if len(m.Blocks) > 0 {
		if b, ok := renameBlocks(m.Blocks, r.to); ok {
			m.Blocks = b
		}
	}
	return m
}

// renameBlocks renames the command in every string of the blocks, through
// their JSON form, so no block type's text can be missed. It reports false
// (and the caller keeps the blocks as they were) if they do not survive
// the round trip.
func renameBlocks(blocks []slack.Block, to string) ([]slack.Block, bool) {
	b, err := json.Marshal(slack.Blocks{BlockSet: blocks})
	if err != nil {
		return nil, false
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		return nil, false
	}
	if b, err = json.Marshal(renameStrings(tree, to)); err != nil {
		return nil, false
	}
	var out slack.Blocks
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, false
	}
	return out.BlockSet, true
}

func renameStrings(v any, to string) any {
	switch v := v.(type) {
	case string:
		return renameCommand(v, to)
	case []any:
		for i := range v {
			v[i] = renameStrings(v[i], to)
		}
	case map[string]any:
		for k := range v {
			v[k] = renameStrings(v[k], to)
		}
	}
	return v
}

// renameCommand replaces the word /sync (not /sync-staging, not /syncx,
// not a path like a/sync) with to.
func renameCommand(s, to string) string {
	const from = "/sync"
	if to == from || !strings.Contains(s, from) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, from)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(from)
		whole := (i == 0 || !commandChar(s[i-1])) && (end == len(s) || !commandChar(s[end]))
		b.WriteString(s[:i])
		if whole {
			b.WriteString(to)
		} else {
			b.WriteString(from)
		}
		s = s[end:]
	}
}

func commandChar(c byte) bool {
	return c == '-' || c == '_' || c == '/' ||
		'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
