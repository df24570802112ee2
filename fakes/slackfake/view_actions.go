package slackfake

import (
	"fmt"
	"testing"
)

// ViewAction acts on an element of an open modal as user: it records the
// person's input so far (values, block_id → action_id → value as for
// Submit) plus the action's own value in the view's state, and sends the
// block_actions payload Slack sends for an input block with
// dispatch_action: true (container type view, the view with its hash and
// state), then waits for the ack. Slack sends nothing for an input block
// without dispatch_action, so asking for one fails the test; so does an
// unknown view, block or action. viewID "" is the user's latest modal.
//
// The action is the element's state value, e.g. {"type":"static_select",
// "selected_option":{…}}; a string is a plain_text_input value.
func (s *Server) ViewAction(t testing.TB, user, viewID, blockID, actionID string, action any, values map[string]map[string]any) Ack {
	t.Helper()
	s.mu.Lock()
	if viewID == "" {
		viewID = s.topModal[user]
	}
	lv := s.views[viewID]
	if lv == nil {
		s.mu.Unlock()
		t.Fatalf("slackfake: ViewAction: no view %q for user %s", viewID, user)
		return Ack{}
	}
	if problem := dispatchable(lv.obj, blockID, actionID); problem != "" {
		s.mu.Unlock()
		t.Fatalf("slackfake: ViewAction on view %s: %s", viewID, problem)
		return Ack{}
	}
	if str, ok := action.(string); ok {
		action = map[string]any{"type": "plain_text_input", "value": str}
	}
	state := stateValues(lv.obj)
	for block, actions := range values {
		m := map[string]any{}
		for id, v := range actions {
			if str, ok := v.(string); ok {
				v = map[string]any{"type": "plain_text_input", "value": str}
			}
			m[id] = v
		}
		state[block] = m
	}
	if state[blockID] == nil {
		state[blockID] = map[string]any{}
	}
	state[blockID].(map[string]any)[actionID] = action
	lv.obj["state"] = map[string]any{"values": state}
	obj, _ := s.viewObjLocked(viewID)
	act := map[string]any{"action_id": actionID, "block_id": blockID, "action_ts": fmt.Sprintf("%d.000100", 1700000000+s.nextLocked())}
	if m, ok := action.(map[string]any); ok {
		for k, v := range m {
			act[k] = v
		}
	}
	payload := map[string]any{
		"type": "block_actions", "user": s.userObjLocked(user), "api_app_id": AppID, "token": VerificationToken,
		"container":  map[string]any{"type": "view", "view_id": viewID},
		"trigger_id": s.issueTriggerLocked(user),
		"team":       map[string]any{"id": TeamID, "domain": TeamDomain},
		"enterprise": nil, "is_enterprise_install": false,
		"view": obj, "actions": []map[string]any{act},
	}
	s.mu.Unlock()
	return s.waitAckT(t, s.SendInteraction(payload))
}

// dispatchable says why Slack would send no block_actions for the action
// in the view's block, or "" when it would.
func dispatchable(view map[string]any, blockID, actionID string) string {
	blocks, _ := view["blocks"].([]any)
	for _, b := range blocks {
		block, _ := b.(map[string]any)
		if block["block_id"] != blockID {
			continue
		}
		elements := blockElements(block)
		found := false
		for _, el := range elements {
			found = found || el["action_id"] == actionID
		}
		switch {
		case !found:
			return fmt.Sprintf("block %q has no element with action_id %q", blockID, actionID)
		case block["type"] == "input" && block["dispatch_action"] != true:
			return fmt.Sprintf("input block %q has no dispatch_action: true, so Slack sends no block_actions for it", blockID)
		}
		return ""
	}
	return fmt.Sprintf("no block %q", blockID)
}

// blockElements returns the interactive elements of a block.
func blockElements(block map[string]any) []map[string]any {
	var out []map[string]any
	if el, ok := block["element"].(map[string]any); ok {
		out = append(out, el)
	}
	if el, ok := block["accessory"].(map[string]any); ok {
		out = append(out, el)
	}
	if els, ok := block["elements"].([]any); ok {
		for _, e := range els {
			if el, ok := e.(map[string]any); ok {
				out = append(out, el)
			}
		}
	}
	return out
}

// stateValues returns a copy of the view's state values.
func stateValues(view map[string]any) map[string]any {
	out := map[string]any{}
	st, _ := view["state"].(map[string]any)
	values, _ := st["values"].(map[string]any)
	for block, actions := range values {
		m := map[string]any{}
		if am, ok := actions.(map[string]any); ok {
			for k, v := range am {
				m[k] = v
			}
		}
		out[block] = m
	}
	return out
}

// keepStateLocked carries the person's input over a views.update, as
// Slack does: values of input blocks whose block_id and action_id the new
// view still has are kept, the rest dropped.
func keepStateLocked(lv *liveView, old map[string]any) {
	kept := map[string]any{}
	blocks, _ := lv.obj["blocks"].([]any)
	for _, b := range blocks {
		block, _ := b.(map[string]any)
		id, _ := block["block_id"].(string)
		actions, _ := old[id].(map[string]any)
		if block["type"] != "input" || actions == nil {
			continue
		}
		m := map[string]any{}
		for _, el := range blockElements(block) {
			if aid, _ := el["action_id"].(string); actions[aid] != nil {
				m[aid] = actions[aid]
			}
		}
		if len(m) > 0 {
			kept[id] = m
		}
	}
	lv.obj["state"] = map[string]any{"values": kept}
}
