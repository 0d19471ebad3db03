package deploytest

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/slackbot"
)

// codeFacts is what the manifests are checked against, read from the code
// so that the two cannot drift apart.
type codeFacts struct {
	// vars are the environment variables the bot reads, from the envconfig
	// tags of config.Config.
	vars map[string]configVar
	// served are the path patterns the bot's HTTP handlers are registered
	// on, in the packages linked into cmd/bot.
	served []string
	// metricsLinked says whether cmd/bot links promhttp, i.e. whether it
	// serves Prometheus metrics at all yet.
	metricsLinked bool
	// drain is how long the bot lets in-flight work finish after SIGTERM.
	drain time.Duration
	// imageUser is the uid the Dockerfile's USER runs as, and imageEnv
	// the variables its ENV sets.
	imageUser int
	imageEnv  map[string]string
}

// configVar is one field of config.Config.
type configVar struct {
	name   string // the environment variable
	goType string // as written in the source: string, Secret, time.Duration, []string…
	def    string // the default tag, if any
}

// secret reports whether the variable holds a token, key or database URL.
func (v configVar) secret() bool { return v.goType == "Secret" }

// goRuntimeVars are read by the Go runtime rather than by config.Config; a
// Deployment may set them (GOMEMLIMIT from the memory limit, say).
var goRuntimeVars = map[string]bool{
	"GOMEMLIMIT": true, "GOGC": true, "GOMAXPROCS": true, "GODEBUG": true, "GOTRACEBACK": true,
}

var (
	factsOnce sync.Once
	facts     *codeFacts
	factsErr  error
)

// readFacts reads the code facts once per test binary.
func readFacts(t *testing.T) *codeFacts {
	t.Helper()
	root := repoRoot(t)
	factsOnce.Do(func() {
		f := &codeFacts{drain: slackbot.DefaultDrainTimeout}
		if f.imageUser, f.imageEnv, factsErr = readDockerfile(filepath.Join(root, "Dockerfile")); factsErr != nil {
			return
		}
		if f.vars, factsErr = readConfigVars(filepath.Join(root, "internal", "config", "config.go")); factsErr != nil {
			return
		}
		f.served, f.metricsLinked, factsErr = readServedPaths(root)
		facts = f
	})
	if factsErr != nil {
		t.Fatal(factsErr)
	}
	return facts
}

// readDockerfile reads the uid of the Dockerfile's last USER instruction
// and its ENV KEY=value settings. distroless names its non-root user
// "nonroot": uid 65532.
func readDockerfile(path string) (int, map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, err
	}
	user, env := "", map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && strings.EqualFold(f[0], "USER"):
			user, _, _ = strings.Cut(f[1], ":")
		case len(f) >= 2 && strings.EqualFold(f[0], "FROM"):
			user, env = "", map[string]string{} // a new stage starts afresh
		case len(f) >= 2 && strings.EqualFold(f[0], "ENV"):
			for _, kv := range f[1:] {
				if k, v, ok := strings.Cut(kv, "="); ok {
					env[k] = v
				}
			}
		}
	}
	switch user {
	case "nonroot":
		return 65532, env, nil
	case "":
		return 0, nil, fmt.Errorf("%s: no USER: the image would run as root", path)
	}
	uid, err := strconv.Atoi(user)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: USER %s is neither nonroot nor a uid", path, user)
	}
	return uid, env, nil
}

// readConfigVars parses config.go and reads the envconfig tag of every field
// of the Config struct, without reflection: the names come from the source.
func readConfigVars(path string) (map[string]configVar, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var st *ast.StructType
	ast.Inspect(file, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TypeSpec); ok && ts.Name.Name == "Config" {
			st, _ = ts.Type.(*ast.StructType)
			return false
		}
		return st == nil
	})
	if st == nil {
		return nil, fmt.Errorf("%s: no struct type Config", path)
	}
	vars := map[string]configVar{}
	for _, field := range st.Fields.List {
		var tag string
		if field.Tag != nil {
			if tag, err = strconv.Unquote(field.Tag.Value); err != nil {
				return nil, fmt.Errorf("%s: %w", fset.Position(field.Pos()), err)
			}
		}
		if v, _ := lookupTag(tag, "ignored"); v == "true" {
			continue
		}
		if len(field.Names) != 1 {
			// An embedded struct or `A, B string`: envconfig's naming rules
			// for those are not the plain tag this reader understands.
			return nil, fmt.Errorf("%s: a Config field this test cannot name; extend readConfigVars", fset.Position(field.Pos()))
		}
		name, ok := lookupTag(tag, "envconfig")
		if !ok {
			name = strings.ToUpper(field.Names[0].Name) // envconfig's fallback without a tag
		}
		def, _ := lookupTag(tag, "default")
		var typ bytes.Buffer
		if err := formatExpr(&typ, field.Type); err != nil {
			return nil, err
		}
		if _, dup := vars[name]; dup {
			return nil, fmt.Errorf("%s: %s named twice", path, name)
		}
		vars[name] = configVar{name: name, goType: typ.String(), def: def}
	}
	for _, must := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "SYNC_APPS", "SYNC_DATA_DIR", "SYNC_DATABASE_URL", "SYNC_HTTP_ADDR"} {
		if _, ok := vars[must]; !ok {
			return nil, fmt.Errorf("%s: %s not found; has the config moved?", path, must)
		}
	}
	return vars, nil
}

