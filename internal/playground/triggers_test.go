package playground_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/syncbot/syncbot/internal/demo"
)

// TestTriggersInBrowser: the panel shows the two demo triggers, alice
// lists them, asks to resume the suspended one without its missed events,
// bob approves, and the panel shows it firing; the fake saw one resume
// with disable_token true. With SYNCBOT_DOCS_SCREENSHOTS=1 its pictures
// go to docs/ (the README shows them).
func TestTriggersInBrowser(t *testing.T) {
	p := start(t)
	ctx := browser(t, 1200, 800)
	dir := shotDir(t)
	if os.Getenv("SYNCBOT_DOCS_SCREENSHOTS") != "" {
		dir = filepath.Join("..", "..", "docs")
	}
	do(t, ctx, "alice lists prod's triggers",
		chromedp.EmulateViewport(1200, 800),
		chromedp.Navigate(p.URL()+"/?as=alice"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-synced="UALICE"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#apps .app-row[data-app="orders-audit"][data-state="not firing"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#apps .app-row[data-app="orders-sync"][data-state="firing"]`)),
		chromedp.SendKeys(chromedp.CSS(`#composer`), "/sync triggers prod"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`.msg-ephemeral .bk-section`)),
	)
	list := text(t, ctx, `.msg-ephemeral`)
	for _, want := range []string{"orders-sync", "orders-audit", "suspended", "2 triggers: 1 enabled, 1 suspended"} {
		if !strings.Contains(list, want) {
			t.Errorf("the list lacks %q:\n%s", want, list)
		}
	}
	restMouse(t, ctx)
	screenshot(t, ctx, filepath.Join(dir, "playground-triggers.png"))

	do(t, ctx, "alice asks to skip the missed events; bob looks",
		chromedp.SendKeys(chromedp.CSS(`#composer`), "/sync trigger resume prod orders-audit --skip-missed the orders collection was renamed; replaying is impossible"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(approveSel)),
		chromedp.Click(chromedp.CSS(`#as-bob`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-synced="UBOB"]`)),
		chromedp.WaitVisible(chromedp.CSS(approveSel)),
	)
	restMouse(t, ctx)
	screenshot(t, ctx, filepath.Join(dir, "playground-skip-missed.png"))
	do(t, ctx, "bob approves and confirms",
		chromedp.Click(chromedp.CSS(approveSel)),
		chromedp.WaitVisible(chromedp.CSS(`#modal-foot [data-role="confirm"]`)),
		chromedp.Click(chromedp.CSS(`#modal-foot [data-role="confirm"]`)),
	)
	waitJS(t, ctx, "the card to lose its buttons", `!document.querySelector('`+approveSel+`')`)
	waitJS(t, ctx, "the card to read resumed", cardReads("resumed without the missed events"))
	do(t, ctx, "the panel to show it firing", chromedp.WaitVisible(chromedp.CSS(`#apps .app-row[data-app="orders-audit"][data-state="firing"]`)))
	var resumes []string
	for _, put := range p.Admin.TriggerPuts() {
		if put.Resume {
			resumes = append(resumes, string(put.Body))
		}
	}
	if len(resumes) != 1 || resumes[0] != `{"disable_token":true}` || p.Admin.TriggerState(demo.GroupID, demo.ProdID, demo.AuditTriggerID) != "enabled" {
		t.Errorf("resumes %v, trigger %s", resumes, p.Admin.TriggerState(demo.GroupID, demo.ProdID, demo.AuditTriggerID))
	}
}
