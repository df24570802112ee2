package slackfake

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// flattenText returns a message's text followed by every text found in
// its blocks and attachments, one per line.
func flattenText(m Message) string {
	parts := []string{}
	if m.Text != "" {
		parts = append(parts, m.Text)
	}
	for _, raw := range []json.RawMessage{m.Blocks, m.Attachments} {
		var v any
		if len(raw) > 0 && json.Unmarshal(raw, &v) == nil {
			collectText(v, &parts)
		}
	}
	return strings.Join(parts, "\n")
}

// skipKeys hold text a reader of the message does not see.
var skipKeys = map[string]bool{"placeholder": true, "confirm": true, "fallback": true}

// collectText appends every string under a "text" key, in document order
// for arrays and in key order for objects.
func collectText(v any, out *[]string) {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			collectText(e, out)
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if skipKeys[k] {
				continue
			}
			if s, ok := v[k].(string); ok {
				if (k == "text" || k == "pretext" || k == "title") && s != "" {
					*out = append(*out, s)
				}
				continue
			}
			collectText(v[k], out)
		}
	}
}

// button is a clickable button found in blocks.
type button struct {
	label, actionID, blockID, value string
}

// findButtons returns the buttons of actions blocks and section
// accessories. Blocks or buttons without ids get ids the way Slack fills
// them in (it generates random ones; these are stable).
func findButtons(blocks json.RawMessage) []button {
	var out []button
	eachElement(blocks, func(bi int, blockID string, ei int, el map[string]any) bool {
		if el["type"] != "button" {
			return true
		}
		btn := button{blockID: blockID}
		btn.actionID, _ = el["action_id"].(string)
		if btn.actionID == "" {
			btn.actionID = fmt.Sprintf("fakeact%d.%d", bi, ei)
		}
		btn.value, _ = el["value"].(string)
		if t, ok := el["text"].(map[string]any); ok {
			btn.label, _ = t["text"].(string)
		}
		out = append(out, btn)
		return true
	})
	return out
}

// eachElement calls fn with every interactive element of an actions
// block or a section's accessory, and its block's ID (filled in as Slack
// does when the app gave none: Slack's are random, these are stable),
// until fn returns false.
func eachElement(blocks json.RawMessage, fn func(blockIndex int, blockID string, elemIndex int, el map[string]any) bool) {
	var list []map[string]any
	if json.Unmarshal(blocks, &list) != nil {
		return
	}
	for bi, b := range list {
		blockID, _ := b["block_id"].(string)
		if blockID == "" {
			blockID = fmt.Sprintf("fakeblk%d", bi)
		}
		var elems []any
		switch b["type"] {
		case "actions":
			elems, _ = b["elements"].([]any)
		case "section":
			if acc, ok := b["accessory"]; ok {
				elems = []any{acc}
			}
		}
		for ei, e := range elems {
			el, _ := e.(map[string]any)
			if !fn(bi, blockID, ei, el) {
				return
			}
		}
	}
}
