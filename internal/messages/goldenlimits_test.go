package messages_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/syncbot/syncbot/internal/blocklimits"
)

// Every golden file, whichever test wrote it (sync, triggers, clusters),
// is a message Slack would take.
func TestEveryGoldenFileWithinSlackLimits(t *testing.T) {
	files, err := filepath.Glob("testdata/*.golden.json")
	if err != nil || len(files) < 50 {
		t.Fatalf("%d golden files, %v", len(files), err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Text   string          `json:"text"`
			Blocks json.RawMessage `json:"blocks"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := blocklimits.Validate(m.Text, m.Blocks); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
