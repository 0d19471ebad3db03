// Package blocklimits checks a Slack message against the limits Slack's Block
// Kit reference documents (docs.slack.dev/reference/block-kit), for the
// blocks, elements and composition objects syncbot builds. Slack refuses a
// message that breaks one (invalid_blocks, msg_too_long) and posts
// nothing; the renderers' tests and the fake Slack run every message
// through Validate so that such a message fails a test instead of an
// incident channel.
//
// It reads the JSON Slack would get, so it checks what is sent, whoever
// built it. Lengths are counted in characters (runes).
package blocklimits

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The documented limits.
const (
	MaxText         = 4000 // a message's top-level text (the fallback)
	MaxBlocks       = 50   // blocks in a message
	MaxBlockID      = 255
	MaxSectionText  = 3000
	MaxFields       = 10
	MaxFieldText    = 2000
	MaxHeaderText   = 150
	MaxContextElems = 10
	MaxActionElems  = 25
	MaxButtonText   = 75
	MaxActionID     = 255
	MaxButtonValue  = 2000
	MaxURL          = 3000
	MaxConfirmTitle = 100
	MaxConfirmText  = 300
	MaxConfirmBtn   = 30
	MaxAltText      = 2000
)

// Slack's error codes for a refused message.
const (
	InvalidBlocks = "invalid_blocks"
	MsgTooLong    = "msg_too_long"
)

// Error is a message Slack would refuse: Code is the error Slack answers,
// Problems say where and why.
type Error struct {
	Code     string
	Problems []string
}

func (e *Error) Error() string {
	return e.Code + ": " + strings.Join(e.Problems, "; ")
}

// Validate checks a message's text and blocks (a JSON array, nil for none)
// and returns an *Error listing every problem, or nil. A top-level text
// too long is msg_too_long, as Slack answers, unless the blocks are
// invalid too.
func Validate(text string, blocks json.RawMessage) error {
	v := &checker{}
	if len(blocks) > 0 && string(blocks) != "null" {
		var bs []map[string]any
		if err := json.Unmarshal(blocks, &bs); err != nil {
			v.bad("blocks", "not a JSON array of objects: %v", err)
		}
		v.blocks(bs)
	}
	if len(v.problems) > 0 {
		return &Error{Code: InvalidBlocks, Problems: v.problems}
	}
	if n := utf8.RuneCountInString(text); n > MaxText {
		return &Error{Code: MsgTooLong, Problems: []string{fmt.Sprintf("text: %d characters, more than %d", n, MaxText)}}
	}
	return nil
}

// Marshal validates values that encode to Slack's JSON (e.g. slack-go
// blocks).
func Marshal(text string, blocks any) error {
	b, err := json.Marshal(blocks)
	if err != nil {
		return fmt.Errorf("blocklimits: encode blocks: %w", err)
	}
	return Validate(text, b)
}

type checker struct{ problems []string }

func (v *checker) bad(path, format string, a ...any) {
	v.problems = append(v.problems, path+": "+fmt.Sprintf(format, a...))
}

func (v *checker) blocks(bs []map[string]any) {
	if len(bs) > MaxBlocks {
		v.bad("blocks", "%d blocks, more than %d", len(bs), MaxBlocks)
	}
	ids := map[string]bool{}
	for i, b := range bs {
		path := fmt.Sprintf("blocks[%d]", i)
		if id, ok := b["block_id"].(string); ok {
			v.length(path+".block_id", id, 1, MaxBlockID)
			if ids[id] {
				v.bad(path+".block_id", "%q is used twice", id)
			}
			ids[id] = true
		}
		switch t, _ := b["type"].(string); t {
		case "section":
			v.section(path, b)
		case "context":
			v.context(path, b)
		case "actions":
			v.actions(path, b)
		case "header":
			v.text(path+".text", b["text"], plainOnly, MaxHeaderText)
		case "divider":
		default:
			v.bad(path, "block type %q is not one blocklimits knows the limits of", t)
		}
	}
}

func (v *checker) section(path string, b map[string]any) {
	_, hasText := b["text"]
	fs, hasFields := b["fields"].([]any)
	if !hasText && !hasFields {
		v.bad(path, "a section needs text or fields")
	}
	if hasText {
		v.text(path+".text", b["text"], anyType, MaxSectionText)
	}
	if hasFields {
		if len(fs) == 0 || len(fs) > MaxFields {
			v.bad(path+".fields", "%d fields, want 1 to %d", len(fs), MaxFields)
		}
		for i, f := range fs {
			v.text(fmt.Sprintf("%s.fields[%d]", path, i), f, anyType, MaxFieldText)
		}
	}
	if acc, ok := b["accessory"]; ok {
		v.element(path+".accessory", acc)
	}
}

