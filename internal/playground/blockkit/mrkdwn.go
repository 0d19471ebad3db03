package blockkit

import (
	"html"
	"html/template"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// A node is one unit of a line of mrkdwn after tokenising: a character of
// text, or an atom already rendered to safe HTML (a mention, a link,
// a date, a code span). Emphasis is then found over nodes, so markup inside
// <…> or `…` is never mistaken for *bold*.
type node struct {
	kind nodeKind
	r    rune          // kindRune
	html template.HTML // kindAtom
}

type nodeKind uint8

const (
	kindRune nodeKind = iota
	kindAtom
)

// Mrkdwn renders Slack mrkdwn to HTML: *bold*, _italic_, ~strike~, `code`,
// ```pre```, > quotes, <url|links>, <@U…> mentions, <#C…> channels,
// <!here>-style broadcasts and <!date^…> dates. Text is HTML-escaped
// exactly once; &lt; &gt; &amp; show as the characters they stand for, so
// escaped user text stays inert.
func (r *Renderer) Mrkdwn(s string) template.HTML {
	var b strings.Builder
	lines := r.lines(s)
	inQuote := false
	for i, ln := range lines {
		if ln.quote && !inQuote {
			b.WriteString(`<blockquote class="bk-quote">`)
			inQuote = true
		} else if !ln.quote && inQuote {
			b.WriteString(`</blockquote>`)
			inQuote = false
		} else if i > 0 {
			b.WriteString("<br>")
		}
		b.WriteString(emphasis(ln.nodes))
	}
	if inQuote {
		b.WriteString(`</blockquote>`)
	}
	return template.HTML(b.String())
}

// PlainText renders a plain_text object: escaped, line breaks kept.
func PlainText(s string) template.HTML {
	return template.HTML(strings.ReplaceAll(html.EscapeString(s), "\n", "<br>"))
}

type line struct {
	quote bool
	nodes []node
}

// lines tokenises s into lines of nodes. A line that starts with a literal
// ">" is a quote (Slack's own markup; user text arrives as &gt; and does
// not quote).
func (r *Renderer) lines(s string) []line {
	var out []line
	cur := line{}
	atLineStart := true
	for i := 0; i < len(s); {
		if atLineStart {
			atLineStart = false
			if s[i] == '>' {
				cur.quote = true
				i++
				if i < len(s) && s[i] == ' ' {
					i++
				}
				continue
			}
		}
		switch {
		case strings.HasPrefix(s[i:], "```"):
			if end := strings.Index(s[i+3:], "```"); end >= 0 {
				body := strings.TrimPrefix(s[i+3:i+3+end], "\n")
				cur.nodes = append(cur.nodes, node{kind: kindAtom, html: template.HTML(`<pre class="bk-pre">` + r.literal(body) + `</pre>`)})
				i += 3 + end + 3
				continue
			}
		case s[i] == '`':
			if end := strings.IndexByte(s[i+1:], '`'); end > 0 && !strings.Contains(s[i+1:i+1+end], "\n") {
				cur.nodes = append(cur.nodes, node{kind: kindAtom, html: template.HTML(`<code class="bk-code">` + r.literal(s[i+1:i+1+end]) + `</code>`)})
				i += 1 + end + 1
				continue
			}
		case s[i] == '<':
			if end := strings.IndexByte(s[i+1:], '>'); end >= 0 && !strings.Contains(s[i+1:i+1+end], "\n") {
				if h, ok := r.control(s[i+1 : i+1+end]); ok {
					cur.nodes = append(cur.nodes, node{kind: kindAtom, html: h})
					i += 1 + end + 1
					continue
				}
			}
		case s[i] == '&':
			if rr, n := entity(s[i:]); n > 0 {
				cur.nodes = append(cur.nodes, node{kind: kindRune, r: rr})
				i += n
				continue
			}
		case s[i] == '\n':
			out = append(out, cur)
			cur = line{}
			atLineStart = true
			i++
			continue
		}
		rr, n := utf8.DecodeRuneInString(s[i:])
		cur.nodes = append(cur.nodes, node{kind: kindRune, r: rr})
		i += n
	}
	return append(out, cur)
}

// entity decodes the three entities Slack uses (&lt; &gt; &amp;).
func entity(s string) (rune, int) {
	switch {
	case strings.HasPrefix(s, "&lt;"):
		return '<', 4
	case strings.HasPrefix(s, "&gt;"):
		return '>', 4
	case strings.HasPrefix(s, "&amp;"):
		return '&', 5
	}
	return 0, 0
}

// unescape decodes Slack's three entities in s.
func unescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// literal renders code text: entities decoded, control sequences shown by
// their label (as Slack does inside code), no emphasis, then escaped.
func (r *Renderer) literal(s string) string {
	var b strings.Builder
	for {
		start := strings.IndexByte(s, '<')
		if start < 0 {
			break
		}
		end := strings.IndexByte(s[start:], '>')
		if end < 0 {
			break
		}
		b.WriteString(html.EscapeString(unescape(s[:start])))
		inner := s[start+1 : start+end]
		if label, ok := r.controlLabel(inner); ok {
			b.WriteString(html.EscapeString(label))
		} else {
			b.WriteString(html.EscapeString("<" + unescape(inner) + ">"))
		}
		s = s[start+end+1:]
	}
	b.WriteString(html.EscapeString(unescape(s)))
	return strings.ReplaceAll(b.String(), "\n", "<br>")
}

// controlLabel is the plain text a control sequence shows.
func (r *Renderer) controlLabel(c string) (string, bool) {
	target, label, _ := strings.Cut(c, "|")
	label = unescape(label)
	switch {
	case strings.HasPrefix(target, "@U"), strings.HasPrefix(target, "@W"):
		return "@" + r.userName(target[1:], label), true
	case strings.HasPrefix(target, "#C"), strings.HasPrefix(target, "#G"):
		return "#" + r.channelName(target[1:], label), true
	case strings.HasPrefix(target, "!date^"):
		if label == "" {
			return "", false
		}
		return label, true
	case strings.HasPrefix(target, "!subteam^"):
		if label == "" {
			return "@group", true
		}
		return label, true
	case target == "!here" || target == "!channel" || target == "!everyone":
		return "@" + target[1:], true
	case allowedURL(unescape(target)):
		if label == "" {
			return unescape(target), true
		}
		return label, true
	}
	return "", false
}

// control renders one <…> control sequence. ok is false for anything that
// is not one (say <app> in help text): the caller shows it as typed.
func (r *Renderer) control(c string) (template.HTML, bool) {
	target, label, hasLabel := strings.Cut(c, "|")
	label = unescape(label)
	esc := html.EscapeString
	switch {
	case strings.HasPrefix(target, "@U"), strings.HasPrefix(target, "@W"):
		id := target[1:]
		return template.HTML(`<span class="bk-mention" data-user="` + esc(id) + `">@` + esc(r.userName(id, label)) + `</span>`), true
	case strings.HasPrefix(target, "#C"), strings.HasPrefix(target, "#G"):
		return template.HTML(`<span class="bk-channel">#` + esc(r.channelName(target[1:], label)) + `</span>`), true
	case strings.HasPrefix(target, "!date^"):
		return dateHTML(target, label, hasLabel)
	case strings.HasPrefix(target, "!subteam^"):
		if label == "" {
			label = "@group"
		}
		return template.HTML(`<span class="bk-mention bk-broadcast">` + esc(label) + `</span>`), true
	case target == "!here" || target == "!channel" || target == "!everyone":
		return template.HTML(`<span class="bk-mention bk-broadcast">@` + esc(target[1:]) + `</span>`), true
	}
	url := unescape(target)
	if !allowedURL(url) {
		return "", false
	}
	if label == "" {
		label = url
	}
	return template.HTML(`<a class="bk-link" href="` + esc(url) + `" target="_blank" rel="noopener noreferrer">` + esc(label) + `</a>`), true
}

// allowedURL admits the schemes Slack links: web and mail.
func allowedURL(u string) bool {
	l := strings.ToLower(u)
	return (strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "mailto:")) &&
		!strings.ContainsAny(u, " \t\r\n\"'`")
}

