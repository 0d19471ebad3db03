package messages_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var book = messages.New("/sync")

var t0 = time.Date(2026, 11, 23, 3, 4, 5, 0, time.UTC)

func baseOp(kind store.Kind, state store.State) store.Op {
	op := store.Op{
		ID: 42, Kind: kind, App: "prod", Requester: "UALICE", RequesterName: "alice", Channel: "COPS",
		State: state, SyncKind: "flexible_sync", SyncBefore: "enabled", CreatedAt: t0, UpdatedAt: t0,
	}
	switch kind {
	case store.Pause:
		op.SyncAfter, op.Reason = "disabled", "cluster upgrade <!channel> & <http://evil|Approve>"
	case store.Resume:
		op.SyncBefore, op.SyncAfter = "disabled", "enabled"
	case store.Terminate:
		op.Reason, op.ExpiresAt = "oplog rolled over; clients stuck <@UEVE>", t0.Add(15*time.Minute)
	}
	return op
}

func with(op store.Op, f func(*store.Op)) store.Op { f(&op); return op }

// breakGlassOp is a break-glass terminate by alice in state, with a
// hostile reason.
func breakGlassOp(state store.State) store.Op {
	op := baseOp(store.Terminate, state)
	op.BreakGlass, op.ExpiresAt = true, time.Time{}
	op.Reason = "prod corrupts client data <!channel>; nobody answers & it's 3am <http://evil|Approve>"
	return op
}

// TestGolden renders every message syncbot sends and compares it with
// testdata/<name>.golden.json; go test -update rewrites them.
// goldenCases are every message syncbot renders, one per golden file.
func goldenCases() map[string]messages.Message { return goldenCasesOf(book) }

