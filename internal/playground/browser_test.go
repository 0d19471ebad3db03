package playground_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/syncbot/syncbot/internal/demo"
)

const (
	cardSel    = `.msg[data-kind="post"]`
	approveSel = cardSel + ` button[data-action-id="approve"]`
)

// cardReads is a JS predicate: the (only) channel post contains want.
func cardReads(want string) string {
	js, _ := json.Marshal(want)
	return `(() => { const m = document.querySelector('` + cardSel + `'); return !!m && m.innerText.includes(` + string(js) + `); })()`
}

// TestApproveTerminateInBrowser is the playground's own end-to-end test:
// in headless Chromium, alice types a terminate, bob approves it through
// the confirm dialog, the card updates live to terminated, and the fake
// Admin API saw exactly one PATCH.
func TestApproveTerminateInBrowser(t *testing.T) {
	p := start(t)
	ctx := browser(t, 1280, 900)

	do(t, ctx, "open the page as alice",
		chromedp.Navigate(p.URL()+"/?as=alice"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-synced="UALICE"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#apps .app-row[data-app="prod"][data-state="running"]`)),
	)
	do(t, ctx, "type the terminate command and press Enter",
		chromedp.Click(chromedp.CSS(`#composer`)),
		chromedp.SendKeys(chromedp.CSS(`#composer`), "/sync terminate prod planned test"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(approveSel)),
	)
	card := text(t, ctx, cardSel)
	// Wording is the bot's (its golden files pin it); here: the facts.
	for _, want := range []string{"T-", "prod", "@alice", "planned test"} {
		if !strings.Contains(card, want) {
			t.Errorf("the approval card lacks %q:\n%s", want, card)
		}
	}
	if got := text(t, ctx, `.msg[data-kind="command"] .slash`); got != "/sync terminate prod planned test" {
		t.Errorf("alice's own command shows as %q", got)
	}

	do(t, ctx, "switch to bob",
		chromedp.Click(chromedp.CSS(`#as-bob`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-synced="UBOB"]`)),
		chromedp.WaitVisible(chromedp.CSS(approveSel)),
	)
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.msg[data-kind="command"]').length`)); err != nil || n != 0 {
		t.Errorf("bob sees %d of alice's typed commands (err %v), want 0", n, err)
	}

	do(t, ctx, "press Approve as bob",
		chromedp.Click(chromedp.CSS(approveSel)),
		chromedp.WaitVisible(chromedp.CSS(`#modal .modal`)),
	)
	// The dialog shows the button's own confirm object.
	want, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const c = document.querySelector('`+approveSel+`').parentElement.querySelector('template.bk-confirm').content;
		return ['.bk-confirm-title', '.bk-confirm-text', '[data-role=confirm]', '[data-role=deny]'].map(s => c.querySelector(s).textContent);
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	for i, sel := range []string{`#modal-title`, `#modal-body`, `#modal-foot [data-role="confirm"]`, `#modal-foot [data-role="deny"]`} {
		if got := text(t, ctx, sel); got != want[i] || got == "" {
			t.Errorf("confirm dialog %s = %q, want %q", sel, got, want[i])
		}
	}
	if !strings.Contains(want[0], "prod") {
		t.Errorf("the confirm dialog does not name the app: %q", want[0])
	}
	if len(patches(p.Admin, appID("prod"))) != 0 {
		t.Fatal("a PATCH was sent before the dialog was confirmed")
	}

	do(t, ctx, "confirm",
		chromedp.Click(chromedp.CSS(`#modal-foot [data-role="confirm"]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`#modal .modal`)),
	)
	waitJS(t, ctx, "the card to lose its buttons", `!document.querySelector('`+approveSel+`')`)
	waitJS(t, ctx, "the card to read terminated", cardReads("terminated")+` && !`+cardReads("terminating"))
	do(t, ctx, "the side panel to show prod terminated and the PATCH",
		chromedp.WaitVisible(chromedp.CSS(`#apps .app-row[data-app="prod"][data-state="terminated"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#calls .method-PATCH`)),
	)
	card = text(t, ctx, cardSel)
	for _, want := range []string{"terminated", "@bob", "@alice", "planned test"} {
		if !strings.Contains(card, want) {
			t.Errorf("the finished card lacks %q:\n%s", want, card)
		}
	}

	ps := patches(p.Admin, appID("prod"))
	if len(ps) != 1 {
		t.Fatalf("the fake Admin API recorded %d PATCHes for prod, want exactly 1", len(ps))
	}
	var body map[string]map[string]any
	if err := json.Unmarshal(ps[0].Body, &body); err != nil || body["flexible_sync"]["state"] != "" || ps[0].Status != http.StatusNoContent {
		t.Errorf("the PATCH was %s → %d (err %v), want flexible_sync.state \"\" → 204", ps[0].Body, ps[0].Status, err)
	}
	n := 0
	for _, c := range p.Admin.Calls() {
		if c.Method == http.MethodPatch {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d PATCH calls in all, want 1", n)
	}
	if st, _ := p.Admin.SyncState(demo.GroupID, appID("prod")); st != "" {
		t.Errorf("prod's sync state is %q, want terminated (\"\")", st)
	}
	screenshot(t, ctx, filepath.Join(shotDir(t), "playground-terminated.png"))
}

// TestEphemeralsExpiryAndControlsInBrowser: an ephemeral reply shows only to
// its person and says so; an approver outside SYNC_APPROVERS is refused
// privately; the clock control expires a pending card; nothing is PATCHed.
func TestEphemeralsExpiryAndControlsInBrowser(t *testing.T) {
	p := start(t)
	ctx := browser(t, 1280, 900)

	do(t, ctx, "open the page as carol and ask for help",
		chromedp.Navigate(p.URL()+"/?as=carol"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-synced="UCAROL"]`)),
		chromedp.SendKeys(chromedp.CSS(`#composer`), "/sync help"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`.msg-ephemeral .bk-section`)),
	)
	eph := text(t, ctx, `.msg-ephemeral`)
	for _, want := range []string{"Only visible to you", "/sync status", "/sync terminate"} {
		if !strings.Contains(eph, want) {
			t.Errorf("carol's help lacks %q:\n%s", want, eph)
		}
	}

	do(t, ctx, "switch to alice, who must not see carol's help",
		chromedp.Click(chromedp.CSS(`#as-alice`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-synced="UALICE"]`)),
	)
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.msg-ephemeral').length`)); err != nil || n != 0 {
		t.Errorf("alice sees %d ephemeral messages (err %v), want 0", n, err)
	}

	do(t, ctx, "alice asks to terminate staging (from a starter button)",
		chromedp.SendKeys(chromedp.CSS(`#composer`), "/sync terminate staging planned test"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(approveSel)),
	)
	do(t, ctx, "carol tries to approve",
		chromedp.Click(chromedp.CSS(`#as-carol`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-synced="UCAROL"]`)),
		chromedp.Click(chromedp.CSS(approveSel)),
		chromedp.WaitVisible(chromedp.CSS(`#modal-foot [data-role="confirm"]`)),
		chromedp.Click(chromedp.CSS(`#modal-foot [data-role="confirm"]`)),
	)
	waitJS(t, ctx, "carol's private refusal", `document.querySelectorAll('.msg-ephemeral').length >= 2`)
	refusal := text(t, ctx, `.msg-ephemeral:last-of-type`)
	if !strings.Contains(refusal, "Only visible to you") {
		t.Errorf("the refusal is not marked as private:\n%s", refusal)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('`+approveSel+`').length`)); err != nil || n != 1 {
		t.Fatalf("after carol's click the card has %d Approve buttons (err %v): it is no longer pending", n, err)
	}

	do(t, ctx, "move the clock 16 minutes ahead",
		chromedp.Click(chromedp.CSS(`button[data-control="advance"][data-minutes="16"]`)),
	)
	waitJS(t, ctx, "the card to expire", cardReads("expired"))
	waitJS(t, ctx, "the controls to show the offset", `document.querySelector('#controls').innerText.includes('+16 min')`)
	if len(p.Admin.Patches()) != 0 {
		t.Errorf("PATCHes were sent: %d", len(p.Admin.Patches()))
	}

	do(t, ctx, "drop the socket: the bot reconnects",
		chromedp.Click(chromedp.CSS(`button[data-control="drop"]`)),
	)
	waitJS(t, ctx, "the reconnect note", `[...document.querySelectorAll('.sys')].some(s => s.innerText.includes('reconnected'))`)
	do(t, ctx, "status works again after the reconnect",
		chromedp.WaitVisible(chromedp.CSS(`#socket-state.pill-ok`)),
		chromedp.SendKeys(chromedp.CSS(`#composer`), "/sync status staging"+kb.Enter),
	)
	waitJS(t, ctx, "the status reply", `[...document.querySelectorAll('.msg-ephemeral')].some(m => m.innerText.includes('staging') && m.innerText.includes('paused'))`)
	screenshot(t, ctx, filepath.Join(shotDir(t), "playground-expired.png"))
}

// TestDocsScreenshots refreshes the README's pictures. It runs only when
// asked, so CI does not rewrite tracked files:
//
//	SYNCBOT_DOCS_SCREENSHOTS=1 go test -run TestDocsScreenshots ./internal/playground/
func TestDocsScreenshots(t *testing.T) {
	if os.Getenv("SYNCBOT_DOCS_SCREENSHOTS") == "" {
		t.Skip("set SYNCBOT_DOCS_SCREENSHOTS=1 to rewrite docs/playground-*.png")
	}
	docs := filepath.Join("..", "..", "docs")
	if err := os.MkdirAll(docs, 0o755); err != nil {
		t.Fatal(err)
	}
	p := start(t)
	ctx := browser(t, 1200, 800)
	do(t, ctx, "alice asks to terminate prod",
		chromedp.EmulateViewport(1200, 800),
		chromedp.Navigate(p.URL()+"/?as=alice"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-synced="UALICE"]`)),
		chromedp.SendKeys(chromedp.CSS(`#composer`), "/sync status prod"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`.msg-ephemeral .bk-section`)),
		chromedp.SendKeys(chromedp.CSS(`#composer`), "/sync terminate prod clients stuck after the oplog rolled over"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(approveSel)),
	)
	do(t, ctx, "bob looks at it",
		chromedp.Click(chromedp.CSS(`#as-bob`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-synced="UBOB"]`)),
		chromedp.WaitVisible(chromedp.CSS(approveSel)),
	)
	restMouse(t, ctx)
	screenshot(t, ctx, filepath.Join(docs, "playground-card.png"))
	do(t, ctx, "bob approves",
		chromedp.Click(chromedp.CSS(approveSel)),
		chromedp.WaitVisible(chromedp.CSS(`#modal-foot [data-role="confirm"]`)),
	)
	screenshot(t, ctx, filepath.Join(docs, "playground-confirm.png"))
	do(t, ctx, "bob confirms", chromedp.Click(chromedp.CSS(`#modal-foot [data-role="confirm"]`)))
	waitJS(t, ctx, "the card to lose its buttons", `!document.querySelector('`+approveSel+`')`)
	waitJS(t, ctx, "the card to read terminated", cardReads("terminated")+` && !`+cardReads("terminating"))
	do(t, ctx, "the panel to show it", chromedp.WaitVisible(chromedp.CSS(`#apps .app-row[data-app="prod"][data-state="terminated"]`)))
	restMouse(t, ctx)
	waitJS(t, ctx, "the flash to fade", `document.getAnimations().length === 0`)
	screenshot(t, ctx, filepath.Join(docs, "playground-terminated.png"))
}

// restMouse moves the pointer off the messages and the focus out of the
// composer, so a screenshot shows no hover and no caret.
func restMouse(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, "rest the mouse",
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 1190, 790),
		chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`),
	)
}
