package messages_test

import (
	"encoding/json"
	"fmt"
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
			withinLimits(t, "message", m)
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

// FuzzListsWithinLimits: whatever the reasons and however many requests,
// reviews and operations there are, pending and history are messages
// Slack accepts, and they say how many rows they left out.
func FuzzListsWithinLimits(f *testing.F) {
	f.Add(strings.Repeat("&", 500), uint8(49), uint8(3), uint8(15))
	f.Add(strings.Repeat("<", 500), uint8(0), uint8(60), uint8(40))
	f.Add("`code` &amp; <@U1>", uint8(200), uint8(200), uint8(200))
	f.Fuzz(func(t *testing.T, raw string, nPending, nReviews, nHistory uint8) {
		cmd, err := commands.Parse("terminate prod "+raw, []string{"prod"}, "/sync")
		if err != nil {
			return
		}
		// Up to 63 rows each: well past every limit, and cheap enough to fuzz.
		pending, reviews, history := manyOps(int(nPending%64), store.Pending), manyOps(int(nReviews%64), store.Succeeded), manyOps(int(nHistory%64), store.Succeeded)
		for _, ops := range [][]store.Op{pending, reviews, history} {
			for i := range ops {
				ops[i].Reason, ops[i].Outcome = cmd.Reason, "ended with `"+cmd.Reason+"`"
			}
		}
		for _, b := range []messages.Book{book, book.WithoutReasons()} {
			p := b.Pending(pending, reviews, t0)
			h := b.History("", history)
			withinLimits(t, "pending", p)
			withinLimits(t, "history", h)
			for _, c := range []struct {
				m         messages.Message
				rows, max int
			}{{p, len(pending), 20}, {p, len(reviews), 20}, {h, len(history), 15}} {
				if c.rows > c.max && !strings.Contains(readable(t, c.m), fmt.Sprintf("…and %d more", c.rows-c.max)) {
					t.Errorf("%d rows, %d shown, and no \"…and %d more\": %s", c.rows, c.max, c.rows-c.max, readable(t, c.m))
				}
			}
		}
	})
}

// readable is m's blocks as JSON text.
func readable(t *testing.T, m messages.Message) string {
	t.Helper()
	b, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
