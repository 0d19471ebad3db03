package playground_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestClusterPauseInBrowser: alice asks to pause the cluster prod runs
// on, the card names its apps, bob approves, the card and the panel show
// it paused with both running syncs paused first; then a resume waits for
// the cluster (a few seconds of the playground's clock) and resumes them.
// With SYNCBOT_DOCS_SCREENSHOTS set, the card goes to
// docs/playground-cluster-pause.png.
func TestClusterPauseInBrowser(t *testing.T) {
	p := start(t)
	ctx := browser(t, 1200, 900)
	do(t, ctx, "alice asks to pause the cluster",
		chromedp.EmulateViewport(1200, 900),
		chromedp.Navigate(p.URL()+"/?as=alice"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-synced="UALICE"]`)),
		chromedp.SendKeys(chromedp.CSS(`#composer`), "/sync cluster pause prod quarterly savings, nobody uses it at night"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(approveSel)),
	)
	do(t, ctx, "bob looks at it",
		chromedp.Click(chromedp.CSS(`#as-bob`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-synced="UBOB"]`)),
		chromedp.WaitVisible(chromedp.CSS(approveSel)),
	)
	for _, want := range []string{"pause cluster Cluster0 (M10)?", "prod: sync enabled", "staging: sync disabled", "Atlas resumes a paused cluster by itself after 30 days"} {
		waitJS(t, ctx, "the card to say "+want, cardReads(want))
	}
	restMouse(t, ctx)
	dir := shotDir(t)
	if os.Getenv("SYNCBOT_DOCS_SCREENSHOTS") != "" {
		dir = filepath.Join("..", "..", "docs")
	}
	screenshot(t, ctx, filepath.Join(dir, "playground-cluster-pause.png"))

	do(t, ctx, "bob approves",
		chromedp.Click(chromedp.CSS(approveSel)),
		chromedp.WaitVisible(chromedp.CSS(`#modal-foot [data-role="confirm"]`)),
		chromedp.Click(chromedp.CSS(`#modal-foot [data-role="confirm"]`)),
	)
	waitJS(t, ctx, "the card to read paused", cardReads("cluster Cluster0 is paused"))
	do(t, ctx, "the panel to show the cluster paused and prod's sync too",
		chromedp.WaitVisible(chromedp.CSS(`#apps .app-row[data-app="Cluster0"][data-state="paused"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#apps .app-row[data-app="prod"][data-state="paused"]`)),
	)
	var patches int
	for _, c := range p.Atlas.Calls() {
		if c.Method == "PATCH" {
			patches++
		}
	}
	if patches != 1 {
		t.Errorf("%d cluster PATCHes, want 1", patches)
	}

	p.Clock.Advance(time.Minute) // the pause's UPDATING is over: Atlas refuses a resume before
	do(t, ctx, "bob resumes it",
		chromedp.SendKeys(chromedp.CSS(`#composer`), "/sync cluster resume prod"+kb.Enter),
	)
	waitJS(t, ctx, "the resume to wait for the cluster", `document.body.innerText.includes("waiting for the cluster")`)
	waitJS(t, ctx, "the resume to finish", `document.body.innerText.includes("cluster Cluster0 is running")`)
	do(t, ctx, "the panel to show prod running again",
		chromedp.WaitVisible(chromedp.CSS(`#apps .app-row[data-app="prod"][data-state="running"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#apps .app-row[data-app="staging"][data-state="paused"]`)),
	)
	if body := text(t, ctx, "body"); strings.Contains(body, "SECRET") {
		t.Error("a key shows on the page")
	}
}
