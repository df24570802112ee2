// Package blockkit checks messages, modals and Home tabs against the Block
// Kit limits real Slack enforces, and names each breach the way Slack does
// (an error code plus "[ERROR] … [json-pointer:/…]" lines). The Slack fake
// refuses what it refuses, and the golden-file tests hold toban's own
// output to the same rules, so a payload Slack would reject fails a test
// instead of a 3 a.m. click.
//
// The numbers come from Slack's Block Kit reference (docs.slack.dev) and
// match python-slack-sdk's validators; see PROTOCOL-NOTES.md.
//
// It owns the limits only and imports no toban package; the Slack fake and
// golden-file tests import it.
package blockkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Slack's error codes for refused payloads.
const (
	// CodeInvalidBlocks is chat.*'s and response_url's answer to blocks
	// that break a rule.
	CodeInvalidBlocks = "invalid_blocks"
	// CodeInvalidArguments is views.*'s answer to a view that breaks a rule.
	CodeInvalidArguments = "invalid_arguments"
	// CodeMsgTooLong is the answer to a message text over MaxMessageText.
	CodeMsgTooLong = "msg_too_long"
	// CodeMsgBlocksTooLong is the answer to blocks whose texts together
	// exceed MaxBlocksText.
	CodeMsgBlocksTooLong = "msg_blocks_too_long"
)

// Limits of whole surfaces.
const (
	MaxMessageBlocks = 50
	MaxViewBlocks    = 100
	// MaxMessageText is where Slack stops taking a message's top-level text.
	MaxMessageText = 40000
	// MaxBlocksText bounds the characters of all texts in a message's
	// blocks. Slack does not publish the number; its staff gave "12,000
	// text characters with a buffer for block containers" (slackapi/bolt-js
	// #2509) and refusals were seen from about 13,200, so 12,000 is the
	// largest total known to be safe.
	MaxBlocksText = 12000
)

// Error is a refusal: Slack's error code and the problems found, each
// "[ERROR] what [json-pointer:/where]" as Slack writes them in
// response_metadata.messages.
type Error struct {
	Code     string
	Problems []string
}

func (e *Error) Error() string {
	return e.Code + ": " + strings.Join(e.Problems, "; ")
}

// checker walks one surface and collects problems.
type checker struct {
	problems  []string
	blockIDs  map[string]bool
	textChars int // characters of every text object seen, for MaxBlocksText
}

func (c *checker) bad(ptr, format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf("[ERROR] %s [json-pointer:%s]", fmt.Sprintf(format, args...), ptr))
}

