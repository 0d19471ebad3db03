package deploytest

import (
	"encoding/base64"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// placeholder is how every secret value in a committed file is written.
const placeholder = "REPLACE-ME"

var (
	// A Slack token: xoxb-, xoxp-, xapp-… and whatever follows.
	slackToken = regexp.MustCompile(`\b(xox[a-z]|xapp)-[^\s"'` + "`" + `,;)]*`)
	// An Atlas private API key is a UUID.
	uuid = regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
	// The password of a postgres:// URL.
	dbPassword = regexp.MustCompile(`postgres(?:ql)?://[^:/@\s]+:([^@\s]*)@`)
	// USER, PASSWORD, DB_PASSWORD: a word in capitals is a placeholder.
	capitalWord = regexp.MustCompile(`^[A-Z_]+$`)
)

// scanText reports what in a file's text looks like a real secret:
// a Slack token that is not an obvious placeholder (xoxb-REPLACE-ME,
// xoxb-..., xoxb-…), a UUID, a database password that is neither a
// placeholder nor a compose ${VARIABLE}.
func scanText(file, text string) problems {
	var p problems
	for i, line := range strings.Split(text, "\n") {
		where := file + ":" + strconv.Itoa(i+1)
		for _, m := range slackToken.FindAllString(line, -1) {
			_, rest, _ := strings.Cut(m, "-")
			if !strings.Contains(rest, "REPLACE") && rest != "" && !strings.HasPrefix(rest, "...") && !strings.HasPrefix(rest, "…") {
				p.add(where, "%q looks like a real Slack token; write xoxb-%s", m, placeholder)
			}
		}
		for _, m := range uuid.FindAllString(line, -1) {
			p.add(where, "%q looks like an Atlas private API key", m)
		}
		for _, m := range dbPassword.FindAllStringSubmatch(line, -1) {
			pw := m[1]
			if pw != "" && !strings.Contains(pw, "REPLACE") && !strings.HasPrefix(pw, "${") && !capitalWord.MatchString(pw) {
				p.add(where, "a database URL with a real-looking password")
			}
		}
	}
	return p
}

// checkSecrets scans every file under deploy/, and requires every value of
// every Secret document to be a placeholder.
func checkSecrets(tree *deployTree) problems {
	var p problems
	for _, f := range tree.files {
		b, err := os.ReadFile(filepath.Join(tree.dir, filepath.FromSlash(f)))
		if err != nil {
			p.add(f, "%v", err)
			continue
		}
		p = append(p, scanText(f, string(b))...)
	}
	for _, d := range tree.docs {
		if d.kind != "Secret" {
			continue
		}
		var s dataDoc
		if err := d.decode(&s); err != nil {
			p.add(d.String(), "%v", err)
			continue
		}
		values := maps.Clone(s.StringData)
		if values == nil {
			values = map[string]string{}
		}
		for k, v := range s.Data {
			dec, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				p.add(d.String(), "data.%s is not base64", k)
				continue
			}
			values[k] = string(dec)
			p = append(p, scanText(d.String()+" data."+k, string(dec))...)
		}
		if len(values) == 0 {
			p.add(d.String(), "shows no keys")
		}
		for _, k := range slices.Sorted(maps.Keys(values)) {
			if !strings.Contains(values[k], placeholder) {
				p.add(d.String(), "%s is not a placeholder (want a value containing %s)", k, placeholder)
			}
		}
	}
	return p
}

// TestNoRealSecrets: nothing committed under deploy/ looks like a real
// token, key or password.
func TestNoRealSecrets(t *testing.T) {
	tree := loadRealDeploy(t)
	for _, p := range checkSecrets(tree) {
		t.Error(p)
	}
}

// TestSecretScannerCatches feeds the scanner what it must flag and what it
// must let through, so that a scanner gone blind fails here.
func TestSecretScannerCatches(t *testing.T) {
	bad := []string{
		"SLACK_BOT_TOKEN: xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
		"SLACK_APP_TOKEN=xapp-1-A0123456789-1234567890123-0123456789abcdef",
		"token: xoxp-0000-0000",
		`  SLACK_BOT_TOKEN: "xoxb-SOMETHINGLONGANDRANDOM"`,
		"ATLAS_PRIVATE_API_KEY: 3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60",
		"SYNC_DATABASE_URL: postgres://syncbot:s3cr3t-pw@db:5432/syncbot",
	}
	for _, line := range bad {
		if len(scanText("x", line)) == 0 {
			t.Errorf("not flagged: %s", line)
		}
	}
	good := []string{
		"SLACK_BOT_TOKEN: xoxb-REPLACE-ME",
		"--from-literal=SLACK_APP_TOKEN=xapp-...",
		"the xoxb-… Bot User OAuth Token",
		"postgres://syncbot:REPLACE-ME@REPLACE-ME-HOST:5432/syncbot",
		"postgres://USER:PASSWORD@HOST:5432/DB?sslmode=require",
		"postgres://syncbot:${SYNCBOT_POSTGRES_PASSWORD:-}@postgres:5432/syncbot",
		"image: syncbot@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	}
	for _, line := range good {
		if p := scanText("x", line); len(p) > 0 {
			t.Errorf("flagged a placeholder: %v", p)
		}
	}
}
