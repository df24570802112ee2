package slackfake

import (
	"encoding/json"
	"testing"
)

// ChooseAs picks the option whose text is option in the message's static
// select showing placeholder (the card's "More actions…" menu, say), as
// person p: it sends the block_actions payload Slack sends for a select
// and waits for the ack.
func (c *Card) ChooseAs(t testing.TB, p *Person, placeholder, option string) Ack {
	t.Helper()
	msg := c.current()
	sel, blockID, ok := findSelect(msg.Blocks, placeholder)
	if !ok {
		t.Fatalf("slackfake: message %s has no select %q", msg.TS, placeholder)
	}
	var picked map[string]any
	var offeredTexts []string
	for _, o := range offered(sel) {
		offeredTexts = append(offeredTexts, plainText(o["text"]))
		if plainText(o["text"]) == option {
			picked = o
		}
	}
	if picked == nil {
		t.Fatalf("slackfake: select %q offers no %q; it offers %q", placeholder, option, offeredTexts)
	}
	actionID, _ := sel["action_id"].(string)
	action := map[string]any{
		"action_id": actionID, "block_id": blockID, "type": "static_select",
		"selected_option": picked, "placeholder": sel["placeholder"],
	}
	state := map[string]any{blockID: map[string]any{
		actionID: map[string]any{"type": "static_select", "selected_option": picked}}}
	return c.s.waitAckT(t, c.s.SendInteraction(c.s.messageAction(p, msg, action, state)))
}

// findSelect finds the static select showing placeholder in an actions
// block or a section's accessory, with its block's ID (filled in as
// findButtons does when the app gave none).
func findSelect(blocks json.RawMessage, placeholder string) (sel map[string]any, blockID string, ok bool) {
	eachElement(blocks, func(_ int, id string, _ int, el map[string]any) bool {
		if el["type"] == "static_select" && plainText(el["placeholder"]) == placeholder {
			sel, blockID, ok = el, id, true
			return false
		}
		return true
	})
	return sel, blockID, ok
}
