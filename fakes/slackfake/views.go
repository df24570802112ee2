package slackfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tobanbot/toban/internal/blockkit"
)

// View is one recorded change of a view (a modal or a Home tab).
type View struct {
	ID, Hash, UserID, TriggerID string
	// View is the view object as Slack answered it after this change.
	View json.RawMessage
	// Method is views.open, views.update, views.push, views.publish, or
	// response_action.update / response_action.push for a view_submission
	// ack that changed the modal.
	Method string
}

// viewState is the views part of Server, guarded by Server.mu.
type viewState struct {
	triggers  map[string]*trigger
	views     map[string]*liveView
	viewLog   []View
	homeViews map[string]string // user → Home tab view id
	topModal  map[string]string // user → the modal opened or pushed last
	// handedOut holds "view id/hash" of modals ExpectModal has given the
	// test, so that it waits for a new one next time.
	handedOut map[string]bool
}

type trigger struct {
	user   string
	issued time.Time
	used   bool
}

type liveView struct {
	id, user, hash, root string
	obj                  map[string]any
}

func (s *Server) initViews() {
	s.triggers = map[string]*trigger{}
	s.views = map[string]*liveView{}
	s.homeViews = map[string]string{}
	s.topModal = map[string]string{}
	s.handedOut = map[string]bool{}
}

// issueTriggerLocked makes a trigger_id for user, valid once.
func (s *Server) issueTriggerLocked(user string) string {
	n := s.nextLocked()
	id := fmt.Sprintf("%d.%d.%016x", 1700000000000+n, 1, uint64(n)*0x9e3779b97f4a7c15)
	s.triggers[id] = &trigger{user: user, issued: time.Now()}
	return id
}

// registerTriggerLocked accepts a caller-made trigger_id.
func (s *Server) registerTriggerLocked(id, user string) {
	if id == "" || s.triggers[id] != nil {
		return
	}
	s.triggers[id] = &trigger{user: user, issued: time.Now()}
}

// useTriggerLocked spends a trigger_id. Ids starting with "test" are
// always valid.
func (s *Server) useTriggerLocked(id string) (user, errCode string) {
	t := s.triggers[id]
	switch {
	case t == nil && strings.HasPrefix(id, "test"):
		return "", ""
	case t == nil:
		return "", "invalid_trigger_id"
	case t.used:
		return "", "exchanged_trigger_id"
	case s.opts.TriggerTTL > 0 && time.Since(t.issued) > s.opts.TriggerTTL:
		return "", "expired_trigger_id"
	}
	t.used = true
	return t.user, ""
}

// Views returns every recorded view change, in order.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.viewLog)
	for i := range out {
		out[i].View = clone(out[i].View)
	}
	return out
}

// LastView returns the latest view change for user (zero View if none).
func (s *Server) LastView(user string) View {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.viewLog) - 1; i >= 0; i-- {
		if v := s.viewLog[i]; v.UserID == user {
			v.View = clone(v.View)
			return v
		}
	}
	return View{}
}

func decodeView(raw json.RawMessage) (map[string]any, bool) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var obj map[string]any
	if d.Decode(&obj) != nil || obj == nil {
		return nil, false
	}
	return obj, true
}

func (s *Server) hashLocked() string {
	n := s.nextLocked()
	return fmt.Sprintf("%d.%08x", 1700000000+n, uint32(n)*2654435761)
}

// setViewLocked fills Slack's fields into obj and stores it as lv's view.
func (s *Server) setViewLocked(lv *liveView, obj map[string]any, previous string) {
	lv.hash = s.hashLocked()
	defaults := map[string]any{
		"type": "modal", "blocks": []any{}, "private_metadata": "", "callback_id": "",
		"external_id": "", "clear_on_close": false, "notify_on_close": false,
	}
	for k, v := range defaults {
		if _, has := obj[k]; !has {
			obj[k] = v
		}
	}
	obj["id"], obj["team_id"], obj["hash"] = lv.id, TeamID, lv.hash
	obj["state"] = map[string]any{"values": map[string]any{}}
	obj["root_view_id"], obj["app_id"], obj["bot_id"] = lv.root, AppID, BotID
	obj["app_installed_team_id"] = TeamID
	if previous != "" {
		obj["previous_view_id"] = previous
	} else {
		obj["previous_view_id"] = nil
	}
	lv.obj = obj
}

func (s *Server) newViewLocked(user string, obj map[string]any, root, previous string) *liveView {
	lv := &liveView{id: fmt.Sprintf("V%010d", s.nextLocked()), user: user}
	lv.root = root
	if root == "" {
		lv.root = lv.id
	}
	s.setViewLocked(lv, obj, previous)
	s.views[lv.id] = lv
	return lv
}

// logViewLocked records a view change and returns the answer for it.
func (s *Server) logViewLocked(lv *liveView, method, triggerID string) reply {
	raw, _ := json.Marshal(lv.obj)
	s.viewLog = append(s.viewLog, View{
		ID: lv.id, Hash: lv.hash, UserID: lv.user, TriggerID: triggerID, View: raw, Method: method,
	})
	return ok(map[string]any{"view": json.RawMessage(raw)})
}

