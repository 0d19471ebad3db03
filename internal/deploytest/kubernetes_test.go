package deploytest

import (
	"fmt"
	"maps"
	"net"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The Kubernetes objects below name only the fields the checks read.

type objectMeta struct {
	Name        string            `yaml:"name"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type deploymentDoc struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		Replicas *int `yaml:"replicas"`
		Strategy struct {
			Type          string `yaml:"type"`
			RollingUpdate *struct {
				MaxUnavailable any `yaml:"maxUnavailable"`
				MaxSurge       any `yaml:"maxSurge"`
			} `yaml:"rollingUpdate"`
		} `yaml:"strategy"`
		Selector labelSelector `yaml:"selector"`
		Template struct {
			Metadata objectMeta `yaml:"metadata"`
			Spec     podSpec    `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type podSpec struct {
	TerminationGracePeriodSeconds *int            `yaml:"terminationGracePeriodSeconds"`
	AutomountServiceAccountToken  *bool           `yaml:"automountServiceAccountToken"`
	SecurityContext               securityContext `yaml:"securityContext"`
	Containers                    []container     `yaml:"containers"`
	InitContainers                []container     `yaml:"initContainers"`
	Volumes                       []struct {
		Name                  string `yaml:"name"`
		PersistentVolumeClaim *struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
	} `yaml:"volumes"`
}

// securityContext is the union of the pod's and a container's fields.
type securityContext struct {
	RunAsNonRoot             *bool  `yaml:"runAsNonRoot"`
	RunAsUser                *int64 `yaml:"runAsUser"`
	FSGroup                  *int64 `yaml:"fsGroup"`
	ReadOnlyRootFilesystem   *bool  `yaml:"readOnlyRootFilesystem"`
	AllowPrivilegeEscalation *bool  `yaml:"allowPrivilegeEscalation"`
	Privileged               *bool  `yaml:"privileged"`
	Capabilities             *struct {
		Add  []string `yaml:"add"`
		Drop []string `yaml:"drop"`
	} `yaml:"capabilities"`
	SeccompProfile *struct {
		Type string `yaml:"type"`
	} `yaml:"seccompProfile"`
}

type container struct {
	Name  string `yaml:"name"`
	Image string `yaml:"image"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name      string  `yaml:"name"`
		Value     *string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef    *keyRef `yaml:"secretKeyRef"`
			ConfigMapKeyRef *keyRef `yaml:"configMapKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	EnvFrom []struct {
		Prefix       string `yaml:"prefix"`
		ConfigMapRef *struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
		SecretRef *struct {
			Name string `yaml:"name"`
		} `yaml:"secretRef"`
	} `yaml:"envFrom"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	Resources      struct {
		Requests map[string]any `yaml:"requests"`
		Limits   map[string]any `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext securityContext `yaml:"securityContext"`
	VolumeMounts    []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

type keyRef struct {
	Name string `yaml:"name"`
	Key  string `yaml:"key"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

type dataDoc struct { // ConfigMap and Secret
	Metadata   objectMeta        `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
}

type serviceDoc struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort any    `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type pdbDoc struct {
	Spec struct {
		MinAvailable any           `yaml:"minAvailable"`
		Selector     labelSelector `yaml:"selector"`
	} `yaml:"spec"`
}

type pvcDoc struct {
	Metadata objectMeta `yaml:"metadata"`
}

type kustomizationDoc struct {
	Resources []string `yaml:"resources"`
	Images    []struct {
		Name string `yaml:"name"`
	} `yaml:"images"`
}

// The two stores, which decide replicas, strategy and volumes.
const (
	storeEmbedded = "embedded"
	storePostgres = "postgres"
)

// requiredVariants are the directories deploy/ must ship.
var requiredVariants = []string{"kubernetes/embedded", "kubernetes/postgres"}

// problems collects what a check found wrong, each prefixed with where.
type problems []string

func (p *problems) add(where, format string, args ...any) {
	*p = append(*p, where+": "+fmt.Sprintf(format, args...))
}

// variant is one kustomization directory.
type variant struct {
	dir       string
	resources []yamlDoc // the documents kubectl apply -k applies
	examples  []yamlDoc // the documents of *.example.yaml, applied by hand
}

func (v *variant) find(docs []yamlDoc, kind, name string) (dataDoc, bool) {
	for _, d := range docs {
		if d.kind == kind && d.name == name {
			var dd dataDoc
			if d.decode(&dd) == nil {
				return dd, true
			}
		}
	}
	return dataDoc{}, false
}

// configMap and secret return the keys of the named ConfigMap (applied with
// the variant) and Secret (shown by its example) and their values.
func (v *variant) configMap(name string) (map[string]string, bool) {
	d, ok := v.find(v.resources, "ConfigMap", name)
	return d.Data, ok
}

func (v *variant) secret(name string) (map[string]string, bool) {
	d, ok := v.find(v.examples, "Secret", name)
	m := maps.Clone(d.StringData)
	if m == nil {
		m = map[string]string{}
	}
	for k := range d.Data {
		m[k] = "(base64)"
	}
	return m, ok
}

// envSource is where one environment variable of a container comes from.
type envSource struct {
	literal   *string
	configMap *keyRef
	secret    *keyRef
}

// resolveEnv lists a container's environment as Kubernetes builds it:
// envFrom first, env overriding it.
func (v *variant) resolveEnv(c container, where string, p *problems) map[string]envSource {
	env := map[string]envSource{}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			data, ok := v.configMap(from.ConfigMapRef.Name)
			if !ok {
				p.add(where, "envFrom names ConfigMap %q, which the kustomization does not apply", from.ConfigMapRef.Name)
			}
			for k := range data {
				env[from.Prefix+k] = envSource{configMap: &keyRef{Name: from.ConfigMapRef.Name, Key: k}}
			}
		case from.SecretRef != nil:
			data, ok := v.secret(from.SecretRef.Name)
			if !ok {
				p.add(where, "envFrom names Secret %q, which no secret.example.yaml shows", from.SecretRef.Name)
			}
			for k := range data {
				env[from.Prefix+k] = envSource{secret: &keyRef{Name: from.SecretRef.Name, Key: k}}
			}
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			if data, ok := v.secret(ref.Name); !ok {
				p.add(where, "%s: Secret %q is not shown by any secret.example.yaml here", e.Name, ref.Name)
			} else if _, ok := data[ref.Key]; !ok {
				p.add(where, "%s: key %q is missing from the example of Secret %q", e.Name, ref.Key, ref.Name)
			}
			env[e.Name] = envSource{secret: ref}
		case e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			if data, ok := v.configMap(ref.Name); !ok {
				p.add(where, "%s: ConfigMap %q is not applied by the kustomization", e.Name, ref.Name)
			} else if _, ok := data[ref.Key]; !ok {
				p.add(where, "%s: key %q is missing from ConfigMap %q", e.Name, ref.Key, ref.Name)
			}
			env[e.Name] = envSource{configMap: ref}
		case e.ValueFrom != nil:
			env[e.Name] = envSource{} // fieldRef, resourceFieldRef: no literal value
		default:
			val := ""
			if e.Value != nil {
				val = *e.Value
			}
			env[e.Name] = envSource{literal: &val}
		}
	}
	return env
}

// value is the variable's value as the bot will see it, if the manifests
// say it: a literal or a ConfigMap key. def is used when it is not set.
func (v *variant) value(env map[string]envSource, name, def string) (string, bool) {
	s, ok := env[name]
	switch {
	case !ok:
		return def, true
	case s.literal != nil:
		return *s.literal, true
	case s.configMap != nil:
		data, _ := v.configMap(s.configMap.Name)
		val, ok := data[s.configMap.Key]
		return val, ok
	}
	return "", false
}

// loadVariant reads one kustomization directory and checks that it applies
// exactly the files next to it, and never an example Secret.
func loadVariant(tree *deployTree, dir string, p *problems) *variant {
	v := &variant{dir: dir}
	docs := tree.docsIn(dir)
	kfile := dir + "/kustomization.yaml"
	var k kustomizationDoc
	for _, d := range docs {
		if d.file == kfile {
			if err := d.decode(&k); err != nil {
				p.add(kfile, "%v", err)
			}
		}
	}
	listed := map[string]bool{}
	for _, r := range k.Resources {
		file := path.Join(dir, r)
		switch {
		case strings.Contains(r, "://") || path.IsAbs(r) || path.Dir(file) != dir:
			p.add(kfile, "resource %q: only files next to kustomization.yaml are checked here", r)
		case strings.HasSuffix(r, ".example.yaml"):
			p.add(kfile, "resource %q: an example must not be applied (it would overwrite the real Secret with placeholders)", r)
		case !slices.Contains(tree.files, file):
			p.add(kfile, "resource %q does not exist", r)
		}
		listed[file] = true
	}
	for _, f := range tree.files {
		if path.Dir(f) != dir || !isYAML(f) || f == kfile {
			continue
		}
		if strings.HasSuffix(f, ".example.yaml") {
			continue
		}
		if !listed[f] {
			p.add(kfile, "%s is not among the resources: kubectl apply -k would skip it", path.Base(f))
		}
	}
	for _, d := range docs {
		switch {
		case listed[d.file]:
			v.resources = append(v.resources, d)
			if d.kind == "Secret" {
				p.add(d.String(), "a Secret applied by the kustomization would overwrite the real one; ship it as secret.example.yaml")
			}
		case strings.HasSuffix(d.file, ".example.yaml"):
			v.examples = append(v.examples, d)
		}
	}
	// kustomize rewrites only the images its images: list names.
	var deployImages []string
	for _, d := range v.resources {
		if d.kind != "Deployment" {
			continue
		}
		var dep deploymentDoc
		if d.decode(&dep) != nil {
			continue
		}
		for _, c := range dep.Spec.Template.Spec.Containers {
			deployImages = append(deployImages, imageName(c.Image))
		}
	}
	for _, img := range k.Images {
		if !slices.Contains(deployImages, img.Name) {
			p.add(kfile, "images: %q matches no container image %v, so kustomize would not set it", img.Name, deployImages)
		}
	}
	return v
}

// imageName strips the tag and digest: registry:5000/a/b:tag@sha256:… → registry:5000/a/b.
func imageName(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndexByte(image, ':'); i > strings.LastIndexByte(image, '/') {
		image = image[:i]
	}
	return image
}

// checkKubernetes checks every kustomization directory under kubernetes/.
func checkKubernetes(tree *deployTree, f *codeFacts) problems {
	var p problems
	dirs := tree.kubernetesDirs()
	for _, want := range requiredVariants {
		if !slices.Contains(dirs, want) {
			p.add(want, "missing (no kustomization.yaml)")
		}
	}
	for _, dir := range dirs {
		v := loadVariant(tree, dir, &p)
		checkVariant(v, f, &p)
	}
	return p
}

func checkVariant(v *variant, f *codeFacts, p *problems) {
	var deployments []yamlDoc
	for _, d := range v.resources {
		if d.kind == "Deployment" {
			deployments = append(deployments, d)
		}
	}
	if len(deployments) != 1 {
		p.add(v.dir, "%d Deployments, want exactly one", len(deployments))
	}
	for _, d := range deployments {
		var dep deploymentDoc
		if err := d.decode(&dep); err != nil {
			p.add(d.String(), "%v", err)
			continue
		}
		checkDeployment(v, d.String(), dep, f, p)
	}
	for _, d := range v.resources {
		switch d.kind {
		case "ConfigMap":
			var cm dataDoc
			if err := d.decode(&cm); err != nil {
				p.add(d.String(), "%v", err)
				continue
			}
			checkConfigMap(d.String(), cm.Data, f, p)
		case "Service":
			var svc serviceDoc
			if err := d.decode(&svc); err != nil {
				p.add(d.String(), "%v", err)
				continue
			}
			checkService(d.String(), svc, deployments, p)
		case "PodDisruptionBudget":
			var pdb pdbDoc
			if err := d.decode(&pdb); err != nil {
				p.add(d.String(), "%v", err)
				continue
			}
			checkPDB(d.String(), pdb, deployments, p)
		}
	}
	for _, d := range v.examples {
		if d.kind != "Secret" {
			continue
		}
		data, _ := v.secret(d.name)
		for _, k := range slices.Sorted(maps.Keys(data)) {
			if _, ok := f.vars[k]; !ok {
				p.add(d.String(), "key %s is not a variable the bot reads (internal/config)", k)
			}
			if !readByDeployment(v, d.name, k, deployments) {
				p.add(d.String(), "key %s is read by no Deployment here", k)
			}
		}
	}
}

func readByDeployment(v *variant, secret, key string, deployments []yamlDoc) bool {
	for _, d := range deployments {
		var dep deploymentDoc
		if d.decode(&dep) != nil {
			continue
		}
		for _, c := range dep.Spec.Template.Spec.Containers {
			var discard problems
			for _, s := range v.resolveEnv(c, "", &discard) {
				if s.secret != nil && s.secret.Name == secret && s.secret.Key == key {
					return true
				}
			}
		}
	}
	return false
}

// storeOf says which store a Deployment's bot opens: SYNC_DATABASE_URL
// selects PostgreSQL, as in app.openStore.
func storeOf(env map[string]envSource) string {
	if _, ok := env["SYNC_DATABASE_URL"]; ok {
		return storePostgres
	}
	return storeEmbedded
}

func checkDeployment(v *variant, where string, dep deploymentDoc, f *codeFacts, p *problems) {
	spec := dep.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		p.add(where, "%d containers, want the bot alone", len(spec.Containers))
	}
	if !subset(dep.Spec.Selector.MatchLabels, dep.Spec.Template.Metadata.Labels) || len(dep.Spec.Selector.MatchLabels) == 0 {
		p.add(where, "selector %v does not match the pod labels %v", dep.Spec.Selector.MatchLabels, dep.Spec.Template.Metadata.Labels)
	}
	if g := spec.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second < f.drain+5*time.Second {
		p.add(where, "terminationGracePeriodSeconds must be set and leave the bot's %v shutdown drain room (at least %v)", f.drain, f.drain+5*time.Second)
	}
	if a := spec.AutomountServiceAccountToken; a == nil || *a {
		p.add(where, "automountServiceAccountToken must be false: the bot never talks to the Kubernetes API")
	}
	for _, c := range spec.Containers {
		cwhere := where + " container " + c.Name
		env := v.resolveEnv(c, cwhere, p)
		store := storeOf(env)
		if base := path.Base(v.dir); (base == storeEmbedded || base == storePostgres) && base != store {
			p.add(cwhere, "opens the %s store, but its directory says %s", store, base)
		}
		checkEnvNames(cwhere, env, f, p)
		checkContainerBasics(cwhere, c, spec, env, v, f, p)
		switch store {
		case storeEmbedded:
			checkEmbedded(where, cwhere, dep, c, env, v, f, p)
		case storePostgres:
			checkPostgres(where, cwhere, dep, c, env, p)
		}
	}
}

// checkEnvNames: every variable set is one the bot reads, and secrets come
// from a Secret.
func checkEnvNames(where string, env map[string]envSource, f *codeFacts, p *problems) {
	for _, name := range slices.Sorted(maps.Keys(env)) {
		cv, known := f.vars[name]
		if !known && !goRuntimeVars[name] {
			p.add(where, "%s is not a variable the bot reads (internal/config)", name)
		}
		if known && cv.secret() && env[name].secret == nil {
			p.add(where, "%s is a secret and must come from a Secret (secretKeyRef), not a literal or a ConfigMap", name)
		}
	}
}

func checkContainerBasics(where string, c container, spec podSpec, env map[string]envSource, v *variant, f *codeFacts, p *problems) {
	if c.Image == "" {
		p.add(where, "no image")
	}
	httpPort := 0
	for _, port := range c.Ports {
		if port.Name == "http" {
			httpPort = port.ContainerPort
		}
	}
	if httpPort == 0 {
		p.add(where, "exposes no port named http")
	}
	// The port the bot listens on is the one the container exposes.
	addr, ok := v.value(env, "SYNC_HTTP_ADDR", f.vars["SYNC_HTTP_ADDR"].def)
	if !ok {
		p.add(where, "SYNC_HTTP_ADDR cannot be read from the manifests")
	} else if _, port, err := net.SplitHostPort(addr); err != nil || port != strconv.Itoa(httpPort) {
		p.add(where, "SYNC_HTTP_ADDR %q does not listen on the http port %d", addr, httpPort)
	}
	for _, pr := range []struct {
		kind, path string
		probe      *probe
	}{
		{"livenessProbe", "/healthz", c.LivenessProbe},
		{"readinessProbe", "/readyz", c.ReadinessProbe},
	} {
		switch {
		case pr.probe == nil:
			p.add(where, "no %s", pr.kind)
			continue
		case pr.probe.HTTPGet == nil:
			p.add(where, "%s is not an httpGet on %s", pr.kind, pr.path)
			continue
		}
		g := pr.probe.HTTPGet
		if g.Path != pr.path {
			p.add(where, "%s path %q, want %s", pr.kind, g.Path, pr.path)
		}
		if !f.isServed(g.Path) {
			p.add(where, "%s path %q is not served by the bot (served: %v)", pr.kind, g.Path, f.served)
		}
		if g.Port != "http" {
			p.add(where, "%s port %v, want the named port http", pr.kind, g.Port)
		}
	}

	// Security: the container's settings override the pod's.
	pod, ctr := spec.SecurityContext, c.SecurityContext
	nonRoot, user, seccomp := pod.RunAsNonRoot, pod.RunAsUser, pod.SeccompProfile
	if ctr.RunAsNonRoot != nil {
		nonRoot = ctr.RunAsNonRoot
	}
	if ctr.RunAsUser != nil {
		user = ctr.RunAsUser
	}
	if ctr.SeccompProfile != nil {
		seccomp = ctr.SeccompProfile
	}
	if nonRoot == nil || !*nonRoot {
		p.add(where, "runAsNonRoot must be true")
	}
	switch {
	case user == nil:
		p.add(where, "runAsUser must be set (to %d, the image's user)", f.imageUser)
	case *user == 0:
		p.add(where, "runAsUser 0 is root")
	case *user != int64(f.imageUser):
		p.add(where, "runAsUser %d, but the image's files (/data) belong to %d", *user, f.imageUser)
	}
	if r := ctr.ReadOnlyRootFilesystem; r == nil || !*r {
		p.add(where, "readOnlyRootFilesystem must be true")
	}
	if a := ctr.AllowPrivilegeEscalation; a == nil || *a {
		p.add(where, "allowPrivilegeEscalation must be false")
	}
	if ctr.Privileged != nil && *ctr.Privileged {
		p.add(where, "must not be privileged")
	}
	if ctr.Capabilities == nil || !slices.Contains(ctr.Capabilities.Drop, "ALL") || len(ctr.Capabilities.Add) > 0 {
		p.add(where, "capabilities must drop ALL and add none")
	}
	if seccomp == nil || seccomp.Type != "RuntimeDefault" {
		p.add(where, "seccompProfile must be RuntimeDefault")
	}

	for _, r := range []struct {
		m    map[string]any
		kind string
		key  string
	}{
		{c.Resources.Requests, "requests", "cpu"},
		{c.Resources.Requests, "requests", "memory"},
		{c.Resources.Limits, "limits", "memory"},
	} {
		if r.m[r.key] == nil {
			p.add(where, "no resources.%s.%s", r.kind, r.key)
		}
	}
}

func checkEmbedded(where, cwhere string, dep deploymentDoc, c container, env map[string]envSource, v *variant, f *codeFacts, p *problems) {
	if r := dep.Spec.Replicas; r == nil || *r != 1 {
		p.add(where, "replicas must be exactly 1 with the embedded store (it locks its folder; a second pod refuses to start)")
	}
	if dep.Spec.Strategy.Type != "Recreate" {
		p.add(where, "strategy %q, want Recreate: the new pod cannot start while the old one holds the store's lock", dep.Spec.Strategy.Type)
	}
	dataDir, ok := v.value(env, "SYNC_DATA_DIR", f.vars["SYNC_DATA_DIR"].def)
	if !ok {
		p.add(cwhere, "SYNC_DATA_DIR cannot be read from the manifests")
		return
	}
	var mounted bool
	for _, m := range c.VolumeMounts {
		if path.Clean(m.MountPath) != path.Clean(dataDir) {
			continue
		}
		mounted = true
		if m.ReadOnly {
			p.add(cwhere, "the volume at SYNC_DATA_DIR %s is mounted read-only", dataDir)
		}
		var claim string
		for _, vol := range dep.Spec.Template.Spec.Volumes {
			if vol.Name == m.Name && vol.PersistentVolumeClaim != nil {
				claim = vol.PersistentVolumeClaim.ClaimName
			}
		}
		switch {
		case claim == "":
			p.add(cwhere, "the volume at SYNC_DATA_DIR %s is not a PersistentVolumeClaim: the journal would not survive the pod", dataDir)
		case !slices.ContainsFunc(v.resources, func(d yamlDoc) bool { return d.kind == "PersistentVolumeClaim" && d.name == claim }):
			p.add(cwhere, "claim %q is not applied by the kustomization", claim)
		}
	}
	if !mounted {
		p.add(cwhere, "no volume mounted at SYNC_DATA_DIR %q", dataDir)
	}
	if g := dep.Spec.Template.Spec.SecurityContext.FSGroup; g == nil || *g != int64(f.imageUser) {
		p.add(where, "fsGroup must be %d so that the bot can write its volume", f.imageUser)
	}
}

func checkPostgres(where, cwhere string, dep deploymentDoc, c container, env map[string]envSource, p *problems) {
	if r := dep.Spec.Replicas; r == nil || *r < 2 {
		p.add(where, "replicas must be at least 2 with the PostgreSQL store")
	}
	s := dep.Spec.Strategy
	if s.Type != "RollingUpdate" {
		p.add(where, "strategy %q, want RollingUpdate", s.Type)
	}
	if s.RollingUpdate == nil || !isZero(s.RollingUpdate.MaxUnavailable) {
		p.add(where, "rollingUpdate.maxUnavailable must be 0: a new pod is ready before an old one stops")
	}
	if e := env["SYNC_DATABASE_URL"]; e.secret == nil {
		p.add(cwhere, "SYNC_DATABASE_URL must come from a secretKeyRef")
	}
	for _, vol := range dep.Spec.Template.Spec.Volumes {
		if vol.PersistentVolumeClaim != nil {
			p.add(where, "volume %q is a PersistentVolumeClaim: replicas of the PostgreSQL variant share no disk", vol.Name)
		}
	}
}

func isZero(v any) bool {
	switch v := v.(type) {
	case int:
		return v == 0
	case string:
		return v == "0" || v == "0%"
	}
	return false
}

func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// checkConfigMap: every key is a variable the bot reads, none is a secret,
// and typed values parse as the bot will parse them.
func checkConfigMap(where string, data map[string]string, f *codeFacts, p *problems) {
	for _, k := range slices.Sorted(maps.Keys(data)) {
		cv, ok := f.vars[k]
		if !ok {
			if !goRuntimeVars[k] {
				p.add(where, "%s is not a variable the bot reads (internal/config)", k)
			}
			continue
		}
		if cv.secret() {
			p.add(where, "%s is a secret: it belongs in the Secret, not a ConfigMap", k)
		}
		val := data[k]
		var err error
		switch cv.goType {
		case "time.Duration":
			_, err = time.ParseDuration(val)
		case "int":
			_, err = strconv.Atoi(val)
		case "bool":
			_, err = strconv.ParseBool(val)
		}
		if err != nil {
			p.add(where, "%s=%q does not parse as %s", k, val, cv.goType)
		}
	}
}

func checkService(where string, svc serviceDoc, deployments []yamlDoc, p *problems) {
	for _, d := range deployments {
		var dep deploymentDoc
		if d.decode(&dep) != nil {
			continue
		}
		if len(svc.Spec.Selector) == 0 || !subset(svc.Spec.Selector, dep.Spec.Template.Metadata.Labels) {
			p.add(where, "selector %v does not select the pods of %s", svc.Spec.Selector, d)
		}
		ports := map[string]int{}
		for _, c := range dep.Spec.Template.Spec.Containers {
			for _, port := range c.Ports {
				ports[port.Name] = port.ContainerPort
			}
		}
		for _, sp := range svc.Spec.Ports {
			switch t := sp.TargetPort.(type) {
			case string:
				if _, ok := ports[t]; !ok {
					p.add(where, "targetPort %q is not a port of %s", t, d)
				}
			case int:
				if !slices.Contains(slices.Collect(maps.Values(ports)), t) {
					p.add(where, "targetPort %d is not a port of %s", t, d)
				}
			}
		}
		if a := svc.Metadata.Annotations; a["prometheus.io/scrape"] == "true" {
			if port, err := strconv.Atoi(a["prometheus.io/port"]); err != nil || port != ports["http"] {
				p.add(where, "prometheus.io/port %q is not the bot's http port %d", a["prometheus.io/port"], ports["http"])
			}
			if !strings.HasPrefix(a["prometheus.io/path"], "/") {
				p.add(where, "prometheus.io/path %q is not a path", a["prometheus.io/path"])
			}
		}
	}
}

func checkPDB(where string, pdb pdbDoc, deployments []yamlDoc, p *problems) {
	for _, d := range deployments {
		var dep deploymentDoc
		if d.decode(&dep) != nil {
			continue
		}
		if len(pdb.Spec.Selector.MatchLabels) == 0 || !subset(pdb.Spec.Selector.MatchLabels, dep.Spec.Template.Metadata.Labels) {
			p.add(where, "selector %v does not select the pods of %s", pdb.Spec.Selector.MatchLabels, d)
		}
		// One replica and minAvailable 1: no node could ever be drained.
		if r := dep.Spec.Replicas; r != nil && *r == 1 && !isZero(pdb.Spec.MinAvailable) && pdb.Spec.MinAvailable != nil {
			p.add(where, "minAvailable %v with a single replica blocks every node drain", pdb.Spec.MinAvailable)
		}
	}
}

// scrapePaths are the prometheus.io/path annotations of every Service.
func scrapePaths(tree *deployTree) map[string]string {
	out := map[string]string{}
	for _, d := range tree.docs {
		if d.kind != "Service" {
			continue
		}
		var svc serviceDoc
		if d.decode(&svc) == nil && svc.Metadata.Annotations["prometheus.io/scrape"] == "true" {
			out[d.String()] = svc.Metadata.Annotations["prometheus.io/path"]
		}
	}
	return out
}