func (v *checker) context(path string, b map[string]any) {
	els, _ := b["elements"].([]any)
	if len(els) == 0 || len(els) > MaxContextElems {
		v.bad(path+".elements", "%d elements, want 1 to %d", len(els), MaxContextElems)
	}
	for i, e := range els {
		p := fmt.Sprintf("%s.elements[%d]", path, i)
		m, _ := e.(map[string]any)
		switch t, _ := m["type"].(string); t {
		case "plain_text", "mrkdwn":
			v.text(p, e, anyType, MaxSectionText)
		case "image":
			v.image(p, m)
		default:
			v.bad(p, "a context holds text and images, not %q", t)
		}
	}
}

func (v *checker) actions(path string, b map[string]any) {
	els, _ := b["elements"].([]any)
	if len(els) == 0 || len(els) > MaxActionElems {
		v.bad(path+".elements", "%d elements, want 1 to %d", len(els), MaxActionElems)
	}
	for i, e := range els {
		v.element(fmt.Sprintf("%s.elements[%d]", path, i), e)
	}
}

// element checks an interactive element; syncbot uses buttons only.
func (v *checker) element(path string, e any) {
	m, _ := e.(map[string]any)
	if t, _ := m["type"].(string); t != "button" {
		v.bad(path, "element type %q is not one blocklimits knows the limits of", t)
		return
	}
	v.text(path+".text", m["text"], plainOnly, MaxButtonText)
	if id, ok := m["action_id"].(string); ok {
		v.length(path+".action_id", id, 1, MaxActionID)
	}
	if val, ok := m["value"].(string); ok {
		v.length(path+".value", val, 1, MaxButtonValue)
	}
	if u, ok := m["url"].(string); ok {
		v.length(path+".url", u, 1, MaxURL)
	}
	v.style(path+".style", m)
	if c, ok := m["confirm"]; ok {
		v.confirm(path+".confirm", c)
	}
}

// confirm checks a confirmation dialog: every text in it is plain_text.
func (v *checker) confirm(path string, c any) {
	m, ok := c.(map[string]any)
	if !ok {
		v.bad(path, "not an object")
		return
	}
	v.text(path+".title", m["title"], plainOnly, MaxConfirmTitle)
	v.text(path+".text", m["text"], plainOnly, MaxConfirmText)
	v.text(path+".confirm", m["confirm"], plainOnly, MaxConfirmBtn)
	v.text(path+".deny", m["deny"], plainOnly, MaxConfirmBtn)
	v.style(path+".style", m)
}

func (v *checker) style(path string, m map[string]any) {
	if s, ok := m["style"]; ok && s != "primary" && s != "danger" {
		v.bad(path, "%v is neither primary nor danger", s)
	}
}

func (v *checker) image(path string, m map[string]any) {
	if u, _ := m["image_url"].(string); u == "" {
		v.bad(path+".image_url", "missing")
	}
	alt, _ := m["alt_text"].(string)
	v.length(path+".alt_text", alt, 1, MaxAltText)
}

const (
	anyType   = false
	plainOnly = true
)

// text checks a text object: its type, its length, and the flags that
// belong to one type only.
func (v *checker) text(path string, t any, plain bool, max int) {
	m, ok := t.(map[string]any)
	if !ok {
		v.bad(path, "missing text object")
		return
	}
	typ, _ := m["type"].(string)
	switch {
	case typ != "plain_text" && typ != "mrkdwn":
		v.bad(path+".type", "%q is not a text object type", typ)
	case plain && typ != "plain_text":
		v.bad(path+".type", "must be plain_text, not %s", typ)
	case typ == "mrkdwn" && m["emoji"] != nil:
		v.bad(path+".emoji", "only plain_text takes emoji")
	case typ == "plain_text" && m["verbatim"] != nil:
		v.bad(path+".verbatim", "only mrkdwn takes verbatim")
	}
	s, _ := m["text"].(string)
	v.length(path+".text", s, 1, max)
}

func (v *checker) length(path, s string, lo, hi int) {
	if n := utf8.RuneCountInString(s); n < lo || n > hi {
		v.bad(path, "%d characters, want %d to %d", n, lo, hi)
	}
}
