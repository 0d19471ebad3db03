package deploytest

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image           string   `yaml:"image"`
	Build           any      `yaml:"build"` // "dir" or {context, dockerfile}
	Profiles        []string `yaml:"profiles"`
	EnvFile         any      `yaml:"env_file"`    // "f", ["f"] or [{path: f}]
	Environment     any      `yaml:"environment"` // {K: v} or ["K=v"]
	Volumes         []any    `yaml:"volumes"`     // "src:dst[:mode]" or {source, target}
	Healthcheck     any      `yaml:"healthcheck"`
	ReadOnly        bool     `yaml:"read_only"`
	CapDrop         []string `yaml:"cap_drop"`
	StopGracePeriod string   `yaml:"stop_grace_period"`
	DependsOn       any      `yaml:"depends_on"` // [name] or {name: {...}}
}

const composeName = "compose.yaml"

// checkCompose checks deploy/compose.yaml: the default service runs the
// embedded store on a named volume; the profile "postgres" adds PostgreSQL
// and a second bot that uses it; no bot has a healthcheck (distroless has
// no shell to run one); every variable set is one the bot reads.
func checkCompose(tree *deployTree, f *codeFacts) problems {
	var p problems
	var cf composeFile
	found := false
	for _, d := range tree.docs {
		if d.file == composeName {
			found = true
			if err := d.decode(&cf); err != nil {
				p.add(composeName, "%v", err)
				return p
			}
		}
	}
	if !found {
		p.add(composeName, "missing")
		return p
	}
	var embedded, postgresBots, postgresDBs []string
	for _, name := range slices.Sorted(maps.Keys(cf.Services)) {
		s := cf.Services[name]
		where := composeName + " service " + name
		if strings.HasPrefix(s.Image, "postgres:") {
			if !strings.HasPrefix(s.Image, "postgres:16") {
				p.add(where, "image %s, want postgres:16", s.Image)
			}
			if !slices.Contains(s.Profiles, "postgres") {
				p.add(where, "PostgreSQL must be behind the profile postgres")
			}
			postgresDBs = append(postgresDBs, name)
			continue
		}
		if s.Build == nil && imageName(s.Image) != "syncbot" {
			continue // not a bot
		}
		env := composeEnv(s.Environment, where, &p)
		checkComposeBot(tree, where, s, env, cf, f, &p)
		if _, ok := env["SYNC_DATABASE_URL"]; ok {
			postgresBots = append(postgresBots, name)
			if !slices.Contains(s.Profiles, "postgres") {
				p.add(where, "uses PostgreSQL but is not behind the profile postgres: `docker compose up` would start two bots")
			}
			if !strings.HasPrefix(env["SYNC_DATABASE_URL"], "postgres://") {
				p.add(where, "SYNC_DATABASE_URL is not a postgres:// URL")
			}
			if !dependsOnAny(s.DependsOn, postgresDBNames(cf)) {
				p.add(where, "does not depend on the PostgreSQL service")
			}
			continue
		}
		embedded = append(embedded, name)
		if len(s.Profiles) > 0 {
			p.add(where, "the embedded-store bot is the default service: no profile")
		}
		dataDir := env["SYNC_DATA_DIR"]
		if dataDir == "" {
			dataDir = f.imageEnv["SYNC_DATA_DIR"]
		}
		if !mountsNamedVolume(s.Volumes, dataDir, cf.Volumes) {
			p.add(where, "no named volume (declared under volumes:) mounted at SYNC_DATA_DIR %q", dataDir)
		}
	}
	if len(embedded) != 1 {
		p.add(composeName, "%d embedded-store bots %v, want exactly one", len(embedded), embedded)
	}
	if len(postgresBots) == 0 {
		p.add(composeName, "no bot with SYNC_DATABASE_URL in the profile postgres")
	}
	if len(postgresDBs) == 0 {
		p.add(composeName, "no postgres:16 service")
	}
	p = append(p, checkEnvExample(tree, f)...)
	return p
}