// viewArg decodes the "view" argument.
func viewArg(req *apiReq) (map[string]any, bool) {
	raw, has := req.rawJSON("view")
	if !has {
		return nil, false
	}
	return decodeView(raw)
}

func (s *Server) viewsOpen(req *apiReq) reply {
	trig := req.str("trigger_id")
	obj, valid := viewArg(req)
	if trig == "" || !valid {
		return fail("invalid_arguments")
	}
	if rep, refused := s.refuseLocked("views.open", req.blockKit); refused {
		return rep
	}
	user, code := s.useTriggerLocked(trig)
	if code != "" {
		return fail(code)
	}
	lv := s.newViewLocked(user, obj, "", "")
	s.topModal[user] = lv.id
	return s.logViewLocked(lv, "views.open", trig)
}

func (s *Server) viewsPush(req *apiReq) reply {
	trig := req.str("trigger_id")
	obj, valid := viewArg(req)
	if trig == "" || !valid {
		return fail("invalid_arguments")
	}
	if rep, refused := s.refuseLocked("views.push", req.blockKit); refused {
		return rep
	}
	user, code := s.useTriggerLocked(trig)
	if code != "" {
		return fail(code)
	}
	lv := s.pushViewLocked(user, obj)
	return s.logViewLocked(lv, "views.push", trig)
}

func (s *Server) pushViewLocked(user string, obj map[string]any) *liveView {
	root, prev := "", s.topModal[user]
	if top := s.views[prev]; top != nil {
		root = top.root
	}
	lv := s.newViewLocked(user, obj, root, prev)
	s.topModal[user] = lv.id
	return lv
}

func (s *Server) viewsUpdate(req *apiReq) reply {
	obj, valid := viewArg(req)
	id, ext := req.str("view_id"), req.str("external_id")
	if !valid || (id == "" && ext == "") {
		return fail("invalid_arguments")
	}
	if rep, refused := s.refuseLocked("views.update", req.blockKit); refused {
		return rep
	}
	lv := s.views[id]
	if id == "" {
		for _, v := range s.views {
			if v.obj["external_id"] == ext {
				lv = v
			}
		}
	}
	if lv == nil {
		return fail("not_found")
	}
	if h := req.str("hash"); h != "" && h != lv.hash {
		return fail("hash_conflict")
	}
	prev, _ := lv.obj["previous_view_id"].(string)
	old := stateValues(lv.obj)
	s.setViewLocked(lv, obj, prev)
	keepStateLocked(lv, old)
	return s.logViewLocked(lv, "views.update", "")
}

func (s *Server) viewsPublish(req *apiReq) reply {
	user := req.str("user_id")
	obj, valid := viewArg(req)
	if user == "" || !valid {
		return fail("invalid_arguments")
	}
	if t, _ := obj["type"].(string); t != "home" {
		return fail("invalid_arguments")
	}
	if rep, refused := s.refuseLocked("views.publish", req.blockKit); refused {
		return rep
	}
	lv := s.views[s.homeViews[user]]
	if lv == nil {
		lv = s.newViewLocked(user, obj, "", "")
		s.homeViews[user] = lv.id
	} else {
		if h := req.str("hash"); h != "" && h != lv.hash {
			return fail("hash_conflict")
		}
		s.setViewLocked(lv, obj, "")
	}
	return s.logViewLocked(lv, "views.publish", "")
}

// applyViewResponseLocked applies a view_submission ack's response_action.
func (s *Server) applyViewResponseLocked(user, viewID string, payload json.RawMessage) {
	var resp struct {
		ResponseAction string          `json:"response_action"`
		View           json.RawMessage `json:"view"`
	}
	if json.Unmarshal(payload, &resp) != nil {
		return
	}
	obj, valid := decodeView(resp.View)
	if resp.ResponseAction == "update" || resp.ResponseAction == "push" {
		if _, refused := s.refuseLocked("ack.view_submission", blockkit.CheckView(resp.View)); refused {
			return // Slack shows the person an error in the modal instead
		}
	}
	switch {
	case !valid:
	case resp.ResponseAction == "update" && s.views[viewID] != nil:
		lv := s.views[viewID]
		prev, _ := lv.obj["previous_view_id"].(string)
		s.setViewLocked(lv, obj, prev)
		s.logViewLocked(lv, "response_action.update", "")
	case resp.ResponseAction == "push":
		s.logViewLocked(s.pushViewLocked(user, obj), "response_action.push", "")
	}
}

// viewObjLocked returns a deep copy of a view's current object.
func (s *Server) viewObjLocked(id string) (map[string]any, bool) {
	lv := s.views[id]
	if lv == nil {
		return nil, false
	}
	raw, _ := json.Marshal(lv.obj)
	return decodeView(raw)
}
