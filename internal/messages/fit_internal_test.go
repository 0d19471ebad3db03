package messages

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestClipMrkdwnCutsBetweenUnits: a clipped outcome or reason never ends
// inside an entity, a <…> sequence or a `code` span, stays within n
// characters, and says it was clipped.
func TestClipMrkdwnCutsBetweenUnits(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		n        int
		want     string
	}{
		{"short is kept", "Sync is `enabled`.", 40, "Sync is `enabled`."},
		{"entity kept whole", "a &amp; b", 5, "a…"},
		{"entity fits", "a &amp; b", 8, "a &amp;…"},
		{"code span kept whole", "was `disabled` (paused)", 10, "was…"},
		{"mention kept whole", "by <@UALICE> at", 8, "by…"},
		{"multi-byte characters", "é€😀abc", 4, "é€😀…"},
		{"a lone & is a character", "a & b & c & d", 6, "a & b…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := clipMrkdwn(tc.in, tc.n, "…")
			if got != tc.want {
				t.Errorf("clipMrkdwn(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
		})
	}
	// A history row's outcome, cut anywhere: never half a unit.
	outcome := "Atlas answered `409 Conflict` &amp; said &lt;draft open&gt;: " + strings.Repeat("`code` &amp; ", 30)
	for n := 5; n < len(outcome); n++ {
		got := clipMrkdwn(outcome, n, "…")
		if c := utf8.RuneCountInString(got); c > n {
			t.Fatalf("n=%d: %d characters", n, c)
		}
		if strings.Count(got, "`")%2 != 0 {
			t.Fatalf("n=%d: an open code span: %q", n, got)
		}
		if i := strings.LastIndexByte(got, '&'); i >= 0 && !strings.Contains(got[i:], ";") {
			t.Fatalf("n=%d: half an entity: %q", n, got)
		}
	}
}

// TestReasonClippedAfterEscaping: a 500-character reason of & fits in a
// field once escaped, and says it was clipped.
func TestReasonClippedAfterEscaping(t *testing.T) {
	got := reasonShown(strings.Repeat("&", 500))
	if n := utf8.RuneCountInString(got); n > maxReasonShown || !strings.HasSuffix(got, "&amp;"+clipped) {
		t.Errorf("%d characters, ends %q", n, got[len(got)-20:])
	}
	if got := reasonShown("short & sweet"); got != "short &amp; sweet" {
		t.Errorf("a short reason = %q", got)
	}
}