func checkComposeBot(tree *deployTree, where string, s composeService, env map[string]string, cf composeFile, f *codeFacts, p *problems) {
	// Built from the repository's Dockerfile.
	ctx, dockerfile := "", "Dockerfile"
	switch b := s.Build.(type) {
	case string:
		ctx = b
	case map[string]any:
		ctx, _ = b["context"].(string)
		if d, ok := b["dockerfile"].(string); ok {
			dockerfile = d
		}
	}
	if ctx == "" {
		p.add(where, "not built from the repository (build: context)")
	} else if _, err := os.Stat(filepath.Join(tree.dir, filepath.FromSlash(ctx), filepath.FromSlash(dockerfile))); err != nil {
		p.add(where, "build %s/%s: %v", ctx, dockerfile, err)
	}
	if !slices.Contains(envFiles(s.EnvFile), "syncbot.env") {
		p.add(where, "env_file must be syncbot.env")
	}
	if s.Healthcheck != nil {
		p.add(where, "a healthcheck cannot run in the distroless image (no shell, no curl); check /readyz from outside")
	}
	if !s.ReadOnly {
		p.add(where, "read_only must be true")
	}
	if !slices.Contains(s.CapDrop, "ALL") {
		p.add(where, "cap_drop must include ALL")
	}
	if g, err := time.ParseDuration(s.StopGracePeriod); err != nil || g < f.drain+5*time.Second {
		p.add(where, "stop_grace_period %q must leave the bot's %v drain room (at least %v)", s.StopGracePeriod, f.drain, f.drain+5*time.Second)
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		cv, ok := f.vars[k]
		if !ok && !goRuntimeVars[k] {
			p.add(where, "%s is not a variable the bot reads (internal/config)", k)
		}
		if ok && cv.secret() && !strings.Contains(env[k], "${") {
			p.add(where, "%s is a secret: put it in syncbot.env or interpolate it, never a literal", k)
		}
	}
}

// composeEnv reads environment: as a map or a list of K=V.
func composeEnv(v any, where string, p *problems) map[string]string {
	env := map[string]string{}
	switch e := v.(type) {
	case nil:
	case map[string]any:
		for k, val := range e {
			if val == nil {
				env[k] = ""
			} else {
				env[k] = fmt.Sprint(val)
			}
		}
	case []any:
		for _, item := range e {
			s, _ := item.(string)
			k, val, _ := strings.Cut(s, "=")
			env[k] = val
		}
	default:
		p.add(where, "environment: unexpected %T", v)
	}
	return env
}

func envFiles(v any) []string {
	switch e := v.(type) {
	case string:
		return []string{e}
	case []any:
		var out []string
		for _, item := range e {
			switch i := item.(type) {
			case string:
				out = append(out, i)
			case map[string]any:
				if s, ok := i["path"].(string); ok {
					out = append(out, s)
				}
			}
		}
		return out
	}
	return nil
}

func postgresDBNames(cf composeFile) []string {
	var out []string
	for name, s := range cf.Services {
		if strings.HasPrefix(s.Image, "postgres:") {
			out = append(out, name)
		}
	}
	return out
}

func dependsOnAny(v any, names []string) bool {
	switch d := v.(type) {
	case []any:
		for _, n := range d {
			if s, ok := n.(string); ok && slices.Contains(names, s) {
				return true
			}
		}
	case map[string]any:
		for n := range d {
			if slices.Contains(names, n) {
				return true
			}
		}
	}
	return false
}

// mountsNamedVolume: a volume declared at the top level (not a bind mount)
// is mounted at target.
func mountsNamedVolume(mounts []any, target string, declared map[string]any) bool {
	if target == "" {
		return false
	}
	for _, m := range mounts {
		var src, dst string
		switch v := m.(type) {
		case string:
			parts := strings.Split(v, ":")
			if len(parts) < 2 {
				continue
			}
			src, dst = parts[0], parts[1]
		case map[string]any:
			if t, _ := v["type"].(string); t != "" && t != "volume" {
				continue
			}
			src, _ = v["source"].(string)
			dst, _ = v["target"].(string)
		}
		if _, ok := declared[src]; ok && path.Clean(dst) == path.Clean(target) {
			return true
		}
	}
	return false
}

// checkEnvExample: syncbot.env.example shows known variables with
// placeholder secrets, and the real syncbot.env is ignored by git.
func checkEnvExample(tree *deployTree, f *codeFacts) problems {
	var p problems
	const example = "syncbot.env.example"
	ignored, err := gitignored(filepath.Join(tree.dir, ".gitignore"))
	if err != nil {
		p.add(".gitignore", "%v", err)
	}
	for _, name := range []string{"syncbot.env", ".env"} {
		if !ignored[name] {
			p.add(".gitignore", "must list %s, which holds real settings", name)
		}
	}
	file, err := os.Open(filepath.Join(tree.dir, example))
	if err != nil {
		p.add(example, "%v", err)
		return p
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		where := fmt.Sprintf("%s:%d", example, n)
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			p.add(where, "not KEY=value")
			continue
		}
		cv, known := f.vars[k]
		switch {
		case !known:
			p.add(where, "%s is not a variable the bot reads (internal/config)", k)
		case k == "SYNC_DATABASE_URL":
			p.add(where, "SYNC_DATABASE_URL would switch the default service to PostgreSQL; the postgres profile sets it")
		case cv.secret() && !strings.Contains(v, placeholder):
			p.add(where, "%s must be a placeholder (%s)", k, placeholder)
		}
	}
	return p
}
