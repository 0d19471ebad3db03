package playground_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/syncbot/syncbot/internal/playground"
)

// layoutProblems is a JS expression listing what is wrong with the page's
// layout at the current width: sideways scrolling, a control outside the
// viewport, the side panel beside a channel too narrow for it, an Admin
// API path broken over lines.
const layoutProblems = `(() => {
	const p = [], W = window.innerWidth;
	const rect = s => document.querySelector(s).getBoundingClientRect();
	if (document.documentElement.scrollWidth > W) p.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + W);
	for (const el of document.querySelectorAll('body *')) {
		const r = el.getBoundingClientRect();
		if (r.width > 0 && (r.right > W + 0.5 || r.left < -0.5) && getComputedStyle(el).position !== 'fixed' && !el.closest('[hidden]')) {
			p.push((el.id ? '#' + el.id : el.className || el.tagName) + ' sticks out: ' + Math.round(r.left) + '..' + Math.round(r.right));
			if (p.length > 5) break;
		}
	}
	for (const s of ['#send', '#composer', '#as-bob', '#as-carol']) {
		const r = rect(s);
		if (r.left < 0 || r.right > W || r.width < 20) p.push(s + ' is not fully visible: ' + Math.round(r.left) + '..' + Math.round(r.right));
	}
	if (W < 760 && rect('.side').top < rect('.channel').bottom - 1) p.push('the side panel is not below the channel');
	if (W < 760 && rect('#send').bottom > window.innerHeight) p.push('the composer is below the first screen');
	for (const el of document.querySelectorAll('.call-path')) {
		const lines = Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight));
		if (lines > 1) { p.push('an Admin API path takes ' + lines + ' lines: ' + el.textContent); break; }
	}
	return p;
})()`

// TestLayoutInBrowser loads the page at a phone's width, a small laptop's
// and a desktop's, with a paused app, a terminate card and an ephemeral
// reply on screen, and checks it is usable at each: no sideways
// scrolling, the composer and its button visible, the side panel below the
// channel when narrow, the Admin API paths readable. Its screenshots go to
// the test's temp dir (SYNCBOT_SCREENSHOT_DIR keeps them);
// SYNCBOT_DOCS_SCREENSHOTS=1 rewrites docs/playground-390.png and -1400.png,
// to be looked at before committing (emoji drawn, nothing cut off).
func TestLayoutInBrowser(t *testing.T) {
	for _, size := range []struct{ w, h int }{{390, 844}, {1024, 768}, {1400, 900}} {
		t.Run(fmt.Sprintf("%dpx", size.w), func(t *testing.T) {
			p := start(t)
			ctx := browser(t, size.w, size.h)
			// Headless Chromium's window is at least 500 px wide: the
			// viewport is set on the page instead.
			do(t, ctx, "set the viewport", chromedp.EmulateViewport(int64(size.w), int64(size.h)))
			fillChannel(t, ctx, p)
			if w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.innerWidth`)); err != nil || w != size.w {
				t.Fatalf("the viewport is %d px wide (err %v), want %d", w, err, size.w)
			}
			problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](layoutProblems))
			if err != nil {
				t.Fatal(err)
			}
			for _, problem := range problems {
				t.Error(problem)
			}
			dir := shotDir(t)
			if os.Getenv("SYNCBOT_DOCS_SCREENSHOTS") != "" && size.w != 1024 {
				dir = filepath.Join("..", "..", "docs")
			}
			screenshot(t, ctx, filepath.Join(dir, fmt.Sprintf("playground-%d.png", size.w)))
		})
	}
}

// fillChannel puts one of each kind of message on screen: an ephemeral
// status reply (👁), a pause (⏸) and, last, a terminate card (🛑), and the
// Admin API calls they made.
func fillChannel(t *testing.T, ctx context.Context, p *playground.Playground) {
	t.Helper()
	do(t, ctx, "open the page as alice, read legacy's status, pause prod, ask to terminate legacy",
		chromedp.Navigate(p.URL()+"/?as=alice"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-synced="UALICE"]`)),
		chromedp.SendKeys(chromedp.CSS(`#composer`), "/sync status legacy"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`.msg-ephemeral .bk-section`)),
		chromedp.SendKeys(chromedp.CSS(`#composer`), "/sync pause prod db maintenance"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`#apps .app-row[data-app="prod"][data-state="paused"]`)),
		chromedp.SendKeys(chromedp.CSS(`#composer`), "/sync terminate legacy clients stuck after the oplog rolled over"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(approveSel)),
	)
	restMouse(t, ctx)
	waitJS(t, ctx, "the flash to fade", `document.getAnimations().length === 0`)
}
