package messages_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/syncbot/syncbot/internal/commands"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
)

// FuzzRenderHostileReason: whatever the reason, every message that shows it
// is valid Block Kit within Slack's limits, and nothing of it is live
// mrkdwn (no <…> sequence survives to ping, link or mention).
func FuzzRenderHostileReason(f *testing.F) {
	for _, s := range []string{"<!channel>", "<http://evil|Approve>", "<@U123> & <#C1>", "&lt;!here&gt;", "*bold* _it_ `code`", strings.Repeat("<", 500)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		cmd, err := commands.Parse("terminate prod "+raw, []string{"prod"}, "/sync")
		if err != nil {
			return
		}
		op := baseOp(store.Terminate, store.Pending)
		op.Reason = cmd.Reason
		bg := op
		bg.BreakGlass, bg.State = true, store.Succeeded
		for _, m := range []messages.Message{
			book.Card(op, t0), book.Change(op), book.History("prod", []store.Op{op}),
			book.PausedReminder(op, t0), book.BreakGlass(bg, nil), book.ReviewReminder(bg, nil, t0),
			book.Pending([]store.Op{op}, []store.Op{bg}, t0),
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
