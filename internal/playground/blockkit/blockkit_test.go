package blockkit_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/syncbot/syncbot/internal/playground/blockkit"
)

// goldenDir holds the bot's own messages, the golden files of the command
// service: the renderer is tested on exactly what the bot sends.
const goldenDir = "../../messages/testdata"

var users = map[string]string{"UALICE": "alice", "UBOB": "bob", "UCAROL": "carol"}

func renderer() *blockkit.Renderer {
	return blockkit.New(blockkit.Options{
		UserName:    func(id string) string { return users[id] },
		ChannelName: func(id string) string { return map[string]string{"COPS": "ops"}[id] },
	})
}

type golden struct {
	Text   string          `json:"text"`
	Blocks json.RawMessage `json:"blocks"`
}

func goldens(t *testing.T) map[string]golden {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.golden.json"))
	if err != nil || len(files) < 10 {
		t.Fatalf("expected the bot's golden files in %s, found %d (%v)", goldenDir, len(files), err)
	}
	out := map[string]golden{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var g golden
		if err := json.Unmarshal(b, &g); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".golden.json")] = g
	}
	return out
}

// TestRendersEveryGoldenMessage renders each message the bot sends (the
// command service's golden files, whatever they say today) and checks that
// every block and element came out as what it is, that every mention and
// date was recognised, and that the HTML is balanced and uses only the
// renderer's own tags and attributes. It checks structure, not wording, so
// a change of the bot's text needs no change here.
func TestRendersEveryGoldenMessage(t *testing.T) {
	r := renderer()
	seen := map[string]bool{}
	for name, g := range goldens(t) {
		t.Run(name, func(t *testing.T) {
			h, err := r.Blocks(g.Blocks)
			if err != nil {
				t.Fatalf("Blocks: %v", err)
			}
			out := string(h)
			if strings.Contains(out, "bk-unsupported") {
				t.Fatalf("a block did not render:\n%s", out)
			}
			checkHTML(t, out)

			var blocks []struct {
				Type     string            `json:"type"`
				Fields   []json.RawMessage `json:"fields"`
				Elements []struct {
					Type    string          `json:"type"`
					Confirm json.RawMessage `json:"confirm"`
					Style   string          `json:"style"`
				} `json:"elements"`
			}
			if err := json.Unmarshal(g.Blocks, &blocks); err != nil {
				t.Fatal(err)
			}
			want := map[string]int{}
			fields, buttons, confirms, contextEls := 0, 0, 0, 0
			for _, b := range blocks {
				seen[b.Type] = true
				want[b.Type]++
				fields += len(b.Fields)
				for _, e := range b.Elements {
					seen[b.Type+"/"+e.Type] = true
					switch {
					case e.Type == "button":
						buttons++
						if len(e.Confirm) > 0 {
							confirms++
							seen["confirm"] = true
						}
						if e.Style != "" {
							seen["button style "+e.Style] = true
						}
					case b.Type == "context":
						contextEls++
					}
				}
			}
			for typ, n := range want {
				if got := strings.Count(out, `class="bk-block bk-`+typ+`"`); got != n {
					t.Errorf("%d %s blocks rendered, want %d", got, typ, n)
				}
			}
			for what, pair := range map[string][2]int{
				"fields":           {strings.Count(out, `class="bk-field"`), fields},
				"buttons":          {strings.Count(out, `<button type="button" class="bk-button`) - confirms*2, buttons},
				"confirm dialogs":  {strings.Count(out, `<template class="bk-confirm">`), confirms},
				"context elements": {strings.Count(out, `class="bk-context-el"`), contextEls},
			} {
				if pair[0] != pair[1] {
					t.Errorf("%d %s rendered, want %d", pair[0], what, pair[1])
				}
			}
			// Every <@U…> mention in the JSON shows as @name, every date as
			// a <time> with its fallback.
			raw := string(g.Blocks)
			for id, name := range users {
				if strings.Contains(raw, `\u003c@`+id+`\u003e`) && !strings.Contains(out, `data-user="`+id+`">@`+name+`</span>`) {
					t.Errorf("mention of %s not shown as @%s", id, name)
				}
			}
			if n := strings.Count(raw, `\u003c!date^`); n != strings.Count(out, `<time class="bk-date"`) {
				t.Errorf("%d dates in the JSON, %d <time> elements", n, strings.Count(out, `<time class="bk-date"`))
			}
			// Whatever the user typed and the bot escaped stays text.
			if strings.Contains(raw, `\u0026lt;`) && !strings.Contains(out, "&lt;") {
				t.Errorf("escaped text lost its escaping")
			}

		})
	}
	// The goldens cover every block and element type the bot sends; if the
	// bot starts sending a new one, this list grows and the renderer with it.
	for _, typ := range []string{"section", "context", "divider", "actions", "actions/button", "context/mrkdwn", "confirm", "button style danger"} {
		if !seen[typ] {
			t.Errorf("no golden file has %s: the test no longer covers it", typ)
		}
	}
}

