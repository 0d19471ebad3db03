package commands

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/slack-go/slack"
)

func TestRenameCommand(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"`/sync status prod`", "`/sync-staging status prod`"},
		{"/sync", "/sync-staging"},
		{"Try /sync. Or `/sync help`", "Try /sync-staging. Or `/sync-staging help`"},
		{"/sync /sync", "/sync-staging /sync-staging"},
		{"(/sync ack T-7)", "(/sync-staging ack T-7)"},
		{"/sync-staging and /syncx and a/sync and /sync_b and https://x.io/sync", "/sync-staging and /syncx and a/sync and /sync_b and https://x.io/sync"},
		{"no command here", "no command here"},
	} {
		if got := renameCommand(tt.in, "/sync-staging"); got != tt.want {
			t.Errorf("renameCommand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := renameCommand("`/sync help`", "/sync"); got != "`/sync help`" {
		t.Errorf("renaming to /sync changed %q", got)
	}
}

// Every message syncbot sends (its golden files) survives the rename
// whole: only the command changes, in the text and in every block.
func TestRenamedMessagesChangeOnlyTheCommand(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.golden.json"))
	if err != nil || len(files) < 20 {
		t.Fatalf("golden files: %d, %v", len(files), err)
	}
	stale := regexp.MustCompile("/sync([^-a-z]|$)")
	renamedSome := 0
	for _, path := range files {
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var g struct {
			Text   string       `json:"text"`
			Blocks slack.Blocks `json:"blocks"`
		}
		if err := json.Unmarshal(want, &g); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		m := renamed{to: "/sync-staging"}.message(Message{Text: g.Text, Blocks: g.Blocks.BlockSet})
		got, err := json.MarshalIndent(struct {
			Text   string `json:"text"`
			Blocks any    `json:"blocks"`
		}{m.Text, m.Blocks}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		if loc := stale.FindIndex(got); loc != nil {
			t.Errorf("%s: still says /sync: …%s…", path, got[max(0, loc[0]-40):loc[1]])
		}
		if !bytes.Equal(bytes.ReplaceAll(got, []byte("/sync-staging"), []byte("/sync")), want) {
			t.Errorf("%s: the rename changed more than the command:\n%s", path, got)
		}
		if bytes.Contains(want, []byte("/sync")) {
			renamedSome++
		}
	}
	if renamedSome < 10 {
		t.Errorf("only %d golden messages mention /sync; the test checks little", renamedSome)
	}
}
