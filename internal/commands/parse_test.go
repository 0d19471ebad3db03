package commands_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/syncbot/syncbot/internal/commands"
)

var apps = []string{"prod", "staging"}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    commands.Command
		wantErr string
	}{
		{name: "empty is help", in: "  ", want: commands.Command{Verb: commands.Help}},
		{name: "help", in: "HELP", want: commands.Command{Verb: commands.Help}},
		{name: "status", in: "status prod", want: commands.Command{Verb: commands.Status, App: "prod"}},
		{name: "case and spaces", in: "  StAtUs    PROD  ", want: commands.Command{Verb: commands.Status, App: "prod"}},
		{name: "pause without reason", in: "pause staging", want: commands.Command{Verb: commands.Pause, App: "staging"}},
		{name: "pause with reason", in: "pause prod  cluster   upgrade at 3am", want: commands.Command{Verb: commands.Pause, App: "prod", Reason: "cluster upgrade at 3am"}},
		{name: "resume", in: "resume prod", want: commands.Command{Verb: commands.Resume, App: "prod"}},
		{name: "enable", in: "enable prod", want: commands.Command{Verb: commands.Resume, App: "prod"}},
		{name: "re-enable", in: "Re-Enable prod", want: commands.Command{Verb: commands.Resume, App: "prod"}},
		{name: "terminate", in: "terminate prod oplog rolled over", want: commands.Command{Verb: commands.Terminate, App: "prod", Reason: "oplog rolled over"}},
		{name: "html unescaped once", in: "pause prod a &amp;&amp; b &lt;!channel&gt; &amp;amp;", want: commands.Command{Verb: commands.Pause, App: "prod", Reason: "a && b <!channel> &amp;"}},
		{name: "control characters removed", in: "pause prod a\x00b\tc\x1b[31m", want: commands.Command{Verb: commands.Pause, App: "prod", Reason: "ab c[31m"}},
		{name: "history all", in: "history", want: commands.Command{Verb: commands.History}},
		{name: "history app", in: "history PROD", want: commands.Command{Verb: commands.History, App: "prod"}},
		{name: "pending", in: "pending", want: commands.Command{Verb: commands.Pending}},
		{name: "pending app", in: "pending PROD", want: commands.Command{Verb: commands.Pending, App: "prod"}},
		{name: "pending unknown app", in: "pending nope", wantErr: "`/sync pending` takes at most an app name"},
		{name: "pending extra words", in: "pending prod now", wantErr: "`/sync pending` takes at most an app name"},
		{name: "format characters removed", in: "terminate prod evil\u202egnp.exe zero\u200bwidth\ufeff \u2066isolate\u2069", want: commands.Command{Verb: commands.Terminate, App: "prod", Reason: "evilgnp.exe zerowidth isolate"}},
		{name: "cancel", in: "cancel T-42", want: commands.Command{Verb: commands.Cancel, RequestID: 42}},
		{name: "cancel lower", in: "cancel t-7", want: commands.Command{Verb: commands.Cancel, RequestID: 7}},
		{name: "cancel bare number", in: "cancel 9", want: commands.Command{Verb: commands.Cancel, RequestID: 9}},
		{name: "unknown verb", in: "destroy prod", wantErr: "I don't know the command `destroy`"},
		{name: "app first", in: "prod pause", wantErr: "Say what to do with `prod` first"},
		{name: "unknown app lists known", in: "pause prd", wantErr: "I don't know an app called `prd`. Known apps: `prod`, `staging`."},
		{name: "missing app", in: "pause", wantErr: "Which app? `/sync pause &lt;app&gt;`. Known apps: `prod`, `staging`."},
		{name: "terminate needs reason", in: "terminate prod", wantErr: "Terminate needs a reason that approvers will read: `/sync terminate prod &lt;reason…&gt;`."},
		{name: "terminate blank reason", in: "terminate prod \x00 ", wantErr: "Terminate needs a reason"},
		{name: "status takes no reason", in: "status prod now", wantErr: "takes only an app name"},
		{name: "reason too long", in: "pause prod " + strings.Repeat("x", 501), wantErr: "501 characters"},
		{name: "cancel without id", in: "cancel", wantErr: "Which request?"},
		{name: "cancel bad id", in: "cancel T-x", wantErr: "Which request?"},
		{name: "cancel zero", in: "cancel 0", wantErr: "Which request?"},
		{name: "break-glass", in: "terminate prod --break-glass clients corrupt data", want: commands.Command{Verb: commands.Terminate, App: "prod", Reason: "clients corrupt data", BreakGlass: true}},
		{name: "break-glass before the app", in: "terminate --Break-Glass PROD clients corrupt data", want: commands.Command{Verb: commands.Terminate, App: "prod", Reason: "clients corrupt data", BreakGlass: true}},
		{name: "break-glass with a typographic dash", in: "terminate prod —break-glass it burns", want: commands.Command{Verb: commands.Terminate, App: "prod", Reason: "it burns", BreakGlass: true}},
		{name: "break-glass later in the reason is text", in: "terminate prod see --break-glass docs", want: commands.Command{Verb: commands.Terminate, App: "prod", Reason: "see --break-glass docs"}},
		{name: "break-glass needs a reason", in: "terminate prod --break-glass \x00", wantErr: "Break-glass needs a reason: it is announced in the channel and reviewed afterwards. `/sync terminate prod --break-glass &lt;reason…&gt;`."},
		{name: "break-glass needs an app", in: "terminate --break-glass", wantErr: "Which app? `/sync terminate &lt;app&gt; --break-glass &lt;reason…&gt;`."},
		{name: "break-glass only for terminate", in: "pause prod --break-glass now", wantErr: "`--break-glass` is only for terminate"},
		{name: "ack", in: "ack T-7", want: commands.Command{Verb: commands.Ack, RequestID: 7}},
		{name: "acknowledge", in: "Acknowledge t-7", want: commands.Command{Verb: commands.Ack, RequestID: 7}},
		{name: "ack without id", in: "ack", wantErr: "Which break-glass operation? `/sync ack T-42`"},
		{name: "unknown verb echoed inert", in: "&lt;!channel&gt;", wantErr: "I don't know the command `&lt;!channel&gt;`. Try `/sync help`."},
		{name: "unknown verb with a backtick", in: "a`<@U1>`b", wantErr: "I don't know the command `a'&lt;@U1&gt;'b`."},
		{name: "unknown app echoed inert", in: "pause &lt;http://evil|prod&gt;", wantErr: "I don't know an app called `&lt;http://evil|prod&gt;`. Known apps:"},
		{name: "unknown app with an ampersand", in: "status a&amp;b", wantErr: "I don't know an app called `a&amp;b`."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := commands.Parse(tt.in, apps, "/sync")
			if tt.wantErr != "" {
				var ue *commands.UsageError
				if !errors.As(err, &ue) || !strings.Contains(ue.Msg, tt.wantErr) {
					t.Fatalf("err = %v, want a UsageError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func ExampleParse() {
	cmd, _ := commands.Parse("Terminate PROD oplog rolled &amp; clients stuck", []string{"prod"}, "/sync")
	fmt.Printf("%s %s: %s\n", cmd.Verb, cmd.App, cmd.Reason)
	_, err := commands.Parse("pause web", []string{"prod", "staging"}, "/sync")
	fmt.Println(err)
	// Output:
	// terminate prod: oplog rolled & clients stuck
	// I don't know an app called `web`. Known apps: `prod`, `staging`.
}

func TestParseSaved(t *testing.T) {
	cmd, err := commands.Parse("resume prod --saved", []string{"prod"}, "/sync")
	if err != nil || !cmd.Saved || cmd.Verb != commands.Resume || cmd.Reason != "" {
		t.Errorf("resume prod --saved = %+v, %v", cmd, err)
	}
	if _, err := commands.Parse("pause prod --saved", []string{"prod"}, "/sync"); err == nil || !strings.Contains(err.Error(), "only for resume") {
		t.Errorf("pause --saved: %v", err)
	}
}
