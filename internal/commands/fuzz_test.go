package commands_test

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/syncbot/syncbot/internal/commands"
)

// FuzzParse: no text panics the parser; what it accepts is well formed.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "help", "status prod", "pause prod a &amp; b", "terminate prod &lt;!channel&gt;",
		"resume STAGING", "cancel T-42", "history", "pause prod \x00\x1b[31m", "pause prod \u202eevil\u200b", "terminate prod " + strings.Repeat("x", 600)} {
		f.Add(s)
	}
	known := []commands.Verb{commands.Help, commands.Status, commands.Pause, commands.Resume, commands.Terminate, commands.History, commands.Pending, commands.Cancel}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, err := commands.Parse(text, []string{"prod", "staging"}, "/sync")
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
		if strings.ContainsFunc(cmd.Reason, func(r rune) bool { return unicode.Is(unicode.Cf, r) }) {
			t.Fatalf("format character in reason %q", cmd.Reason)
		}
		if cmd.Verb == commands.Terminate && strings.TrimSpace(cmd.Reason) == "" {
			t.Fatal("terminate without a reason accepted")
		}
	})
}