// TestApprovalCardRendersLikeSlack pins the exact HTML of the approval
// card, from a copy of its golden file taken when this was written
// (testdata/approval_card.json), so the bot's wording can move on freely.
func TestApprovalCardRendersLikeSlack(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "approval_card.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	out := string(renderer().Message(g.Text, g.Blocks))
	for _, want := range []string{
		`<b>T-42: terminate Device Sync for prod?</b>`,
		`<div class="bk-field"><b>Requested by</b><br><span class="bk-mention" data-user="UALICE">@alice</span></div>`,
		`<code class="bk-code">enabled</code> (running) → terminated`,
		`<time class="bk-date" datetime="2026-11-23T03:04:05Z" data-ts="1795403045" data-format="{date_short_pretty} {time}" title="2026-11-23 03:04 UTC">2026-11-23 03:04 UTC</time>`,
		// hostile reason text: shown as typed, never a mention
		`clients stuck &lt;@UEVE&gt;`,
		`<hr class="bk-block bk-divider">`,
		`<div class="bk-block bk-actions" data-block-id="decision">`,
		`<button type="button" class="bk-button bk-danger" data-action-id="approve" data-block-id="decision" data-value="T-42" data-confirm="1">Approve terminate</button>`,
		`<div class="bk-confirm-title">Terminate sync for prod?</div>`,
		`<div class="bk-confirm-text">This deletes sync history for <b>prod</b>. Every client must do a client reset. This cannot be undone.</div>`,
		`<button type="button" class="bk-button" data-role="deny">Go back</button><button type="button" class="bk-button bk-danger" data-role="confirm">Terminate</button>`,
		`<button type="button" class="bk-button" data-action-id="deny" data-block-id="decision" data-value="T-42">Deny</button>`,
		`<div class="bk-block bk-context"><span class="bk-context-el">Expires <time`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s\nin %s", want, out)
		}
	}
	if strings.Contains(out, "UEVE\"") {
		t.Errorf("the escaped <@UEVE> in the reason became a mention")
	}
}

