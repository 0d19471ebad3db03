// Package blockkit renders Slack Block Kit JSON and mrkdwn to HTML for the
// playground, the way Slack's own client would show it.
//
// Everything is rendered in Go so it can be tested over the bot's golden
// files: text is escaped exactly once, links admit only http(s) and mailto,
// and a block or element the renderer does not know shows as a short note
// rather than failing. The browser only swaps in the resulting fragments;
// the few things it adds are dates in the reader's time zone (from the
// data-ts and data-format attributes of <time class="bk-date">) and the
// confirm dialog kept in a <template class="bk-confirm"> next to a button.
package blockkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
)

// Options tell the renderer how to name what ids point at.
type Options struct {
	// UserName gives the display name of a user id ("" when unknown, then
	// the mention's own label or the id is shown).
	UserName func(id string) string
	// ChannelName gives a channel's name ("" when unknown).
	ChannelName func(id string) string
}

// Renderer turns Block Kit into HTML. It is safe for concurrent use.
type Renderer struct {
	opts Options
}

// New returns a Renderer.
func New(o Options) *Renderer { return &Renderer{opts: o} }

// textObject is a Block Kit text object (plain_text or mrkdwn).
type textObject struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji *bool  `json:"emoji,omitempty"`
}

type confirmObject struct {
	Title   *textObject `json:"title"`
	Text    *textObject `json:"text"`
	Confirm *textObject `json:"confirm"`
	Deny    *textObject `json:"deny"`
	Style   string      `json:"style"`
}

// element is a block element: button, image, or a text object in a
// context block.
type element struct {
	Type     string          `json:"type"`
	Text     json.RawMessage `json:"text"` // a text object for buttons, a string for context text
	ActionID string          `json:"action_id"`
	Value    string          `json:"value"`
	URL      string          `json:"url"`
	Style    string          `json:"style"`
	Confirm  *confirmObject  `json:"confirm"`
	ImageURL string          `json:"image_url"`
	AltText  string          `json:"alt_text"`
}

type block struct {
	Type      string            `json:"type"`
	BlockID   string            `json:"block_id"`
	Text      *textObject       `json:"text"`
	Fields    []textObject      `json:"fields"`
	Accessory *element          `json:"accessory"`
	Elements  []json.RawMessage `json:"elements"`
	ImageURL  string            `json:"image_url"`
	AltText   string            `json:"alt_text"`
	Title     *textObject       `json:"title"`
}

// Message renders a whole message: its blocks, or its text as mrkdwn when
// it has none (as Slack does). It never fails: blocks that cannot be read
// show the text with a note saying so.
func (r *Renderer) Message(text string, blocks json.RawMessage) template.HTML {
	if len(bytes.TrimSpace(blocks)) > 0 && !bytes.Equal(bytes.TrimSpace(blocks), []byte("null")) {
		h, err := r.Blocks(blocks)
		if err == nil && h != "" {
			return h
		}
		if err != nil {
			return r.Mrkdwn(text) + template.HTML(`<div class="bk-unsupported">`) + PlainText("The blocks of this message could not be read: "+err.Error()) + template.HTML(`</div>`)
		}
	}
	return template.HTML(`<div class="bk-section"><div class="bk-text">`) + r.Mrkdwn(text) + template.HTML(`</div></div>`)
}

// Blocks renders a JSON array of blocks.
func (r *Renderer) Blocks(raw json.RawMessage) (template.HTML, error) {
	var bs []json.RawMessage
	if err := json.Unmarshal(raw, &bs); err != nil {
		return "", fmt.Errorf("blocks are not a JSON array: %w", err)
	}
	var out strings.Builder
	for i, one := range bs {
		var b block
		if err := json.Unmarshal(one, &b); err != nil {
			return "", fmt.Errorf("block %d: %w", i, err)
		}
		h, err := r.block(b)
		if err != nil {
			return "", fmt.Errorf("block %d (%s): %w", i, b.Type, err)
		}
		out.WriteString(string(h))
	}
	return template.HTML(out.String()), nil
}

func (r *Renderer) text(t *textObject) template.HTML {
	if t == nil {
		return ""
	}
	if t.Type == "mrkdwn" {
		return r.Mrkdwn(t.Text)
	}
	return PlainText(t.Text)
}

func (r *Renderer) block(b block) (template.HTML, error) {
	switch b.Type {
	case "section":
		v := sectionView{BlockID: b.BlockID, Text: r.text(b.Text)}
		for i := range b.Fields {
			v.Fields = append(v.Fields, r.text(&b.Fields[i]))
		}
		if b.Accessory != nil {
			v.Accessory = r.element(*b.Accessory, b.BlockID)
		}
		return execute("section", v)
	case "context":
		var els []template.HTML
		for _, raw := range b.Elements {
			var e element
			if err := json.Unmarshal(raw, &e); err != nil {
				return "", err
			}
			els = append(els, r.contextElement(e))
		}
		return execute("context", els)
	case "divider":
		return execute("divider", nil)
	case "header":
		return execute("header", r.text(b.Text))
	case "image":
		return execute("image", imageView{Alt: b.AltText, Title: r.text(b.Title)})
	case "actions":
		var els []template.HTML
		for _, raw := range b.Elements {
			var e element
			if err := json.Unmarshal(raw, &e); err != nil {
				return "", err
			}
			els = append(els, r.element(e, b.BlockID))
		}
		return execute("actions", actionsView{BlockID: b.BlockID, Elements: els})
	}
	return execute("unsupported", "a "+b.Type+" block")
}