// goldenCasesOf renders the golden cases with book.
func goldenCasesOf(book messages.Book) map[string]messages.Message {
	decided := func(s store.State, by string) func(*store.Op) {
		return func(o *store.Op) { o.State, o.DecidedBy = s, by }
	}
	cases := map[string]messages.Message{
		"help":              book.Help([]string{"prod", "staging"}),
		"status_running":    book.Status(messages.StatusView{App: "prod", State: "enabled", Kind: "flexible_sync", Now: t0}),
		"status_paused":     book.Status(messages.StatusView{App: "prod", State: "disabled", Kind: "sync", LastDisabled: t0.Add(-3 * time.Hour), Last: ptr(with(baseOp(store.Pause, store.Succeeded), func(o *store.Op) { o.CreatedAt = t0.Add(-3 * time.Hour) })), Now: t0}),
		"status_terminated": book.Status(messages.StatusView{App: "prod", State: "", Kind: "flexible_sync", Now: t0, Pending: nil, Last: ptr(with(baseOp(store.Terminate, store.Succeeded), decided(store.Succeeded, "UBOB")))}),
		"status_pending":    book.Status(messages.StatusView{App: "prod", State: "enabled", Kind: "flexible_sync", Now: t0, Pending: ptr(baseOp(store.Terminate, store.Pending))}),
		"pause_running":     book.Change(baseOp(store.Pause, store.Executing)),
		"pause_succeeded":   book.Change(baseOp(store.Pause, store.Succeeded)),
		"pause_failed": book.Change(with(baseOp(store.Pause, store.Failed), func(o *store.Op) {
			o.Outcome = "Atlas refused the change (403 Forbidden): syncbot's API key needs the *Project Owner* role on this project."
		})),
		"resume_succeeded": book.Change(baseOp(store.Resume, store.Succeeded)),
		"pause_unknown": book.Change(with(baseOp(store.Pause, store.Unknown), func(o *store.Op) {
			o.Outcome = book.Problem(adminapi.ErrOutcomeUnknown, "prod")
		})),
		"resume_after_terminate": book.Change(with(baseOp(store.Resume, store.Succeeded), func(o *store.Op) {
			o.SyncBefore, o.Detail = "", book.Restored("flexible_sync", "orders", t0.Add(-2*time.Hour), 41)
		})),
		"card_unknown": book.Card(with(baseOp(store.Terminate, store.Unknown), func(o *store.Op) {
			o.DecidedBy, o.Outcome = "UBOB", book.Problem(adminapi.ErrOutcomeUnknown, "prod")
		}), t0),
		"resume_saved_needed": book.SavedNeedsConfirming("prod", book.Restored("flexible_sync", "orders", t0.Add(-40*24*time.Hour), 7),
			[]string{messages.SavedKindDiffers("flexible_sync", "sync"), messages.SavedTooOld(40*24*time.Hour, 30*24*time.Hour)}),
		"card_pending":   book.Card(baseOp(store.Terminate, store.Pending), t0),
		"card_approved":  book.Card(with(baseOp(store.Terminate, store.Approved), decided(store.Approved, "UBOB")), t0),
		"card_executing": book.Card(with(baseOp(store.Terminate, store.Executing), decided(store.Executing, "UBOB")), t0),
		"card_succeeded": book.Card(with(baseOp(store.Terminate, store.Succeeded), decided(store.Succeeded, "UBOB")), t0),
		"card_failed_changed": book.Card(with(baseOp(store.Terminate, store.Failed), func(o *store.Op) {
			o.DecidedBy, o.Outcome = "UBOB", "sync changed since the request: it was `enabled` (running) (Flexible Sync) and is now `disabled` (paused) (Flexible Sync). Nothing was changed; request again if terminate is still right."
		}), t0),
		"card_denied":          book.Card(with(baseOp(store.Terminate, store.Denied), decided(store.Denied, "UBOB")), t0),
		"card_cancelled":       book.Card(with(baseOp(store.Terminate, store.Cancelled), decided(store.Cancelled, "UALICE")), t0),
		"card_expired":         book.Card(baseOp(store.Terminate, store.Expired), t0),
		"history":              book.History("prod", []store.Op{with(baseOp(store.Terminate, store.Succeeded), decided(store.Succeeded, "UBOB")), baseOp(store.Pause, store.Succeeded)}),
		"history_empty":        book.History("", nil),
		"reminder_expiry":      book.ExpiryReminder(baseOp(store.Terminate, store.Pending), t0.Add(11*time.Minute)),
		"reminder_paused":      book.PausedReminder(baseOp(store.Pause, store.Succeeded), t0.Add(25*time.Hour)),
		"breakglass_running":   book.BreakGlass(breakGlassOp(store.Executing), nil),
		"breakglass_succeeded": book.BreakGlass(breakGlassOp(store.Succeeded), []string{"UCAROL", "SONCALL"}),
		"breakglass_failed": book.BreakGlass(with(breakGlassOp(store.Failed), func(o *store.Op) {
			o.Outcome = "The Atlas Admin API answered 500: internal error."
		}), nil),
		"breakglass_reviewed": book.BreakGlass(with(breakGlassOp(store.Succeeded), func(o *store.Op) {
			o.ReviewedBy, o.ReviewedAt = "UCAROL", t0.Add(2*time.Hour)
		}), []string{"UCAROL"}),
		"reminder_review": book.ReviewReminder(breakGlassOp(store.Succeeded), []string{"SONCALL"}, t0.Add(25*time.Hour)),
		"history_breakglass": book.History("prod", []store.Op{
			with(breakGlassOp(store.Succeeded), func(o *store.Op) { o.ID, o.ReviewedBy, o.ReviewedAt = 43, "UCAROL", t0.Add(time.Hour) }),
			breakGlassOp(store.Succeeded),
		}),
		"pending_both": book.Pending([]store.Op{baseOp(store.Terminate, store.Pending)}, []store.Op{with(breakGlassOp(store.Succeeded), func(o *store.Op) { o.ID = 41 })}, t0.Add(time.Hour)),
		"pending_none": book.Pending(nil, nil, t0),
		// Lists longer than a message holds, and answers outside SYNC_CHANNELS.
		"pending_many":            book.Pending(manyOps(25, store.Pending), manyOps(2, store.Succeeded), t0.Add(time.Minute)),
		"history_many":            book.History("", manyOps(17, store.Succeeded)),
		"pending_without_reasons": book.WithoutReasons().Pending([]store.Op{baseOp(store.Terminate, store.Pending)}, []store.Op{with(breakGlassOp(store.Succeeded), func(o *store.Op) { o.ID = 41 })}, t0.Add(time.Hour)),
		"history_without_reasons": book.WithoutReasons().History("prod", []store.Op{with(baseOp(store.Terminate, store.Succeeded), decided(store.Succeeded, "UBOB")), baseOp(store.Pause, store.Succeeded)}),
		"pause_long_reason": book.Change(with(baseOp(store.Pause, store.Succeeded), func(o *store.Op) {
			o.Reason = strings.Repeat("&", 500)
		})),
	}
	for name, m := range triggerGoldenCases(book) {
		cases[name] = m
	}
	return cases
}

