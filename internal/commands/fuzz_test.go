package commands_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/syncbot/syncbot/internal/commands"
	"github.com/syncbot/syncbot/internal/store"
)

// FuzzParse: no text panics the parser; what it accepts is well formed.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "help", "status prod", "pause prod a &amp; b", "terminate prod &lt;!channel&gt;",
		"resume STAGING", "cancel T-42", "history", "pause prod \x00\x1b[31m", "terminate prod " + strings.Repeat("x", 600)} {
		f.Add(s)
	}
	known := []commands.Verb{commands.Help, commands.Status, commands.Pause, commands.Resume, commands.Terminate, commands.History, commands.Pending, commands.Cancel}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, err := commands.Parse(text, []string{"prod", "staging"})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty usage message")
			}
			return
		}
		if !slices.Contains(known, cmd.Verb) {
			t.Fatalf("unknown verb %q", cmd.Verb)
		}
		if cmd.App != "" && cmd.App != "prod" && cmd.App != "staging" {
			t.Fatalf("unknown app %q accepted", cmd.App)
		}
		if utf8.RuneCountInString(cmd.Reason) > commands.MaxReason {
			t.Fatalf("reason of %d runes accepted", utf8.RuneCountInString(cmd.Reason))
		}
		if strings.ContainsFunc(cmd.Reason, unicode.IsControl) {
			t.Fatalf("control character in reason %q", cmd.Reason)
		}
		if cmd.Verb == commands.Terminate && strings.TrimSpace(cmd.Reason) == "" {
			t.Fatal("terminate without a reason accepted")
		}
	})
}

// FuzzRenderHostileReason: whatever the reason, every message that shows it
// is valid Block Kit within Slack's limits, and nothing of it is live
// mrkdwn (no <…> sequence survives to ping, link or mention).
func FuzzRenderHostileReason(f *testing.F) {
	for _, s := range []string{"<!channel>", "<http://evil|Approve>", "<@U123> & <#C1>", "&lt;!here&gt;", "*bold* _it_ `code`", strings.Repeat("<", 500)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		cmd, err := commands.Parse("terminate prod "+raw, []string{"prod"})
		if err != nil {
			return
		}
		op := baseOp(store.Terminate, store.Pending)
		op.Reason = cmd.Reason
		bg := op
		bg.BreakGlass, bg.State = true, store.Succeeded
		for _, m := range []commands.Message{
			commands.CardMessage(op, t0), commands.ChangeMessage(op), commands.HistoryMessage("prod", []store.Op{op}),
			commands.PausedReminder(op, t0), commands.BreakGlassMessage(bg, nil), commands.ReviewReminder(bg, nil, t0),
			commands.PendingMessage([]store.Op{op}, []store.Op{bg}, t0),
		} {
			b, err := json.Marshal(m.Blocks)
			if err != nil {
				t.Fatal(err)
			}
			var blocks []map[string]any
			if err := json.Unmarshal(b, &blocks); err != nil {
				t.Fatal(err)
			}
			if len(blocks) > 50 {
				t.Fatalf("%d blocks", len(blocks))
			}
			for _, bl := range blocks {
				txt, _ := bl["text"].(map[string]any)
				s, _ := txt["text"].(string)
				if utf8.RuneCountInString(s) > 3000 {
					t.Fatalf("section of %d characters", utf8.RuneCountInString(s))
				}
				for _, label := range []string{"*Reason:* ", "*Why (break-glass reason):* "} {
					if i := strings.Index(s, label); i >= 0 {
						shown := s[i+len(label):]
						if strings.ContainsAny(shown, "<>") {
							t.Fatalf("live mrkdwn from the reason: %q", shown)
						}
					}
				}
			}
		}
	})
}