// contextElement renders a text or image element of a context block.
func (r *Renderer) contextElement(e element) template.HTML {
	switch e.Type {
	case "mrkdwn", "plain_text":
		var s string
		if err := json.Unmarshal(e.Text, &s); err != nil {
			return ""
		}
		return r.text(&textObject{Type: e.Type, Text: s})
	case "image":
		h, _ := execute("context-image", e.AltText)
		return h
	}
	h, _ := execute("unsupported", "a "+e.Type+" element")
	return h
}

// element renders an interactive element; only buttons are supported.
func (r *Renderer) element(e element, blockID string) template.HTML {
	if e.Type != "button" {
		h, _ := execute("unsupported", "a "+e.Type+" element")
		return h
	}
	var label textObject
	_ = json.Unmarshal(e.Text, &label)
	v := buttonView{
		Label: PlainText(label.Text), ActionID: e.ActionID, BlockID: blockID, Value: e.Value, Style: style(e.Style),
	}
	if allowedURL(e.URL) {
		v.URL = template.URL(e.URL)
	}
	if c := e.Confirm; c != nil {
		v.Confirm = &confirmView{
			Title: r.text(c.Title), Text: r.text(c.Text), Style: style(c.Style),
			Confirm: "Yes", Deny: "Cancel",
		}
		if c.Confirm != nil {
			v.Confirm.Confirm = c.Confirm.Text
		}
		if c.Deny != nil {
			v.Confirm.Deny = c.Deny.Text
		}
	}
	h, err := execute("button", v)
	if err != nil {
		h, _ = execute("unsupported", "a button that could not be drawn")
	}
	return h
}

// style keeps the two button styles Block Kit has; anything else is the
// default look.
func style(s string) string {
	if s == "primary" || s == "danger" {
		return s
	}
	return ""
}

type sectionView struct {
	BlockID   string
	Text      template.HTML
	Fields    []template.HTML
	Accessory template.HTML
}

type actionsView struct {
	BlockID  string
	Elements []template.HTML
}

type imageView struct {
	Alt   string
	Title template.HTML
}

type buttonView struct {
	Label                    template.HTML
	ActionID, BlockID, Value string
	Style                    string
	URL                      template.URL
	Confirm                  *confirmView
}

type confirmView struct {
	Title, Text   template.HTML
	Confirm, Deny string
	Style         string
}

// The block templates. html/template escapes every attribute and text;
// fields typed template.HTML were built by this package with escaping.
var tmpl = template.Must(template.New("blockkit").Parse(`
{{- define "section" -}}
<div class="bk-block bk-section"{{with .BlockID}} data-block-id="{{.}}"{{end}}>
{{- if .Text}}<div class="bk-text">{{.Text}}</div>{{end -}}
{{- if .Fields}}<div class="bk-fields">{{range .Fields}}<div class="bk-field">{{.}}</div>{{end}}</div>{{end -}}
{{- with .Accessory}}<div class="bk-accessory">{{.}}</div>{{end -}}
</div>
{{- end -}}

{{- define "context" -}}
<div class="bk-block bk-context">{{range .}}<span class="bk-context-el">{{.}}</span>{{end}}</div>
{{- end -}}

{{- define "divider" -}}<hr class="bk-block bk-divider">{{- end -}}

{{- define "header" -}}<div class="bk-block bk-header">{{.}}</div>{{- end -}}

{{- define "image" -}}
<div class="bk-block bk-image">{{with .Title}}<div class="bk-image-title">{{.}}</div>{{end}}<div class="bk-image-alt">🖼 {{if .Alt}}{{.Alt}}{{else}}image{{end}}</div></div>
{{- end -}}

{{- define "context-image" -}}<span class="bk-context-image" title="{{.}}">🖼</span>{{- end -}}

{{- define "actions" -}}
<div class="bk-block bk-actions"{{with .BlockID}} data-block-id="{{.}}"{{end}}>{{range .Elements}}{{.}}{{end}}</div>
{{- end -}}

{{- define "button" -}}
{{- if .URL -}}
<a class="bk-button{{with .Style}} bk-{{.}}{{end}}" href="{{.URL}}" target="_blank" rel="noopener noreferrer">{{.Label}}</a>
{{- else -}}
<span class="bk-button-wrap"><button type="button" class="bk-button{{with .Style}} bk-{{.}}{{end}}" data-action-id="{{.ActionID}}" data-block-id="{{.BlockID}}" data-value="{{.Value}}"{{if .Confirm}} data-confirm="1"{{end}}>{{.Label}}</button>
{{- with .Confirm -}}
<template class="bk-confirm"><div class="bk-confirm-title">{{.Title}}</div><div class="bk-confirm-text">{{.Text}}</div><div class="bk-confirm-buttons"><button type="button" class="bk-button" data-role="deny">{{.Deny}}</button><button type="button" class="bk-button{{if .Style}} bk-{{.Style}}{{else}} bk-primary{{end}}" data-role="confirm">{{.Confirm}}</button></div></template>
{{- end -}}
</span>
{{- end -}}
{{- end -}}

{{- define "unsupported" -}}<div class="bk-block bk-unsupported">This message has {{.}}, which the playground does not draw.</div>{{- end -}}
`))

func execute(name string, data any) (template.HTML, error) {
	var b bytes.Buffer
	if err := tmpl.ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil
}
