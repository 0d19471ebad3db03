package blocklimits_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/syncbot/syncbot/internal/blocklimits"
)

func plain(s string) map[string]any { return map[string]any{"type": "plain_text", "text": s} }
func md(s string) map[string]any    { return map[string]any{"type": "mrkdwn", "text": s} }

func button(f func(map[string]any)) map[string]any {
	b := map[string]any{"type": "button", "action_id": "approve", "value": "T-1", "text": plain("Approve"),
		"confirm": map[string]any{"title": plain("Sure?"), "text": plain("It deletes history."), "confirm": plain("Yes"), "deny": plain("No")}}
	if f != nil {
		f(b)
	}
	return b
}

func TestValidate(t *testing.T) {
	x := strings.Repeat
	section := func(text string) map[string]any { return map[string]any{"type": "section", "text": md(text)} }
	fields := func(n, size int) map[string]any {
		fs := make([]any, n)
		for i := range fs {
			fs[i] = md(x("a", size))
		}
		return map[string]any{"type": "section", "fields": fs}
	}
	actions := func(els ...any) map[string]any {
		return map[string]any{"type": "actions", "block_id": "decision", "elements": els}
	}
	many := func(n int, b map[string]any) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = b
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		text   string
		blocks []any
		want   string // a problem's words, "" for valid
		code   string
	}{
		{name: "valid", text: "hi", blocks: []any{section("hi"), fields(10, 2000), map[string]any{"type": "divider"},
			map[string]any{"type": "context", "elements": many(10, md("n"))}, actions(button(nil)), map[string]any{"type": "header", "text": plain(x("h", 150))}}},
		{name: "text only", text: x("é", 4000)},
		{name: "50 blocks", blocks: many(50, section("a"))},
		{name: "51 blocks", blocks: many(51, section("a")), want: "51 blocks, more than 50"},
		{name: "text too long", text: x("a", 4001), want: "4001 characters, more than 4000", code: blocklimits.MsgTooLong},
		{name: "section text 3001", blocks: []any{section(x("a", 3001))}, want: "blocks[0].text.text: 3001 characters"},
		{name: "empty section text", blocks: []any{section("")}, want: "blocks[0].text.text: 0 characters"},
		{name: "section with neither", blocks: []any{map[string]any{"type": "section"}}, want: "needs text or fields"},
		{name: "field 2001", blocks: []any{fields(1, 2001)}, want: "blocks[0].fields[0].text: 2001 characters"},
		{name: "11 fields", blocks: []any{fields(11, 1)}, want: "11 fields"},
		{name: "header 151", blocks: []any{map[string]any{"type": "header", "text": plain(x("h", 151))}}, want: "151 characters"},
		{name: "header mrkdwn", blocks: []any{map[string]any{"type": "header", "text": md("h")}}, want: "must be plain_text"},
		{name: "11 context elements", blocks: []any{map[string]any{"type": "context", "elements": many(11, md("n"))}}, want: "11 elements"},
		{name: "button text 76", blocks: []any{actions(button(func(b map[string]any) { b["text"] = plain(x("b", 76)) }))}, want: "text.text: 76 characters"},
		{name: "button text mrkdwn", blocks: []any{actions(button(func(b map[string]any) { b["text"] = md("b") }))}, want: "must be plain_text"},
		{name: "action_id 256", blocks: []any{actions(button(func(b map[string]any) { b["action_id"] = x("a", 256) }))}, want: "action_id: 256 characters"},
		{name: "value 2001", blocks: []any{actions(button(func(b map[string]any) { b["value"] = x("v", 2001) }))}, want: "value: 2001 characters"},
		{name: "button style", blocks: []any{actions(button(func(b map[string]any) { b["style"] = "red" }))}, want: "neither primary nor danger"},
		{name: "confirm text mrkdwn", blocks: []any{actions(button(func(b map[string]any) { b["confirm"].(map[string]any)["text"] = md("*sure*") }))}, want: "confirm.text.type: must be plain_text"},
		{name: "confirm title 101", blocks: []any{actions(button(func(b map[string]any) { b["confirm"].(map[string]any)["title"] = plain(x("t", 101)) }))}, want: "confirm.title.text: 101"},
		{name: "confirm text 301", blocks: []any{actions(button(func(b map[string]any) { b["confirm"].(map[string]any)["text"] = plain(x("t", 301)) }))}, want: "confirm.text.text: 301"},
		{name: "confirm button 31", blocks: []any{actions(button(func(b map[string]any) { b["confirm"].(map[string]any)["deny"] = plain(x("d", 31)) }))}, want: "confirm.deny.text: 31"},
		{name: "emoji on mrkdwn", blocks: []any{map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": "a", "emoji": true}}}, want: "only plain_text takes emoji"},
		{name: "block_id twice", blocks: []any{actions(button(nil)), actions(button(nil))}, want: "used twice"},
		{name: "unknown block", blocks: []any{map[string]any{"type": "video"}}, want: `block type "video"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var raw json.RawMessage
			if tc.blocks != nil {
				raw, _ = json.Marshal(tc.blocks)
			}
			err := blocklimits.Validate(tc.text, raw)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want valid", err)
				}
				return
			}
			var e *blocklimits.Error
			if !errors.As(err, &e) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want a problem saying %q", err, tc.want)
			}
			code := tc.code
			if code == "" {
				code = blocklimits.InvalidBlocks
			}
			if e.Code != code {
				t.Errorf("code = %s, want %s", e.Code, code)
			}
		})
	}
}
