package demo_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/syncbot/syncbot/internal/demo"
)

// TestSecretsLookFake: the secrets checks of other tests search output for
// "SECRET", and a demo key must never pass for a real one (an Atlas private
// key is a UUID).
func TestSecretsLookFake(t *testing.T) {
	uuid := regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	for _, s := range []string{demo.AppToken, demo.BotToken, demo.PublicKey, demo.PrivateKey} {
		if !strings.Contains(s, "SECRET") || uuid.MatchString(s) {
			t.Errorf("%q: want SECRET in it and no UUID", s)
		}
	}
}

func TestAppsAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range demo.Apps() {
		id, clientID := a.Ref()
		if (id == "") == (clientID == "") {
			t.Errorf("%s: Ref = %q, %q; want exactly one", a.Alias, id, clientID)
		}
		for _, k := range []string{a.Alias, a.ID, a.ClientAppID} {
			if seen[k] {
				t.Errorf("%q appears twice", k)
			}
			seen[k] = true
		}
	}
}