// dateHTML renders <!date^UNIX^FORMAT[^LINK]|FALLBACK> as a <time> element:
// the server shows the fallback, the page's script rewrites it in the
// reader's own time zone from data-ts and data-format.
func dateHTML(target, fallback string, hasFallback bool) (template.HTML, bool) {
	parts := strings.SplitN(target, "^", 4)
	if len(parts) < 3 {
		return "", false
	}
	sec, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", false
	}
	t := time.Unix(sec, 0).UTC()
	if !hasFallback || fallback == "" {
		fallback = t.Format("2006-01-02 15:04 UTC")
	}
	esc := html.EscapeString
	return template.HTML(`<time class="bk-date" datetime="` + t.Format(time.RFC3339) + `" data-ts="` + strconv.FormatInt(sec, 10) +
		`" data-format="` + esc(unescape(parts[2])) + `" title="` + esc(fallback) + `">` + esc(fallback) + `</time>`), true
}

func (r *Renderer) userName(id, label string) string {
	if r.opts.UserName != nil {
		if n := r.opts.UserName(id); n != "" {
			return n
		}
	}
	if label != "" {
		return strings.TrimPrefix(label, "@")
	}
	return id
}

func (r *Renderer) channelName(id, label string) string {
	if r.opts.ChannelName != nil {
		if n := r.opts.ChannelName(id); n != "" {
			return n
		}
	}
	if label != "" {
		return label
	}
	return id
}

