package config_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/syncbot/syncbot/internal/config"
)

// FuzzParseApps: no SYNC_APPS value panics; what is accepted is usable, and
// an error always names the variable.
func FuzzParseApps(f *testing.F) {
	for _, s := range []string{"prod:" + group + "/" + appID, "a:" + group + "/my-app,b:" + group + "/" + appID,
		"", ",", "x:/", ":/", "prod:" + group + "/" + appID + ",PROD:" + group + "/x"} {
		f.Add(s)
	}
	hex24 := regexp.MustCompile(`^[0-9a-f]{24}$`)
	f.Fuzz(func(t *testing.T, raw string) {
		apps, err := config.ParseApps(raw)
		if err != nil {
			if !strings.Contains(err.Error(), "SYNC_APPS") {
				t.Fatalf("error does not name SYNC_APPS: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, a := range apps {
			if a.Alias == "" || a.Alias != strings.ToLower(a.Alias) || seen[a.Alias] {
				t.Fatalf("bad or duplicate alias %q", a.Alias)
			}
			seen[a.Alias] = true
			if !hex24.MatchString(a.GroupID) {
				t.Fatalf("group id %q", a.GroupID)
			}
			if (a.AppID == "") == (a.ClientAppID == "") {
				t.Fatalf("want exactly one of AppID and ClientAppID: %+v", a)
			}
			if a.AppID != "" && !hex24.MatchString(a.AppID) {
				t.Fatalf("app id %q", a.AppID)
			}
		}
	})
}
