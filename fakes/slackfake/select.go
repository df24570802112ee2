package slackfake

import (
	"encoding/json"
	"fmt"
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
	s := c.s
	s.mu.Lock()
	trig := s.issueTriggerLocked(p.ID)
	rurl := s.newResponseURLLocked(responseCtx{
		user: p.ID, channel: msg.Channel, msgTS: msg.TS, ephemeral: msg.Ephemeral,
	})
	user := s.userObjLocked(p.ID)
	chName := s.channelNameLocked(msg.Channel)
	actionTS := s.actionTSLocked()
	s.mu.Unlock()

	container := map[string]any{
		"type": "message", "message_ts": msg.TS, "channel_id": msg.Channel, "is_ephemeral": msg.Ephemeral,
	}
	if msg.ThreadTS != "" {
		container["thread_ts"] = msg.ThreadTS
	}
	payload := map[string]any{
		"type": "block_actions", "user": user, "api_app_id": AppID, "token": VerificationToken,
		"container": container, "trigger_id": trig,
		"team":       map[string]any{"id": TeamID, "domain": TeamDomain},
		"enterprise": nil, "is_enterprise_install": false,
		"channel": map[string]any{"id": msg.Channel, "name": chName},
		"state": map[string]any{"values": map[string]any{blockID: map[string]any{
			actionID: map[string]any{"type": "static_select", "selected_option": picked}}}},
		"response_url": rurl,
		"actions": []map[string]any{{
			"action_id": actionID, "block_id": blockID, "type": "static_select",
			"selected_option": picked, "placeholder": sel["placeholder"], "action_ts": actionTS,
		}},
	}
	if !msg.Ephemeral { // Slack leaves the message out for ephemerals
		payload["message"] = msg.wire()
	}
	return s.waitAckT(t, s.SendInteraction(payload))
}

// findSelect finds the static select showing placeholder in an actions
// block or a section's accessory, with its block's ID (filled in as
// findButtons does when the app gave none).
func findSelect(blocks json.RawMessage, placeholder string) (map[string]any, string, bool) {
	var list []map[string]any
	if json.Unmarshal(blocks, &list) != nil {
		return nil, "", false
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
		for _, e := range elems {
			el, _ := e.(map[string]any)
			if el["type"] == "static_select" && plainText(el["placeholder"]) == placeholder {
				return el, blockID, true
			}
		}
	}
	return nil, "", false
}
