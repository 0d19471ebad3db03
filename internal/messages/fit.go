package messages

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/syncbot/syncbot/internal/blocklimits"
)

// How much of a reason a message shows: a reason is at most 500
// characters as typed, but escaping can make it five times longer, and a
// section field holds 2000 (blocklimits.MaxFieldText), its label included.
const (
	maxReasonShown = blocklimits.MaxFieldText - 100
	maxRowReason   = 120 // a reason's preview in a list row, escaped
	maxRowOutcome  = 160 // an outcome in a history row
	// Rows per list: two lists of pending, each with a title and a note,
	// and the "…and N more" line stay under blocklimits.MaxBlocks.
	maxListRows = 20
)

const clipped = "… (clipped)"

// reasonShown is a reason as a message shows it: escaped, then clipped to
// what fits, saying so.
func reasonShown(raw string) string { return clipMrkdwn(Escape(raw), maxReasonShown, clipped) }

// reasonRow is a reason's preview in a list row.
func reasonRow(raw string) string { return clipMrkdwn(Escape(raw), maxRowReason, "…") }

// clipMrkdwn cuts mrkdwn s to at most n characters, mark included, where
// it can be cut: never inside an entity (&amp;), a <…> sequence (a date,
// a mention) or a `code` span, which would show half of one, or turn the
// rest of the message into code.
func clipMrkdwn(s string, n int, mark string) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	room := n - utf8.RuneCountInString(mark)
	end, used := 0, 0
	for end < len(s) {
		tok := tokenAt(s[end:])
		c := utf8.RuneCountInString(tok)
		if used+c > room {
			break
		}
		end += len(tok)
		used += c
	}
	return strings.TrimRight(s[:end], " ") + mark
}

// tokenAt is the unit at the start of s that a cut must not split: an
// entity, a <…> sequence, a `code` span, or else one character.
func tokenAt(s string) string {
	closing := map[byte]byte{'&': ';', '<': '>', '`': '`'}
	if c, ok := closing[s[0]]; ok {
		if i := strings.IndexByte(s[1:], c); i >= 0 && (s[0] != '&' || i <= 8) {
			return s[:i+2]
		}
	}
	_, size := utf8.DecodeRuneInString(s)
	return s[:size]
}

// moreLine ends a list that shows only some of its rows; narrow, when
// set, is the command that lists fewer.
func moreLine(n int, narrow string) string {
	s := fmt.Sprintf("…and %d more", n)
	if narrow != "" {
		s += " (" + narrow + " narrows it)"
	}
	return s
}