func TestMrkdwn(t *testing.T) {
	r := renderer()
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"*bold* and _italic_ and ~strike~ and `code`", "<b>bold</b> and <i>italic</i> and <s>strike</s> and <code class=\"bk-code\">code</code>"},
		{"*bold _nested_*", "<b>bold <i>nested</i></b>"},
		{"(*in parens*)", "(<b>in parens</b>)"},
		{"*Reason:* x", "<b>Reason:</b> x"},
		{"snake_case_name and 2*3*4", "snake_case_name and 2*3*4"},
		{"a * b * c", "a * b * c"},
		{"*unclosed", "*unclosed"},
		{"*no\nnewline*", "*no<br>newline*"},
		{"**", "**"},
		{"`*not bold*` *bold*", "<code class=\"bk-code\">*not bold*</code> <b>bold</b>"},
		{"```\npre *x*\nline```", "<pre class=\"bk-pre\">pre *x*<br>line</pre>"},
		{"line1\nline2", "line1<br>line2"},
		{"    _indented_", "    <i>indented</i>"},
		{"<@UBOB> and <@UNKNOWN|zed> and <@UX>", `<span class="bk-mention" data-user="UBOB">@bob</span> and <span class="bk-mention" data-user="UNKNOWN">@zed</span> and <span class="bk-mention" data-user="UX">@UX</span>`},
		{"<#COPS> <#CX|general>", `<span class="bk-channel">#ops</span> <span class="bk-channel">#general</span>`},
		{"<!here> <!channel>", `<span class="bk-mention bk-broadcast">@here</span> <span class="bk-mention bk-broadcast">@channel</span>`},
		{"<!subteam^S1|@oncall>", `<span class="bk-mention bk-broadcast">@oncall</span>`},
		{"<https://example.com/a?b=1&amp;c=2|the docs>", `<a class="bk-link" href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">the docs</a>`},
		{"<https://example.com>", `<a class="bk-link" href="https://example.com" target="_blank" rel="noopener noreferrer">https://example.com</a>`},
		{"<javascript:alert(1)|click>", "&lt;javascript:alert(1)|click&gt;"},
		{"`/sync status <app>`", `<code class="bk-code">/sync status &lt;app&gt;</code>`},
		{"ask <reason>", "ask &lt;reason&gt;"},
		{"&lt;!channel&gt; &amp; &lt;http://evil|Approve&gt;", "&lt;!channel&gt; &amp; &lt;http://evil|Approve&gt;"},
		{"&amp;lt;", "&amp;lt;"},
		{"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{`"quotes" & 'apos'`, "&#34;quotes&#34; &amp; &#39;apos&#39;"},
		{">quoted\n>more\nafter", `<blockquote class="bk-quote">quoted<br>more</blockquote>after`},
		{"&gt; not a quote", "&gt; not a quote"},
		{"<!date^1795403045^{date_short_pretty} {time}|2026-11-23 03:04 UTC>", `<time class="bk-date" datetime="2026-11-23T03:04:05Z" data-ts="1795403045" data-format="{date_short_pretty} {time}" title="2026-11-23 03:04 UTC">2026-11-23 03:04 UTC</time>`},
		{"<!date^notanumber^{time}|x>", "&lt;!date^notanumber^{time}|x&gt;"},
		{"_<@UBOB>_", `<i><span class="bk-mention" data-user="UBOB">@bob</span></i>`},
	} {
		if got := string(r.Mrkdwn(tc.in)); got != tc.want {
			t.Errorf("Mrkdwn(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestMessageFallsBackToText(t *testing.T) {
	r := renderer()
	if got := string(r.Message("*hi* <@UALICE>", nil)); !strings.Contains(got, `<b>hi</b> <span class="bk-mention" data-user="UALICE">@alice</span>`) {
		t.Errorf("text-only message: %s", got)
	}
	got := string(r.Message("fallback", json.RawMessage(`{"not":"an array"}`)))
	if !strings.Contains(got, "fallback") || !strings.Contains(got, "bk-unsupported") {
		t.Errorf("unreadable blocks: %s", got)
	}
	got = string(r.Message("x", json.RawMessage(`[{"type":"video","title":{"type":"plain_text","text":"<b>"}},{"type":"actions","elements":[{"type":"static_select"}]}]`)))
	if !strings.Contains(got, "a video block") || !strings.Contains(got, "a static_select element") || strings.Contains(got, "<b>") {
		t.Errorf("unknown blocks: %s", got)
	}
}

func TestHostileBlockKitStaysInert(t *testing.T) {
	r := renderer()
	evil := `"><script>alert(1)</script><img src=x onerror=alert(1)>`
	js, _ := json.Marshal(evil)
	raw := `[
	 {"type":"header","text":{"type":"plain_text","text":` + string(js) + `}},
	 {"type":"section","block_id":` + string(js) + `,"text":{"type":"mrkdwn","text":` + string(js) + `},"fields":[{"type":"plain_text","text":` + string(js) + `}]},
	 {"type":"context","elements":[{"type":"mrkdwn","text":` + string(js) + `},{"type":"image","image_url":"x","alt_text":` + string(js) + `}]},
	 {"type":"actions","block_id":` + string(js) + `,"elements":[
	   {"type":"button","text":{"type":"plain_text","text":` + string(js) + `},"action_id":` + string(js) + `,"value":` + string(js) + `,"style":` + string(js) + `,
	    "confirm":{"title":{"type":"plain_text","text":` + string(js) + `},"text":{"type":"mrkdwn","text":` + string(js) + `},"confirm":{"type":"plain_text","text":` + string(js) + `},"deny":{"type":"plain_text","text":` + string(js) + `},"style":` + string(js) + `}},
	   {"type":"button","text":{"type":"plain_text","text":"link"},"url":"javascript:alert(1)"}]},
	 {"type":"section","text":{"type":"mrkdwn","text":"<javascript:alert(1)|x> <https://ok.example/\"onmouseover=alert(1)|y>"}}
	]`
	h, err := r.Blocks(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	out := string(h)
	checkHTML(t, out)
	// checkHTML proved every tag and attribute is the renderer's own and
	// no "<" is loose in text; what is left is where values landed.
	if strings.Contains(out, "href=") {
		t.Errorf("a javascript: URL became a link:\n%s", out)
	}
	if strings.Contains(out, "bk-&#34;") {
		t.Errorf("an unknown style reached a class attribute:\n%s", out)
	}
	if n := strings.Count(out, "&lt;script&gt;alert(1)&lt;/script&gt;"); n < 10 {
		t.Errorf("hostile text shown as text %d times, want every place it was put:\n%s", n, out)
	}
}

// FuzzMrkdwn: whatever the text, the output is balanced HTML made only of
// the renderer's own tags and attributes.
func FuzzMrkdwn(f *testing.F) {
	for _, g := range []string{
		"*b* _i_ ~s~ `c` ```p```", "<@U1|x> <#C1> <!here> <!date^1^{time}|f>", "<http://a|b> <mailto:a@b|m>",
		"&lt;&gt;&amp;", ">q\n>q2", "<script>", `"'<>&`, "*_~`", "<<>>", "<!date^1^{time}^https://x|f>",
	} {
		f.Add(g)
	}
	r := renderer()
	f.Fuzz(func(t *testing.T, s string) {
		checkHTML(t, string(r.Mrkdwn(s)))
	})
}

var (
	tagRE   = regexp.MustCompile(`<(/?)([a-zA-Z0-9]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>`)
	attrRE  = regexp.MustCompile(`\s+([a-z-]+)="`)
	allowed = map[string]bool{
		"b": true, "i": true, "s": true, "code": true, "pre": true, "br": true, "blockquote": true, "span": true,
		"a": true, "time": true, "div": true, "hr": true, "button": true, "template": true,
	}
	allowedAttr = map[string]bool{
		"class": true, "data-user": true, "href": true, "target": true, "rel": true, "datetime": true, "data-ts": true,
		"data-format": true, "title": true, "data-block-id": true, "data-action-id": true, "data-value": true,
		"data-confirm": true, "data-role": true, "type": true,
	}
	void = map[string]bool{"br": true, "hr": true}
)

// checkHTML checks that h is balanced, uses only the renderer's tags and
// attributes, and has no stray "<" outside them.
func checkHTML(t *testing.T, h string) {
	t.Helper()
	var stack []string
	rest := h
	for {
		loc := tagRE.FindStringSubmatchIndex(rest)
		text := rest
		if loc != nil {
			text = rest[:loc[0]]
		}
		if strings.ContainsAny(text, "<>") {
			t.Fatalf("raw < or > in text %q of\n%s", text, h)
		}
		if loc == nil {
			break
		}
		closing, name, attrs := rest[loc[2]:loc[3]] == "/", rest[loc[4]:loc[5]], rest[loc[6]:loc[7]]
		if !allowed[name] {
			t.Fatalf("tag <%s> is not one the renderer makes:\n%s", name, h)
		}
		for _, m := range attrRE.FindAllStringSubmatch(attrs, -1) {
			if !allowedAttr[m[1]] {
				t.Fatalf("attribute %s is not one the renderer makes:\n%s", m[1], h)
			}
		}
		switch {
		case void[name]:
		case closing:
			if len(stack) == 0 || stack[len(stack)-1] != name {
				t.Fatalf("</%s> closes %v in\n%s", name, stack, h)
			}
			stack = stack[:len(stack)-1]
		default:
			stack = append(stack, name)
		}
		rest = rest[loc[1]:]
	}
	if len(stack) > 0 {
		t.Fatalf("unclosed %v in\n%s", stack, h)
	}
}
