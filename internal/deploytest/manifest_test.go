// Package deploytest checks the files syncbot ships for deployment: no
// container engine or Slack workspace is reachable here, so their content is
// parsed and checked instead.
package deploytest

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/syncbot/syncbot/internal/commands"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func TestSlackManifest(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "manifest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			SlashCommands []struct {
				Command   string `yaml:"command"`
				UsageHint string `yaml:"usage_hint"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Interactivity struct {
				Enabled bool `yaml:"is_enabled"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest.yaml: %v", err)
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/sync" {
		t.Errorf("slash commands = %+v", m.Features.SlashCommands)
	}
	// usergroups:read: the approver, operator and break-glass lists accept
	// user groups, looked up with usergroups.users.list.
	for _, s := range []string{"commands", "chat:write", "chat:write.public", "usergroups:read"} {
		if !slices.Contains(m.OAuth.Scopes.Bot, s) {
			t.Errorf("scope %s missing", s)
		}
	}
	if len(m.OAuth.Scopes.Bot) != 4 {
		t.Errorf("scopes beyond what syncbot needs: %v", m.OAuth.Scopes.Bot)
	}
	if len(m.Features.SlashCommands) == 1 {
		// The hint is what people see as they type: every verb, and that
		// terminate needs a reason.
		hint := m.Features.SlashCommands[0].UsageHint
		for _, v := range []commands.Verb{commands.Help, commands.Status, commands.Pause, commands.Resume, commands.Terminate,
			commands.History, commands.Pending, commands.Cancel, commands.Ack} {
			if !strings.Contains(hint, string(v)) {
				t.Errorf("usage_hint %q lacks %s", hint, v)
			}
		}
		if !strings.Contains(hint, "terminate <app> [--break-glass] <reason") {
			t.Errorf("usage_hint %q does not show that terminate needs a reason", hint)
		}
	}
	if !m.Settings.SocketMode || !m.Settings.Interactivity.Enabled {
		t.Errorf("socket mode %v, interactivity %v", m.Settings.SocketMode, m.Settings.Interactivity.Enabled)
	}
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	d := string(b)
	download, copyAll := strings.Index(d, "go mod download"), strings.Index(d, "COPY . .")
	if download < 0 || copyAll < 0 || download > copyAll {
		t.Error("go mod download must come before COPY . . (layer caching)")
	}
	for _, want := range []string{"CGO_ENABLED=0", "distroless/static", ":nonroot", "USER nonroot", `ENTRYPOINT ["/syncbot"]`,
		"-X main.version=${VERSION}", "-X main.commit=${COMMIT}"} {
		if !strings.Contains(d, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}
