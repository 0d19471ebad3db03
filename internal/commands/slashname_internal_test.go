package commands

import "testing"

func TestRenameCommand(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"`/sync status prod`", "`/sync-staging status prod`"},
		{"/sync", "/sync-staging"},
		{"Try /sync. Or `/sync help`", "Try /sync-staging. Or `/sync-staging help`"},
		{"/sync /sync", "/sync-staging /sync-staging"},
		{"(/sync ack T-7)", "(/sync-staging ack T-7)"},
		{"/sync-staging and /syncx and a/sync and /sync_b and https://x.io/sync", "/sync-staging and /syncx and a/sync and /sync_b and https://x.io/sync"},
		{"no command here", "no command here"},
	} {
		if got := renameCommand(tt.in, "/sync-staging"); got != tt.want {
			t.Errorf("renameCommand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := renameCommand("`/sync help`", "/sync"); got != "`/sync help`" {
		t.Errorf("renaming to /sync changed %q", got)
	}
}
