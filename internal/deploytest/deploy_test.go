package deploytest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/syncbot/syncbot/internal/config"
	"github.com/syncbot/syncbot/internal/demo"
)

func loadRealDeploy(t *testing.T) *deployTree {
	t.Helper()
	tree, err := loadDeploy(filepath.Join(repoRoot(t), "deploy"))
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// allProblems runs every check on one deploy directory.
func allProblems(tree *deployTree, f *codeFacts) problems {
	p := slices.Clone(problems(tree.problems))
	p = append(p, checkKubernetes(tree, f)...)
	p = append(p, checkCompose(tree, f)...)
	p = append(p, checkSecrets(tree)...)
	return p
}

// TestDeployYAMLParses: every YAML file under deploy/, every document of
// it, parses; Kubernetes documents say what they are.
func TestDeployYAMLParses(t *testing.T) {
	tree := loadRealDeploy(t)
	for _, p := range tree.problems {
		t.Error(p)
	}
	var yamlFiles []string
	for _, f := range tree.files {
		if isYAML(f) {
			yamlFiles = append(yamlFiles, f)
		}
	}
	for _, want := range []string{
		"compose.yaml",
		"kubernetes/embedded/kustomization.yaml", "kubernetes/embedded/deployment.yaml", "kubernetes/embedded/secret.example.yaml",
		"kubernetes/postgres/kustomization.yaml", "kubernetes/postgres/deployment.yaml", "kubernetes/postgres/secret.example.yaml",
	} {
		if !slices.Contains(yamlFiles, want) {
			t.Errorf("deploy/%s is missing", want)
		}
	}
	t.Logf("%d YAML files, %d documents", len(yamlFiles), len(tree.docs))
}

// TestKubernetesVariants checks both kustomizations: probes, security
// context, replicas and strategy per store, volumes, env against the code.
func TestKubernetesVariants(t *testing.T) {
	f := readFacts(t)
	for _, p := range checkKubernetes(loadRealDeploy(t), f) {
		t.Error(p)
	}
}

// TestCompose checks deploy/compose.yaml and syncbot.env.example.
func TestCompose(t *testing.T) {
	f := readFacts(t)
	for _, p := range checkCompose(loadRealDeploy(t), f) {
		t.Error(p)
	}
}

// TestManifestSettingsLoad gives config.Load the environment each
// Deployment builds (literal values, its ConfigMap, its example Secret), so
// that a value the bot would refuse (SYNC_LOG_FORMAT=JSON, a TTL of "15")
// fails here rather than in a crash-looping pod. The SYNC_APPS placeholder,
// which the bot refuses on purpose until it is edited, is swapped for a
// valid entry.
func TestManifestSettingsLoad(t *testing.T) {
	f := readFacts(t)
	tree := loadRealDeploy(t)
	for _, dir := range tree.kubernetesDirs() {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var p problems
			v := loadVariant(tree, dir, &p)
			for _, d := range v.resources {
				if d.kind != "Deployment" {
					continue
				}
				var dep deploymentDoc
				if err := d.decode(&dep); err != nil {
					t.Fatal(err)
				}
				for _, c := range dep.Spec.Template.Spec.Containers {
					env := v.resolveEnv(c, d.String(), &p)
					// Start from an environment holding none of the bot's variables.
					for name := range f.vars {
						t.Setenv(name, "")
						os.Unsetenv(name)
					}
					for name, src := range env {
						val, ok := v.value(env, name, "")
						if src.secret != nil {
							data, _ := v.secret(src.secret.Name)
							val, ok = data[src.secret.Key]
						}
						if !ok {
							t.Fatalf("%s: %s has no value in the manifests", d, name)
						}
						if name == "SYNC_APPS" && strings.Contains(val, "REPLACE") {
							val = "prod:" + demo.GroupID + "/" + demo.ProdID
						}
						t.Setenv(name, val)
					}
					cfg, err := config.Load()
					if err != nil {
						t.Fatalf("%s: %v", d, err)
					}
					if got, want := cfg.DatabaseURL != "", storeOf(env) == storePostgres; got != want {
						t.Errorf("%s: PostgreSQL store %v, want %v", d, got, want)
					}
				}
			}
			for _, problem := range p {
				t.Error(problem)
			}
		})
	}
}