// decode reads JSON keeping numbers exact (max_length 3000.5 is not 3000).
func decode(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// present reports whether raw holds a value other than null or nothing.
func present(raw json.RawMessage) bool {
	t := string(bytes.TrimSpace(raw))
	return t != "" && t != "null"
}

// CheckMessage checks a message as chat.postMessage, chat.update,
// chat.postEphemeral, a response_url post or a slash command ack carry
// it: its text and its blocks (and the blocks of its attachments). It
// returns nil or an *Error.
func CheckMessage(text string, blocks, attachments json.RawMessage) error {
	if n := runes(text); n > MaxMessageText {
		return &Error{Code: CodeMsgTooLong, Problems: []string{
			fmt.Sprintf("[ERROR] text is %d characters, more than %d [json-pointer:/text]", n, MaxMessageText)}}
	}
	c := &checker{blockIDs: map[string]bool{}}
	if present(blocks) {
		v, err := decode(blocks)
		if err != nil {
			c.bad("/blocks", "blocks are not JSON")
		} else {
			c.blocks("/blocks", v, MaxMessageBlocks)
		}
	}
	if present(attachments) {
		v, err := decode(attachments)
		list, isList := v.([]any)
		if err != nil || !isList {
			c.bad("/attachments", "attachments must be an array")
		}
		for i, a := range list {
			if m, isObj := a.(map[string]any); isObj && m["blocks"] != nil {
				c.blocks(fmt.Sprintf("/attachments/%d/blocks", i), m["blocks"], MaxMessageBlocks)
			}
		}
	}
	if len(c.problems) > 0 {
		return &Error{Code: CodeInvalidBlocks, Problems: c.problems}
	}
	if c.textChars > MaxBlocksText {
		return &Error{Code: CodeMsgBlocksTooLong, Problems: []string{
			fmt.Sprintf("[ERROR] the blocks' texts are %d characters together, more than %d [json-pointer:/blocks]", c.textChars, MaxBlocksText)}}
	}
	return nil
}

// CheckView checks a view as views.open, views.update, views.push,
// views.publish and a view_submission ack's response_action update/push
// carry it. Slack refuses a bad view with invalid_arguments.
func CheckView(view json.RawMessage) error {
	c := &checker{blockIDs: map[string]bool{}}
	v, err := decode(view)
	obj, isObj := v.(map[string]any)
	if err != nil || !isObj {
		c.bad("/view", "view must be an object")
		return &Error{Code: CodeInvalidArguments, Problems: c.problems}
	}
	typ, _ := obj["type"].(string)
	switch typ {
	case "modal":
		c.text("/view/title", obj["title"], true, true, 24)
		hasInput := false
		if list, ok := obj["blocks"].([]any); ok {
			for _, b := range list {
				if m, ok := b.(map[string]any); ok && m["type"] == "input" {
					hasInput = true
				}
			}
		}
		if obj["submit"] != nil {
			c.text("/view/submit", obj["submit"], true, true, 24)
		} else if hasInput {
			c.bad("/view/submit", "submit is required when a view has input blocks")
		}
		if obj["close"] != nil {
			c.text("/view/close", obj["close"], true, true, 24)
		}
	case "home":
	default:
		c.bad("/view/type", "type must be modal or home, not %q", typ)
	}
	c.str("/view/private_metadata", obj["private_metadata"], 3000)
	c.str("/view/callback_id", obj["callback_id"], 255)
	c.str("/view/external_id", obj["external_id"], 255)
	if obj["blocks"] == nil {
		c.bad("/view/blocks", "blocks are required")
	} else {
		c.blocks("/view/blocks", obj["blocks"], MaxViewBlocks)
	}
	if len(c.problems) > 0 {
		return &Error{Code: CodeInvalidArguments, Problems: c.problems}
	}
	return nil
}

// blocks checks a blocks array of at most maxBlocks.
func (c *checker) blocks(ptr string, v any, maxBlocks int) {
	list, ok := v.([]any)
	if !ok {
		c.bad(ptr, "blocks must be an array")
		return
	}
	if len(list) > maxBlocks {
		c.bad(ptr, "no more than %d items allowed, got %d", maxBlocks, len(list))
	}
	for i, b := range list {
		c.block(fmt.Sprintf("%s/%d", ptr, i), b)
	}
}

// str checks an optional string's length.
func (c *checker) str(ptr string, v any, maxLen int) {
	if v == nil {
		return
	}
	s, ok := v.(string)
	if !ok {
		c.bad(ptr, "must be a string")
		return
	}
	if n := runes(s); n > maxLen {
		c.bad(ptr, "must be less than %d characters, is %d", maxLen+1, n)
	}
}

// text checks a text object. plainOnly is set where Slack takes only
// plain_text (headers, button labels, titles, labels, placeholders).
func (c *checker) text(ptr string, v any, required, plainOnly bool, maxLen int) {
	if v == nil {
		if required {
			c.bad(ptr, "is required")
		}
		return
	}
	obj, ok := v.(map[string]any)
	if !ok {
		c.bad(ptr, "must be a text object")
		return
	}
	typ, _ := obj["type"].(string)
	switch {
	case typ == "plain_text":
	case typ == "mrkdwn" && plainOnly:
		c.bad(ptr+"/type", "must be plain_text, not mrkdwn")
	case typ == "mrkdwn":
	default:
		c.bad(ptr+"/type", "must be plain_text or mrkdwn, not %q", typ)
	}
	s, isStr := obj["text"].(string)
	n := runes(s)
	switch {
	case !isStr:
		c.bad(ptr+"/text", "text is required and must be a string")
	case n == 0:
		c.bad(ptr+"/text", "must be more than 0 characters")
	case n > maxLen:
		c.bad(ptr+"/text", "must be less than %d characters, is %d", maxLen+1, n)
	}
	c.textChars += n
}

// id checks a block_id or action_id.
func (c *checker) id(ptr string, v any) (string, bool) {
	if v == nil {
		return "", false
	}
	s, ok := v.(string)
	switch {
	case !ok:
		c.bad(ptr, "must be a string")
	case s == "":
		c.bad(ptr, "must be more than 0 characters")
	case runes(s) > 255:
		c.bad(ptr, "must be less than 256 characters")
	default:
		return s, true
	}
	return "", false
}

// runes counts characters the way Slack's limits do.
func runes(s string) int { return len([]rune(s)) }