// goldenJSON is m as its golden file holds it.
func goldenJSON(t *testing.T, m messages.Message) []byte {
	t.Helper()
	b, err := json.MarshalIndent(struct {
		Text   string `json:"text"`
		Blocks any    `json:"blocks"`
	}{m.Text, m.Blocks}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func TestGolden(t *testing.T) {
	for name, m := range goldenCases() {
		t.Run(name, func(t *testing.T) { checkGolden(t, name, m) })
	}
}

// checkGolden compares m with testdata/<name>.golden.json; go test -update
// rewrites the file instead.
func checkGolden(t *testing.T, name string, m messages.Message) {
	t.Helper()
	got := goldenJSON(t, m)
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (-want +got):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}

// TestUserTextIsInert checks hostile reasons render as typed, escaped once.
func TestUserTextIsInert(t *testing.T) {
	for _, m := range []messages.Message{
		book.Change(baseOp(store.Pause, store.Succeeded)), book.Card(baseOp(store.Terminate, store.Pending), t0),
		book.BreakGlass(breakGlassOp(store.Succeeded), nil), book.ReviewReminder(breakGlassOp(store.Succeeded), nil, t0),
		book.Pending([]store.Op{baseOp(store.Terminate, store.Pending)}, []store.Op{breakGlassOp(store.Succeeded)}, t0),
		book.History("", []store.Op{baseOp(store.Pause, store.Succeeded), breakGlassOp(store.Failed)}),
	} {
		b, _ := json.Marshal(m.Blocks)
		s := string(b)
		for _, bad := range []string{"<!channel>", "<http://evil|Approve>", "<@UEVE>", "&amp;lt;"} {
			if strings.Contains(s, bad) {
				t.Errorf("blocks contain live %q: %s", bad, s)
			}
		}
	}
}

// TestCardLimits checks what Slack enforces: a fallback text, at most 50
// blocks, sections under 3000 characters, the Approve button confirmed.
func TestCardLimits(t *testing.T) {
	m := book.Card(baseOp(store.Terminate, store.Pending), t0)
	if m.Text == "" || len(m.Blocks) > 50 {
		t.Fatalf("text %q, %d blocks", m.Text, len(m.Blocks))
	}
	b, _ := json.Marshal(m.Blocks)
	var blocks []map[string]any
	_ = json.Unmarshal(b, &blocks)
	var approve map[string]any
	for _, bl := range blocks {
		if txt, ok := bl["text"].(map[string]any); ok && len(txt["text"].(string)) > 3000 {
			t.Errorf("section over 3000 characters")
		}
		if els, ok := bl["elements"].([]any); ok && bl["type"] == "actions" {
			for _, e := range els {
				if e.(map[string]any)["action_id"] == messages.ActionApprove {
					approve = e.(map[string]any)
				}
			}
		}
	}
	if approve == nil || approve["confirm"] == nil || approve["value"] != "T-42" || !strings.Contains(approve["text"].(map[string]any)["text"].(string), "Approve") {
		t.Fatalf("approve button = %v", approve)
	}
}

func ptr[T any](v T) *T { return &v }

// An install under another slash command names it in every message, in
// the text and in every block, rendered so from the start; nothing else
// differs.
func TestAnotherCommandChangesOnlyTheCommand(t *testing.T) {
	stale := regexp.MustCompile("/sync([^-a-z]|$)")
	mentions := 0
	staging := goldenCasesOf(messages.New("/sync-staging"))
	for name, m := range goldenCases() {
		want := goldenJSON(t, m)
		got := goldenJSON(t, staging[name])
		if loc := stale.FindIndex(got); loc != nil {
			t.Errorf("%s: still says /sync: …%s…", name, got[max(0, loc[0]-40):loc[1]])
		}
		if !bytes.Equal(bytes.ReplaceAll(got, []byte("/sync-staging"), []byte("/sync")), want) {
			t.Errorf("%s: another command changed more than the command:\n%s", name, got)
		}
		if bytes.Contains(want, []byte("/sync")) {
			mentions++
		}
	}
	if mentions < 10 {
		t.Errorf("only %d messages mention /sync; the test checks little", mentions)
	}
}

// Every hint names the whole command to type: `/sync resume prod`, never a
// bare `/sync resume` a tired person has to complete; and every message
// about an operation shows its id.
func TestHintsAreWholeCommands(t *testing.T) {
	bare := regexp.MustCompile("`/sync (resume|status|terminate|pause)`")
	for name, m := range goldenCases() {
		got := goldenJSON(t, m)
		if loc := bare.FindIndex(got); loc != nil {
			t.Errorf("%s: a hint without its app: %s", name, got[loc[0]:loc[1]])
		}
		if (strings.HasPrefix(name, "pause_") || strings.HasPrefix(name, "resume_") || strings.HasPrefix(name, "card_")) && name != "resume_saved_needed" && !bytes.Contains(got, []byte("T-42")) {
			t.Errorf("%s: the operation's id is not shown", name)
		}
	}
}
