package deploytest

import (
	"bufio"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dockerIgnore is a .dockerignore read the way docker build reads it:
// patterns are anchored at the context's root, ** spans directories, a
// pattern that matches a directory excludes all beneath it, and the last
// matching line wins (! re-includes).
type dockerIgnore []struct {
	re     *regexp.Regexp
	negate bool
}

func readDockerIgnore(path string) (dockerIgnore, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var d dockerIgnore
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		negate := strings.HasPrefix(line, "!")
		line = filepath.ToSlash(filepath.Clean(strings.TrimPrefix(strings.TrimPrefix(line, "!"), "/")))
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(line); i++ {
			switch c := line[i]; {
			case strings.HasPrefix(line[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(line[i:], "**"):
				re.WriteString(".*")
				i++
			case c == '*':
				re.WriteString("[^/]*")
			case c == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString("$")
		d = append(d, struct {
			re     *regexp.Regexp
			negate bool
		}{regexp.MustCompile(re.String()), negate})
	}
	return d, sc.Err()
}

// excludes reports whether path (slash-separated, from the context root)
// stays out of the build context.
func (d dockerIgnore) excludes(path string) bool {
	out := false
	for _, p := range d {
		for prefix := path; ; {
			if p.re.MatchString(prefix) {
				out = !p.negate
				break
			}
			i := strings.LastIndex(prefix, "/")
			if i < 0 {
				break
			}
			prefix = prefix[:i]
		}
	}
	return out
}

func TestDockerIgnoreMatcher(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("# c\n.git\n/data\n**/*.env\n!keep/a.env\nbot\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := readDockerIgnore(filepath.Join(dir, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{
		".git/HEAD": true, "data": true, "data/x.db": true, "sub/data/x.db": false,
		"a.env": true, "deploy/x.env": true, "deploy/x.env.example": false, "keep/a.env": false,
		"bot": true, "cmd/bot/main.go": false, "go.mod": false,
	} {
		if got := d.excludes(path); got != want {
			t.Errorf("excludes(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestDockerIgnoreKeepsSecretsOutAndSourcesIn: COPY . . must not send the
// history, a local store or filled-in settings to the builder, and must
// still send everything the release build compiles or embeds.
func TestDockerIgnoreKeepsSecretsOutAndSourcesIn(t *testing.T) {
	root := repoRoot(t)
	d, err := readDockerIgnore(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatalf("the build context needs a .dockerignore: %v", err)
	}
	for _, path := range []string{
		".git/HEAD", ".git/objects/ab/cdef",
		"data/syncbot.db", "data/LOCK", "internal/app/data/syncbot.db",
		"deploy/syncbot.env", "deploy/.env", "syncbot.env", ".env",
		"cmd/bot/bot.test", "syncbot", "bot", "cover.out",
	} {
		if !d.excludes(path) {
			t.Errorf(".dockerignore lets %s into the build context", path)
		}
	}
	for _, path := range []string{"go.mod", "go.sum", "Dockerfile", "deploy/syncbot.env.example"} {
		if d.excludes(path) {
			t.Errorf(".dockerignore leaves out %s", path)
		}
	}
	err = filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if e.IsDir() {
			if rel == ".git" || rel == "data" {
				return filepath.SkipDir
			}
			return nil
		}
		top, _, _ := strings.Cut(rel, "/")
		source := (top == "cmd" || top == "internal") && !strings.HasSuffix(rel, "_test.go") && !strings.Contains(rel, "/testdata/")
		if source && d.excludes(rel) {
			t.Errorf(".dockerignore leaves out %s, which the build may need", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReadmeDockerRunWorksAsWritten: every `docker run` in the README
// names an env file that exists or that an earlier `cp` creates from one
// that does, and publishes the port the image exposes and the bot listens
// on by default, on the host's loopback.
func TestReadmeDockerRunWorksAsWritten(t *testing.T) {
	root := repoRoot(t)
	f := readFacts(t)
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, port, err := net.SplitHostPort(f.vars["SYNC_HTTP_ADDR"].def)
	if err != nil {
		t.Fatalf("SYNC_HTTP_ADDR default: %v", err)
	}
	if df, _ := os.ReadFile(filepath.Join(root, "Dockerfile")); !strings.Contains(string(df), "EXPOSE "+port) {
		t.Errorf("the Dockerfile does not EXPOSE %s", port)
	}
	created := map[string]bool{}
	runs := 0
	for _, cmd := range shellLines(string(b)) {
		args := strings.Fields(cmd)
		switch {
		case len(args) >= 3 && args[0] == "cp":
			if _, err := os.Stat(filepath.Join(root, args[1])); err != nil {
				t.Errorf("README: %s copies a file that does not exist", cmd)
			}
			created[args[2]] = true
		case len(args) >= 2 && args[0] == "docker" && args[1] == "run":
			runs++
			envFile, publish := "", ""
			for i := 2; i < len(args)-1; i++ {
				switch args[i] {
				case "--env-file":
					envFile = args[i+1]
				case "-p", "--publish":
					publish = args[i+1]
				}
			}
			if envFile == "" {
				t.Errorf("README: %s names no --env-file", cmd)
			} else if _, err := os.Stat(filepath.Join(root, envFile)); err != nil && !created[envFile] {
				t.Errorf("README: %s names %s, which neither exists nor is copied before", cmd, envFile)
			}
			isCheck := args[len(args)-1] == "check"
			if !isCheck && publish != "127.0.0.1:"+port+":"+port {
				t.Errorf("README: %s publishes %q, want 127.0.0.1:%s:%s (/readyz reachable, from this host only)", cmd, publish, port, port)
			}
		}
	}
	if runs == 0 {
		t.Error("the README has no docker run command")
	}
	for file := range created {
		if d, err := readDockerIgnore(filepath.Join(root, ".dockerignore")); err != nil || !d.excludes(file) {
			t.Errorf("%s (your settings) would be sent to docker build", file)
		}
	}
}

// shellLines returns the commands in the text's sh code blocks, with
// continuation lines joined and comments dropped; indented blocks (in a
// list) count too.
func shellLines(text string) []string {
	var out []string
	in, cont := false, ""
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			in = !in && strings.TrimPrefix(trimmed, "```") == "sh"
			continue
		}
		if !in {
			continue
		}
		if i := strings.Index(trimmed, " #"); i >= 0 {
			trimmed = strings.TrimSpace(trimmed[:i])
		}
		if strings.HasSuffix(trimmed, "\\") {
			cont += strings.TrimSuffix(trimmed, "\\") + " "
			continue
		}
		if cmd := strings.TrimSpace(cont + trimmed); cmd != "" && !strings.HasPrefix(cmd, "#") {
			out = append(out, cmd)
		}
		cont = ""
	}
	return out
}