// emphasis renders one line of nodes, finding *bold*, _italic_ and
// ~strike~ the way Slack does: a marker opens after a start, space or
// punctuation and before a non-space; it closes after a non-space and
// before an end, space or punctuation, on the same line.
func emphasis(ns []node) string {
	var b strings.Builder
	for i := 0; i < len(ns); i++ {
		n := ns[i]
		if n.kind == kindAtom {
			b.WriteString(string(n.html))
			continue
		}
		if tag := markerTag(n.r); tag != "" && canOpen(ns, i) {
			if j := closer(ns, i); j > 0 {
				b.WriteString("<" + tag + ">" + emphasis(ns[i+1:j]) + "</" + tag + ">")
				i = j
				continue
			}
		}
		b.WriteString(html.EscapeString(string(n.r)))
	}
	return b.String()
}

func markerTag(r rune) string {
	switch r {
	case '*':
		return "b"
	case '_':
		return "i"
	case '~':
		return "s"
	}
	return ""
}

func canOpen(ns []node, i int) bool {
	if i+1 >= len(ns) || isSpace(ns[i+1]) || (ns[i+1].kind == kindRune && ns[i+1].r == ns[i].r) {
		return false
	}
	return i == 0 || isSpace(ns[i-1]) || isPunct(ns[i-1])
}

// closer finds the marker closing the one at i, or -1.
func closer(ns []node, i int) int {
	m := ns[i].r
	for j := i + 2; j < len(ns); j++ {
		if ns[j].kind != kindRune || ns[j].r != m {
			continue
		}
		if isSpace(ns[j-1]) {
			continue
		}
		if j+1 == len(ns) || isSpace(ns[j+1]) || isPunct(ns[j+1]) {
			return j
		}
	}
	return -1
}

func isSpace(n node) bool { return n.kind == kindRune && unicode.IsSpace(n.r) }

// isPunct: any rune that is neither a letter, a digit nor a space, so
// "(*bold*)" and "*bold*:" work and snake_case_words stay as typed.
func isPunct(n node) bool {
	return n.kind == kindRune && !unicode.IsLetter(n.r) && !unicode.IsDigit(n.r) && !unicode.IsSpace(n.r)
}
