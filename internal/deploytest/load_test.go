package deploytest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// A deployTree is everything under one deploy/ directory: every file, and
// every document of every YAML file in it, parsed.
type deployTree struct {
	dir   string    // the deploy directory
	files []string  // every file, slash-separated and relative to dir
	docs  []yamlDoc // every non-empty document of every .yaml/.yml file
	// problems found while reading: YAML that does not parse, documents
	// without apiVersion/kind in the Kubernetes tree.
	problems []string
}

// yamlDoc is one document of one YAML file.
type yamlDoc struct {
	file  string // relative to the deploy directory
	index int    // 1-based position in the file
	node  *yaml.Node
	// Kubernetes identity, when the document has one.
	apiVersion, kind, name string
}

func (d yamlDoc) String() string {
	if d.kind != "" {
		return fmt.Sprintf("%s (%s %s)", d.file, d.kind, d.name)
	}
	return fmt.Sprintf("%s #%d", d.file, d.index)
}

// decode decodes the document into v, which is typically a struct that names
// only the fields a check looks at.
func (d yamlDoc) decode(v any) error {
	if err := d.node.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", d, err)
	}
	return nil
}

func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// loadDeploy reads every file under dir. Parse errors are problems, not a
// failure to load, so that one bad file does not hide the others.
//
// Files that deploy/.gitignore names (syncbot.env, .env: an operator's real
// settings) are skipped: they are never committed, and a developer's
// working copy may well hold real tokens in them.
func loadDeploy(dir string) (*deployTree, error) {
	t := &deployTree{dir: dir}
	ignored, err := gitignored(filepath.Join(dir, ".gitignore"))
	if err != nil {
		return nil, err
	}
	err = filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if ignored[e.Name()] {
			return nil
		}
		t.files = append(t.files, rel)
		if !isYAML(rel) {
			return nil
		}
		docs, err := readYAMLDocs(path)
		if err != nil {
			t.problems = append(t.problems, fmt.Sprintf("%s does not parse: %v", rel, err))
		}
		for i, n := range docs {
			d := yamlDoc{file: rel, index: i + 1, node: n}
			var head struct {
				APIVersion string `yaml:"apiVersion"`
				Kind       string `yaml:"kind"`
				Metadata   struct {
					Name string `yaml:"name"`
				} `yaml:"metadata"`
			}
			if n.Kind == yaml.MappingNode {
				if err := n.Decode(&head); err != nil {
					t.problems = append(t.problems, fmt.Sprintf("%s: %v", d, err))
				}
			}
			d.apiVersion, d.kind, d.name = head.APIVersion, head.Kind, head.Metadata.Name
			if strings.HasPrefix(rel, "kubernetes/") && (d.apiVersion == "" || d.kind == "") {
				t.problems = append(t.problems, fmt.Sprintf("%s: a Kubernetes document without apiVersion or kind", d))
			}
			t.docs = append(t.docs, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(t.docs) == 0 {
		return nil, fmt.Errorf("no YAML documents under %s", dir)
	}
	return t, nil
}

// gitignored reads the plain file names of a .gitignore (the only kind of
// pattern deploy/.gitignore uses).
func gitignored(path string) (map[string]bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		names[strings.Trim(line, "/")] = true
	}
	return names, nil
}

// readYAMLDocs parses every document of a (multi-document) YAML file and
// returns the content node of each non-empty one.
func readYAMLDocs(path string) ([]*yaml.Node, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var docs []*yaml.Node
	for n := 1; ; n++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, fmt.Errorf("document %d: %w", n, err)
		}
		if len(doc.Content) == 0 || (doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null") {
			continue // an empty document, e.g. a trailing ---
		}
		docs = append(docs, doc.Content[0])
	}
}

// docsIn returns the documents of the files directly in dir (relative to
// the deploy directory).
func (t *deployTree) docsIn(dir string) []yamlDoc {
	var out []yamlDoc
	for _, d := range t.docs {
		if filepath.ToSlash(filepath.Dir(d.file)) == dir {
			out = append(out, d)
		}
	}
	return out
}

// kubernetesDirs are the directories under kubernetes/ holding a
// kustomization.yaml: one per variant.
func (t *deployTree) kubernetesDirs() []string {
	var dirs []string
	for _, f := range t.files {
		if strings.HasPrefix(f, "kubernetes/") && filepath.Base(f) == "kustomization.yaml" {
			dirs = append(dirs, filepath.ToSlash(filepath.Dir(f)))
		}
	}
	slices.Sort(dirs)
	return dirs
}

// copyTree copies dir to a new directory under tmp, for the checks that
// break a manifest on purpose.
func copyTree(dir, tmp string) (string, error) {
	dst := filepath.Join(tmp, "deploy")
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	return dst, err
}
