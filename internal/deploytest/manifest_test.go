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
				Command string `yaml:"command"`
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
	for _, s := range []string{"commands", "chat:write", "chat:write.public"} {
		if !slices.Contains(m.OAuth.Scopes.Bot, s) {
			t.Errorf("scope %s missing", s)
		}
	}
	if len(m.OAuth.Scopes.Bot) != 3 {
		t.Errorf("scopes beyond what syncbot needs: %v", m.OAuth.Scopes.Bot)
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