// lookupTag reads key:"value" from a struct tag, as reflect.StructTag.Lookup
// does, for the conventional tag syntax.
func lookupTag(tag, key string) (string, bool) {
	for tag != "" {
		tag = strings.TrimLeft(tag, " ")
		colon := strings.Index(tag, `:"`)
		if colon <= 0 {
			return "", false
		}
		name := tag[:colon]
		rest := tag[colon+1:]
		// Find the closing quote, skipping escaped ones.
		i := 1
		for i < len(rest) && rest[i] != '"' {
			if rest[i] == '\\' {
				i++
			}
			i++
		}
		if i >= len(rest) {
			return "", false
		}
		value, err := strconv.Unquote(rest[:i+1])
		if err != nil {
			return "", false
		}
		if name == key {
			return value, true
		}
		tag = rest[i+1:]
	}
	return "", false
}

// formatExpr writes a field type as it is written in the source.
func formatExpr(b *bytes.Buffer, e ast.Expr) error {
	switch e := e.(type) {
	case *ast.Ident:
		b.WriteString(e.Name)
	case *ast.SelectorExpr:
		if err := formatExpr(b, e.X); err != nil {
			return err
		}
		b.WriteString("." + e.Sel.Name)
	case *ast.ArrayType:
		b.WriteString("[]")
		return formatExpr(b, e.Elt)
	case *ast.StarExpr:
		b.WriteString("*")
		return formatExpr(b, e.X)
	case *ast.MapType:
		b.WriteString("map[")
		if err := formatExpr(b, e.Key); err != nil {
			return err
		}
		b.WriteString("]")
		return formatExpr(b, e.Value)
	default:
		return fmt.Errorf("unexpected field type %T in config.Config", e)
	}
	return nil
}

// readServedPaths lists the packages linked into cmd/bot (go list -deps),
// and in those of this module finds every Handle/HandleFunc call whose
// pattern is a string literal: "GET /healthz" → /healthz.
func readServedPaths(root string) (served []string, metricsLinked bool, err error) {
	cmd := exec.Command("go", "list", "-deps", "-f",
		`{{.ImportPath}}{{"\t"}}{{if .Module}}{{.Module.Main}}{{end}}{{"\t"}}{{.Dir}}{{"\t"}}{{join .GoFiles " "}}`,
		"./cmd/bot")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, false, fmt.Errorf("go list -deps ./cmd/bot: %v\n%s", err, stderr.String())
	}
	fset := token.NewFileSet()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.Split(line, "\t")
		if len(parts) != 4 {
			return nil, false, fmt.Errorf("go list: unexpected line %q", line)
		}
		importPath, mainModule, dir, files := parts[0], parts[1] == "true", parts[2], parts[3]
		if importPath == "github.com/prometheus/client_golang/prometheus/promhttp" {
			metricsLinked = true
		}
		if !mainModule {
			continue
		}
		for _, name := range strings.Fields(files) {
			f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				return nil, false, err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) < 2 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
					return true
				}
				lit, ok := call.Args[0].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				pattern, err := strconv.Unquote(lit.Value)
				if err != nil {
					return true
				}
				if p := patternPath(pattern); p != "" {
					served = append(served, p)
				}
				return true
			})
		}
	}
	if len(served) == 0 {
		return nil, false, fmt.Errorf("no HTTP handler found in the packages of cmd/bot")
	}
	return served, metricsLinked, nil
}

// patternPath returns the path part of a net/http ServeMux pattern:
// "GET /healthz" → "/healthz", "example.com/x/" → "/x/".
func patternPath(pattern string) string {
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = strings.TrimSpace(pattern[i+1:])
	}
	i := strings.IndexByte(pattern, '/')
	if i < 0 {
		return ""
	}
	return pattern[i:]
}

// isServed reports whether a request for path reaches a registered handler:
// an exact pattern, or a subtree pattern ending in "/".
func (f *codeFacts) isServed(path string) bool {
	for _, p := range f.served {
		if p == path || (strings.HasSuffix(p, "/") && !strings.HasSuffix(p, "{$}") && strings.HasPrefix(path, p)) {
			return true
		}
	}
	return false
}

// TestCodeFacts checks the readers above on the real code, so that a
// reader gone blind (no variables, no paths) fails here rather than making
// the manifest checks pass vacuously.
func TestCodeFacts(t *testing.T) {
	f := readFacts(t)
	if v := f.vars["SYNC_HTTP_ADDR"]; v.def != ":8080" || v.goType != "string" {
		t.Errorf("SYNC_HTTP_ADDR read as %+v", v)
	}
	if v := f.vars["SYNC_APPROVAL_TTL"]; v.goType != "time.Duration" {
		t.Errorf("SYNC_APPROVAL_TTL read as %+v", v)
	}
	if v := f.vars["SLACK_BOT_TOKEN"]; !v.secret() {
		t.Errorf("SLACK_BOT_TOKEN read as %+v, want a Secret", v)
	}
	if _, ok := f.vars["Apps"]; ok {
		t.Error(`the ignored:"true" field Apps was read as a variable`)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if !f.isServed(p) {
			t.Errorf("%s is not among the served paths %v", p, f.served)
		}
	}
	if f.isServed("/nope") {
		t.Errorf("/nope counted as served by %v", f.served)
	}
	if v, ok := lookupTag(`envconfig:"A_B" default:"x \"y\""`, "default"); !ok || v != `x "y"` {
		t.Errorf("lookupTag = %q, %v", v, ok)
	}
}
