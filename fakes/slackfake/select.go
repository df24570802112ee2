package slackfake

import (
	"encoding/json"
	"fmt"
	"testing"
)

// menuOption is an option of a static select menu found in blocks.
type menuOption struct {
	blockID, actionID, placeholder string
	option                         map[string]any
}

// findMenuOptions returns the options of the static select menus of
// actions blocks and section accessories, ids filled as findButtons does.
func findMenuOptions(blocks json.RawMessage) map[string]menuOption {
	var list []map[string]any
	if json.Unmarshal(blocks, &list) != nil {
		return nil
	}
	out := map[string]menuOption{}
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
			if el["type"] != "static_select" {
				continue
			}
			actionID, _ := el["action_id"].(string)
			if actionID == "" {
				actionID = fmt.Sprintf("fakeact%d.%d", bi, ei)
			}
			placeholder := ""
			if p, ok := el["placeholder"].(map[string]any); ok {
				placeholder, _ = p["text"].(string)
			}
			opts, _ := el["options"].([]any)
			for _, o := range opts {
				opt, _ := o.(map[string]any)
				text, _ := opt["text"].(map[string]any)
				label, _ := text["text"].(string)
				if _, dup := out[label]; !dup {
					out[label] = menuOption{blockID: blockID, actionID: actionID, placeholder: placeholder, option: opt}
				}
			}
		}
	}
	return out
}

// ChooseAs picks the option labelled label in one of the message's menus
// (static selects, such as an incident card's "More actions…") as person
// p: it sends the block_actions payload Slack would send and waits for
// the ack.
func (c *Card) ChooseAs(t testing.TB, p *Person, label string) Ack {
	t.Helper()
	c.Refresh()
	opts := findMenuOptions(c.msg.Blocks)
	o, ok := opts[label]
	if !ok {
		var labels []string
		for l := range opts {
			labels = append(labels, l)
		}
		t.Fatalf("slackfake: message %s has no menu option %q; options: %q", c.msg.TS, label, labels)
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
			"action_id": o.actionID, "block_id": o.blockID, "type": "static_select",
			"selected_option": o.option,
			"placeholder":     map[string]any{"type": "plain_text", "text": o.placeholder, "emoji": true},
			"action_ts":       actionTS,
		}},
	}
	if !c.msg.Ephemeral {
		payload["message"] = c.msg.wire()
	}
	return s.waitAckT(t, s.SendInteraction(payload))
}
