package slackfake

import (
	"encoding/json"
	"fmt"
	"testing"
)

// menuOption is one option of a static_select on a message.
type menuOption struct {
	blockID, actionID, placeholder string
	option                         map[string]any
	label                          string
}

// findMenuOptions lists the options of every static_select in blocks.
func findMenuOptions(blocks json.RawMessage) []menuOption {
	var list []map[string]any
	if json.Unmarshal(blocks, &list) != nil {
		return nil
	}
	var out []menuOption
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
			if el["type"] != "static_select" {
				continue
			}
			actionID, _ := el["action_id"].(string)
			placeholder := ""
			if p, ok := el["placeholder"].(map[string]any); ok {
				placeholder, _ = p["text"].(string)
			}
			opts, _ := el["options"].([]any)
			for _, o := range opts {
				opt, _ := o.(map[string]any)
				label := ""
				if t, ok := opt["text"].(map[string]any); ok {
					label, _ = t["text"].(string)
				}
				out = append(out, menuOption{blockID: blockID, actionID: actionID, placeholder: placeholder, option: opt, label: label})
			}
		}
	}
	return out
}

// ChooseAs picks option in the menu (a static_select) whose placeholder
// is menu, as person p: it sends the block_actions payload Slack would
// send and waits for the ack.
func (c *Card) ChooseAs(t testing.TB, p *Person, menu, option string) Ack {
	t.Helper()
	c.Refresh()
	var picked *menuOption
	opts := findMenuOptions(c.msg.Blocks)
	for i := range opts {
		if opts[i].placeholder == menu && opts[i].label == option {
			picked = &opts[i]
			break
		}
	}
	if picked == nil {
		var have []string
		for _, o := range opts {
			have = append(have, o.placeholder+" → "+o.label)
		}
		t.Fatalf("slackfake: message %s has no menu %q with option %q; it has: %q", c.msg.TS, menu, option, have)
	}
	s := c.s
	s.mu.Lock()
	trig := s.issueTriggerLocked(p.ID)
	rurl := s.newResponseURLLocked(responseCtx{
		user: p.ID, channel: c.msg.Channel, msgTS: c.msg.TS, ephemeral: c.msg.Ephemeral,
	})
	user := s.userObjLocked(p.ID)
	chName := s.channelNameLocked(c.msg.Channel)
	actionTS := s.actionTSLocked()
	s.mu.Unlock()

	container := map[string]any{
		"type": "message", "message_ts": c.msg.TS, "channel_id": c.msg.Channel, "is_ephemeral": c.msg.Ephemeral,
	}
	if c.msg.ThreadTS != "" {
		container["thread_ts"] = c.msg.ThreadTS
	}
	payload := map[string]any{
		"type": "block_actions", "user": user, "api_app_id": AppID, "token": VerificationToken,
		"container": container, "trigger_id": trig,
		"team":       map[string]any{"id": TeamID, "domain": TeamDomain},
		"enterprise": nil, "is_enterprise_install": false,
		"channel":      map[string]any{"id": c.msg.Channel, "name": chName},
		"state":        map[string]any{"values": map[string]any{}},
		"response_url": rurl,
		"actions": []map[string]any{{
			"action_id": picked.actionID, "block_id": picked.blockID, "type": "static_select",
			"selected_option": picked.option, "action_ts": actionTS,
			"placeholder": map[string]any{"type": "plain_text", "text": picked.placeholder, "emoji": true},
		}},
	}
	if !c.msg.Ephemeral { // Slack leaves the message out for ephemerals
		payload["message"] = c.msg.wire()
	}
	return s.waitAckT(t, s.SendInteraction(payload))
}
