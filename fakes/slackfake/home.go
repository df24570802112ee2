package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Home is a person's App Home tab as Slack showed it at one moment.
type Home struct {
	s          *Server
	user, id   string
	hash       string
	blocks     json.RawMessage
	blockTexts []string
}

// OpenHome has the person open the app's Home tab: Slack sends
// app_home_opened (tab "home"); it waits for the ack.
func (p *Person) OpenHome(t testing.TB) {
	t.Helper()
	p.s.mu.Lock()
	eventID := fmt.Sprintf("EvHome%d", p.s.nextLocked())
	p.s.mu.Unlock()
	id := p.s.SendEvent(eventID, map[string]any{"type": "app_home_opened", "user": p.ID, "channel": "D" + p.ID, "tab": "home"})
	ctx, cancel := context.WithTimeout(context.Background(), p.s.opts.HelperTimeout)
	defer cancel()
	if _, err := p.s.WaitAck(ctx, id); err != nil {
		t.Fatalf("slackfake: app_home_opened for %s not acked: %v", p.ID, err)
	}
}

// ExpectHome waits until the person's Home tab shows every one of texts
// and returns it; it fails the test after Options.HelperTimeout.
func (p *Person) ExpectHome(t testing.TB, texts ...string) *Home {
	t.Helper()
	var h *Home
	err := p.s.waitForT(func() bool {
		h = p.s.homeLocked(p.ID)
		if h == nil {
			return false
		}
		all := h.Text()
		for _, want := range texts {
			if !strings.Contains(all, want) {
				return false
			}
		}
		return true
	})
	if err != nil {
		shown := "nothing"
		p.s.mu.Lock()
		if h := p.s.homeLocked(p.ID); h != nil {
			shown = h.Text()
		}
		p.s.mu.Unlock()
		t.Fatalf("slackfake: %s's Home never showed %q; it shows:\n%s", p.ID, texts, shown)
	}
	return h
}

// HomePublishes counts the views.publish calls that changed the person's
// Home.
func (p *Person) HomePublishes() int {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	n := 0
	for _, v := range p.s.viewLog {
		if v.UserID == p.ID && v.Method == "views.publish" {
			n++
		}
	}
	return n
}

// homeLocked is the person's Home as it is now; nil before any publish.
func (s *Server) homeLocked(user string) *Home {
	lv := s.views[s.homeViews[user]]
	if lv == nil {
		return nil
	}
	raw, _ := json.Marshal(lv.obj["blocks"])
	h := &Home{s: s, user: user, id: lv.id, hash: lv.hash, blocks: raw}
	var list []any
	_ = json.Unmarshal(raw, &list)
	for _, b := range list {
		var parts []string
		collectText(b, &parts)
		h.blockTexts = append(h.blockTexts, strings.Join(parts, "\n"))
	}
	return h
}

// Text is everything the Home shows, a line per text.
func (h *Home) Text() string { return strings.Join(h.blockTexts, "\n") }

// Click clicks, as the Home's owner, the first button labelled label
// that comes at or after the first block showing near ("" for any): the
// block_actions payload Slack sends from a Home tab, with the view and a
// trigger_id but no channel, message or response_url. It waits for the
// ack.
func (h *Home) Click(t testing.TB, near, label string) Ack {
	t.Helper()
	var list []json.RawMessage
	_ = json.Unmarshal(h.blocks, &list)
	var btn *button
	found := near == ""
	for i, b := range list {
		found = found || strings.Contains(h.blockTexts[i], near)
		if !found {
			continue
		}
		for _, c := range findButtons(json.RawMessage("[" + string(b) + "]")) {
			if c.label == label {
				c := c
				btn = &c
				break
			}
		}
		if btn != nil {
			break
		}
	}
	if btn == nil {
		t.Fatalf("slackfake: %s's Home has no button %q after %q; it shows:\n%s", h.user, label, near, h.Text())
	}
	s := h.s
	s.mu.Lock()
	obj, ok := s.viewObjLocked(h.id)
	if !ok {
		s.mu.Unlock()
		t.Fatalf("slackfake: %s's Home is gone", h.user)
	}
	payload := map[string]any{
		"type": "block_actions", "user": s.userObjLocked(h.user), "api_app_id": AppID, "token": VerificationToken,
		"container":  map[string]any{"type": "view", "view_id": h.id},
		"trigger_id": s.issueTriggerLocked(h.user),
		"team":       map[string]any{"id": TeamID, "domain": TeamDomain},
		"enterprise": nil, "is_enterprise_install": false,
		"view": obj,
		"actions": []map[string]any{{
			"action_id": btn.actionID, "block_id": btn.blockID, "value": btn.value, "type": "button",
			"text":      map[string]any{"type": "plain_text", "text": btn.label, "emoji": true},
			"action_ts": s.actionTSLocked(),
		}},
	}
	s.mu.Unlock()
	return s.waitAckT(t, s.SendInteraction(payload))
}