// TestMetricsScrapePathServed: the Services' prometheus.io/path is a path
// the bot serves.
func TestMetricsScrapePathServed(t *testing.T) {
	f := readFacts(t)
	paths := scrapePaths(loadRealDeploy(t))
	if len(paths) == 0 {
		t.Fatal("no Service asks to be scraped: the manifests lost their prometheus.io annotations")
	}
	if !f.metricsLinked {
		t.Fatalf("cmd/bot does not link promhttp, yet the manifests scrape %v", paths)
	}
	for where, path := range paths {
		if !f.isServed(path) {
			t.Errorf("%s: prometheus.io/path %q is not served by the bot (served: %v)", where, path, f.served)
		}
	}
}

// TestEveryCheckCanFail breaks a copy of deploy/ in one way at a time and
// requires the checks to notice, so that none of them passes vacuously.
func TestEveryCheckCanFail(t *testing.T) {
	f := readFacts(t)
	real := filepath.Join(repoRoot(t), "deploy")
	if p := allProblems(loadRealDeploy(t), f); len(p) > 0 {
		t.Fatalf("the real deploy/ already has problems: %v", p)
	}
	const (
		emb = "kubernetes/embedded/"
		pg  = "kubernetes/postgres/"
	)
	for _, m := range []struct {
		name, file, old, new, want string
	}{
		{"yaml syntax", emb + "pvc.yaml", "  accessModes:", "\taccessModes:", "does not parse"},
		{"second document broken", emb + "service.yaml", "spec:\n", "spec:\n---\nkind: [\n", "does not parse"},
		{"embedded replicas", emb + "deployment.yaml", "replicas: 1", "replicas: 2", "replicas must be exactly 1"},
		{"embedded strategy", emb + "deployment.yaml", "type: Recreate", "type: RollingUpdate", "want Recreate"},
		{"data volume elsewhere", emb + "deployment.yaml", "mountPath: /data", "mountPath: /var/lib/syncbot", "no volume mounted at SYNC_DATA_DIR"},
		{"data dir without a volume", emb + "deployment.yaml", "value: /data #", "value: /srv #", "no volume mounted at SYNC_DATA_DIR"},
		{"claim not applied", emb + "deployment.yaml", "claimName: syncbot-data", "claimName: other", "not applied by the kustomization"},
		{"readiness path", emb + "deployment.yaml", "path: /readyz", "path: /ready", "not served by the bot"},
		{"liveness on readyz", pg + "deployment.yaml", "path: /healthz", "path: /readyz", "want /healthz"},
		{"probe on a number", pg + "deployment.yaml", "port: http\n            periodSeconds: 5", "port: 8080\n            periodSeconds: 5", "want the named port http"},
		{"port renamed", emb + "deployment.yaml", "- name: http #", "- name: web #", "exposes no port named http"},
		{"listen elsewhere", pg + "deployment.yaml", `value: ":8080"`, `value: ":9090"`, "does not listen on the http port"},
		{"root", emb + "deployment.yaml", "runAsUser: 65532", "runAsUser: 0", "runAsUser 0 is root"},
		{"root allowed", pg + "deployment.yaml", "runAsNonRoot: true", "runAsNonRoot: false", "runAsNonRoot must be true"},
		{"writable root fs", pg + "deployment.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem must be true"},
		{"escalation", emb + "deployment.yaml", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", "allowPrivilegeEscalation"},
		{"no memory limit", emb + "deployment.yaml", "limits:\n              memory: 128Mi", "limits: {}", "resources.limits.memory"},
		{"short grace", pg + "deployment.yaml", "terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 10", "terminationGracePeriodSeconds"},
		{"postgres replicas", pg + "deployment.yaml", "replicas: 2", "replicas: 1", "at least 2"},
		{"postgres surge only", pg + "deployment.yaml", "maxUnavailable: 0", "maxUnavailable: 1", "maxUnavailable must be 0"},
		{"database url literal", pg + "deployment.yaml",
			"- name: SYNC_DATABASE_URL\n              valueFrom:\n                secretKeyRef: {name: syncbot, key: SYNC_DATABASE_URL}",
			"- name: SYNC_DATABASE_URL\n              value: postgres://syncbot:REPLACE-ME@db/syncbot", "must come from a secretKeyRef"},
		{"database url in the embedded variant", emb + "deployment.yaml", "- name: SYNC_DATA_DIR\n", "- name: SYNC_DATABASE_URL\n              valueFrom:\n                secretKeyRef: {name: syncbot, key: SLACK_APP_TOKEN}\n            - name: SYNC_DATA_DIR\n", "opens the postgres store"},
		{"unknown variable", emb + "configmap.yaml", "SYNC_LOG_FORMAT:", "SYNC_LOGFORMAT:", "SYNC_LOGFORMAT is not a variable the bot reads"},
		{"unknown env", pg + "deployment.yaml", "- name: SYNC_HTTP_ADDR", "- name: SYNC_HTTP_ADDRESS", "SYNC_HTTP_ADDRESS is not a variable"},
		{"bad duration", pg + "configmap.yaml", `SYNC_APPROVAL_TTL: "15m"`, `SYNC_APPROVAL_TTL: "15 minutes"`, "does not parse as time.Duration"},
		{"secret in the configmap", emb + "configmap.yaml", `SYNC_LOG_FORMAT: "json"`, `SYNC_LOG_FORMAT: "json"` + "\n  SLACK_BOT_TOKEN: xoxb-REPLACE-ME", "belongs in the Secret"},
		{"secret key missing", pg + "secret.example.yaml", "  ATLAS_PRIVATE_API_KEY: REPLACE-ME\n", "", "key \"ATLAS_PRIVATE_API_KEY\" is missing"},
		{"real-looking token", emb + "secret.example.yaml", "xoxb-REPLACE-ME", "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "real Slack token"},
		{"real-looking key", pg + "secret.example.yaml", "ATLAS_PRIVATE_API_KEY: REPLACE-ME", "ATLAS_PRIVATE_API_KEY: 3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60", "Atlas private API key"},
		{"secret applied", emb + "kustomization.yaml", "  - service.yaml\n", "  - service.yaml\n  - secret.example.yaml\n", "must not be applied"},
		{"file forgotten", pg + "kustomization.yaml", "  - pdb.yaml\n", "", "pdb.yaml is not among the resources"},
		{"image not rewritten", emb + "kustomization.yaml", "  - name: syncbot\n", "  - name: sync-bot\n", "kustomize would not set it"},
		{"service port", emb + "service.yaml", "targetPort: http", "targetPort: metrics", "is not a port of"},
		{"compose healthcheck", "compose.yaml", "    read_only: true\n    cap_drop: [ALL]\n    security_opt:\n      - no-new-privileges:true\n    # The bot drains",
			"    read_only: true\n    healthcheck:\n      test: [\"CMD\", \"wget\", \"-q\", \"http://localhost:8080/readyz\"]\n    cap_drop: [ALL]\n    security_opt:\n      - no-new-privileges:true\n    # The bot drains", "healthcheck cannot run"},
		{"compose volume", "compose.yaml", "- syncbot-data:/data", "- ./data:/data", "no named volume"},
		{"compose postgres default", "compose.yaml", "  syncbot-postgres:\n    profiles: [postgres]\n", "  syncbot-postgres:\n", "not behind the profile postgres"},
		{"compose literal secret", "compose.yaml", "    environment:\n      SYNC_DATA_DIR: /data\n", "    environment:\n      SYNC_DATA_DIR: /data\n      SLACK_BOT_TOKEN: xoxb-REPLACE-ME\n", "SLACK_BOT_TOKEN is a secret"},
		{"env example", "syncbot.env.example", "SYNC_APPROVAL_TTL=", "SYNC_APPROVAL_TIMEOUT=", "SYNC_APPROVAL_TIMEOUT is not a variable"},
	} {
		t.Run(m.name, func(t *testing.T) {
			dir, err := copyTree(real, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, filepath.FromSlash(m.file))
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), m.old) {
				t.Fatalf("%s no longer contains %q: update this mutation", m.file, m.old)
			}
			if err := os.WriteFile(file, []byte(strings.Replace(string(b), m.old, m.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			tree, err := loadDeploy(dir)
			if err != nil {
				t.Fatal(err)
			}
			got := allProblems(tree, f)
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, m.want) }) {
				t.Errorf("breaking %s went unnoticed: want a problem containing %q, got %q", m.file, m.want, got)
			}
		})
	}
}
