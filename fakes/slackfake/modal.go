package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Modal is a person's hands on an open modal. They find fields by the
// labels they read and pick options by the text they see, as in Slack:
//
//	alice.Slash(t, "maintenance")
//	alice.ExpectModal(t, "Maintenance").Choose("Services", "API").Submit()
//
// Choosing an option that is not offered, or a label the modal does not
// show, fails the test. Selects marked dispatch_action send block_actions
// at once, as Slack does, so the app may rebuild the modal; later calls
// wait for the fields they name to appear.
type Modal struct {
	s    *Server
	t    testing.TB
	user string
	id   string
	// set holds what the person entered: block_id → action_id → the
	// state value Slack would report for the element.
	set map[string]map[string]any
}

// modalField is one input block of a modal as a person sees it.
type modalField struct {
	label, blockID, actionID, kind string
	dispatch                       bool
	element                        map[string]any
}

// ExpectModal waits until p's top modal is one the test has not been
// handed yet (a new modal, or a new version of it) whose title contains
// title, and returns a handle on it.
func (p *Person) ExpectModal(t testing.TB, title string) *Modal {
	t.Helper()
	var id string
	err := p.s.waitForT(func() bool {
		id = p.s.topModal[p.ID]
		lv := p.s.views[id]
		if lv == nil || p.s.handedOut[lv.id+"/"+lv.hash] {
			return false
		}
		return strings.Contains(plainText(lv.obj["title"]), title)
	})
	if err != nil {
		t.Fatalf("slackfake: %s has no new modal titled %q (%v); top modal: %s", p.ID, title, err, p.s.describeModal(p.ID))
	}
	p.s.mu.Lock()
	p.s.handOutLocked(id)
	p.s.mu.Unlock()
	return &Modal{s: p.s, t: t, user: p.ID, id: id, set: map[string]map[string]any{}}
}

// ID is the modal's view id.
func (m *Modal) ID() string { return m.id }

// Text returns all text the modal shows now (title, blocks).
func (m *Modal) Text() string {
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	obj, _ := m.s.viewObjLocked(m.id)
	raw, _ := json.Marshal(obj["blocks"])
	return plainText(obj["title"]) + "\n" + flattenText(Message{Blocks: raw})
}

// Labels returns the labels of the modal's input fields, in order.
func (m *Modal) Labels() []string {
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	var out []string
	for _, f := range m.fieldsLocked() {
		out = append(out, f.label)
	}
	return out
}

// Type types text into the field labelled label (a text, number, e-mail
// or URL input, or a date "2006-01-02" or time "15:04" picker).
func (m *Modal) Type(label, text string) *Modal {
	m.t.Helper()
	f := m.field(label)
	var v map[string]any
	switch f.kind {
	case "plain_text_input", "number_input", "email_text_input", "url_text_input":
		v = map[string]any{"value": text}
	case "datepicker":
		v = map[string]any{"selected_date": text}
	case "timepicker":
		v = map[string]any{"selected_time": text}
	default:
		m.t.Fatalf("slackfake: %q is a %s; Type needs a text input or a date or time picker", label, f.kind)
	}
	return m.enter(f, v)
}

// Choose picks options by their visible text in the field labelled
// label: static and external selects, radio buttons and checkboxes, and
// user or conversation pickers (a person by name, a channel by name).
// External selects are filled as a person types: a block_suggestion with
// the text, then the matching option from the app's answer.
func (m *Modal) Choose(label string, texts ...string) *Modal {
	m.t.Helper()
	if len(texts) == 0 {
		m.t.Fatalf("slackfake: Choose(%q) with nothing to choose", label)
	}
	f := m.field(label)
	multi := strings.HasPrefix(f.kind, "multi_") || f.kind == "checkboxes"
	if !multi && len(texts) > 1 {
		m.t.Fatalf("slackfake: %q (%s) takes one choice, got %q", label, f.kind, texts)
	}
	var picked []any
	for _, text := range texts {
		picked = append(picked, m.pick(f, text))
	}
	var v map[string]any
	switch strings.TrimPrefix(f.kind, "multi_") {
	case "static_select", "external_select", "radio_buttons", "checkboxes":
		if multi {
			v = map[string]any{"selected_options": picked}
		} else {
			v = map[string]any{"selected_option": picked[0]}
		}
	case "users_select":
		v = oneOrMany(multi, "selected_user", "selected_users", picked)
	case "conversations_select":
		v = oneOrMany(multi, "selected_conversation", "selected_conversations", picked)
	case "channels_select":
		v = oneOrMany(multi, "selected_channel", "selected_channels", picked)
	default:
		m.t.Fatalf("slackfake: %q is a %s; Choose needs a select, radio buttons or checkboxes", label, f.kind)
	}
	return m.enter(f, v)
}

func oneOrMany(multi bool, one, many string, picked []any) map[string]any {
	if multi {
		return map[string]any{many: picked}
	}
	return map[string]any{one: picked[0]}
}

// pick returns the option (or id) the person means by text.
func (m *Modal) pick(f modalField, text string) any {
	m.t.Helper()
	switch strings.TrimPrefix(f.kind, "multi_") {
	case "users_select":
		m.s.mu.Lock()
		defer m.s.mu.Unlock()
		for id, u := range m.s.users {
			if u.Name == text || u.RealName == text || id == text {
				return id
			}
		}
		m.t.Fatalf("slackfake: no user %q to choose in %q", text, f.label)
	case "conversations_select", "channels_select":
		m.s.mu.Lock()
		defer m.s.mu.Unlock()
		name := strings.TrimPrefix(text, "#")
		for id, c := range m.s.channels {
			if c.name == name || id == name {
				return id
			}
		}
		m.t.Fatalf("slackfake: no channel %q to choose in %q", text, f.label)
	case "external_select":
		return m.pickFrom(f, text, m.suggest(f, text))
	}
	return m.pickFrom(f, text, offered(f.element))
}

// pickFrom returns the option whose text is text, or the only one whose
// text contains it.
func (m *Modal) pickFrom(f modalField, text string, options []map[string]any) map[string]any {
	m.t.Helper()
	var near []map[string]any
	var seen []string
	for _, o := range options {
		got := plainText(o["text"])
		seen = append(seen, got)
		if got == text {
			return o
		}
		if strings.Contains(strings.ToLower(got), strings.ToLower(text)) {
			near = append(near, o)
		}
	}
	if len(near) == 1 {
		return near[0]
	}
	m.t.Fatalf("slackfake: %q offers no option %q; it offers %q", f.label, text, seen)
	return nil
}

// offered lists a static element's options, flattening option groups.
func offered(el map[string]any) []map[string]any {
	var out []map[string]any
	add := func(list any) {
		items, _ := list.([]any)
		for _, it := range items {
			if o, ok := it.(map[string]any); ok {
				out = append(out, o)
			}
		}
	}
	add(el["options"])
	groups, _ := el["option_groups"].([]any)
	for _, g := range groups {
		if gm, ok := g.(map[string]any); ok {
			add(gm["options"])
		}
	}
	return out
}

// suggest sends the block_suggestion Slack sends while the person types
// text into an external select, and returns the options the app answers.
func (m *Modal) suggest(f modalField, text string) []map[string]any {
	m.t.Helper()
	payload := m.payload("block_suggestion")
	payload["action_id"], payload["block_id"], payload["value"] = f.actionID, f.blockID, text
	ack := m.s.waitAckT(m.t, m.s.SendInteraction(payload))
	var answer map[string]any
	if err := json.Unmarshal(ack.Payload, &answer); err != nil {
		m.t.Fatalf("slackfake: the answer to typing %q in %q is not JSON: %s", text, f.label, ack.Payload)
	}
	return offered(answer)
}

// enter records v as the person's entry in f and, when the element
// dispatches actions, sends the block_actions Slack sends.
func (m *Modal) enter(f modalField, v map[string]any) *Modal {
	m.t.Helper()
	v["type"] = f.kind
	if m.set[f.blockID] == nil {
		m.set[f.blockID] = map[string]any{}
	}
	m.set[f.blockID][f.actionID] = v
	if !f.dispatch {
		return m
	}
	m.s.mu.Lock()
	before := m.s.views[m.id].hash
	m.s.mu.Unlock()
	m.s.ViewAction(m.t, m.user, m.id, f.blockID, f.actionID, v, m.set)
	// The app usually answers with views.update right after its ack;
	// give it that chance before the next field is looked for.
	m.s.waitChangedBriefly(m.id, before)
	return m
}

// Submit submits the modal as the person and waits for the ack. It
// fails the test if the app answers with field errors.
func (m *Modal) Submit() Ack {
	m.t.Helper()
	ack, errs := m.submit()
	if len(errs) > 0 {
		m.t.Fatalf("slackfake: modal %s refused: %v", m.id, errs)
	}
	return ack
}

// SubmitRefused submits the modal and returns the app's field errors by
// field label; it fails the test if the modal was accepted.
func (m *Modal) SubmitRefused() map[string]string {
	m.t.Helper()
	_, errs := m.submit()
	if len(errs) == 0 {
		m.t.Fatalf("slackfake: modal %s was accepted, want field errors", m.id)
	}
	return errs
}

func (m *Modal) submit() (Ack, map[string]string) {
	m.t.Helper()
	m.s.mu.Lock()
	fields := m.fieldsLocked()
	state := map[string]any{}
	labels := map[string]string{}
	for _, f := range fields {
		labels[f.blockID] = f.label
		v, ok := m.set[f.blockID][f.actionID]
		if !ok {
			v = initialState(f)
		}
		state[f.blockID] = map[string]any{f.actionID: v}
	}
	m.s.mu.Unlock()
	ack := m.s.submitState(m.t, m.user, m.id, state)
	var answer struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	_ = json.Unmarshal(ack.Payload, &answer)
	if answer.ResponseAction != "errors" {
		return ack, nil
	}
	errs := map[string]string{}
	for block, msg := range answer.Errors {
		label := labels[block]
		if label == "" {
			label = block
		}
		errs[label] = msg
	}
	return ack, errs
}

// initialState is the state Slack reports for a field the person left as
// the app filled it.
func initialState(f modalField) map[string]any {
	el := f.element
	v := map[string]any{"type": f.kind}
	copyKey := func(from, to string) {
		if x, ok := el[from]; ok {
			v[to] = x
		} else {
			v[to] = nil
		}
	}
	switch strings.TrimPrefix(f.kind, "multi_") {
	case "plain_text_input", "number_input", "email_text_input", "url_text_input":
		copyKey("initial_value", "value")
	case "datepicker":
		copyKey("initial_date", "selected_date")
	case "timepicker":
		copyKey("initial_time", "selected_time")
	case "users_select":
		if strings.HasPrefix(f.kind, "multi_") {
			copyKey("initial_users", "selected_users")
		} else {
			copyKey("initial_user", "selected_user")
		}
	case "conversations_select":
		if strings.HasPrefix(f.kind, "multi_") {
			copyKey("initial_conversations", "selected_conversations")
		} else {
			copyKey("initial_conversation", "selected_conversation")
		}
	case "channels_select":
		if strings.HasPrefix(f.kind, "multi_") {
			copyKey("initial_channels", "selected_channels")
		} else {
			copyKey("initial_channel", "selected_channel")
		}
	case "checkboxes":
		copyKey("initial_options", "selected_options")
	default: // selects and radio buttons
		if strings.HasPrefix(f.kind, "multi_") {
			copyKey("initial_options", "selected_options")
		} else {
			copyKey("initial_option", "selected_option")
		}
	}
	return v
}

// field waits until the modal shows a field labelled label.
func (m *Modal) field(label string) modalField {
	m.t.Helper()
	var found modalField
	err := m.s.waitForT(func() bool {
		for _, f := range m.fieldsLocked() {
			if f.label == label {
				found = f
				return true
			}
		}
		return false
	})
	if err != nil {
		m.t.Fatalf("slackfake: modal %s has no field %q (%v); its fields: %q", m.id, label, err, m.Labels())
	}
	return found
}

// fieldsLocked lists the modal's input blocks as they are now.
func (m *Modal) fieldsLocked() []modalField {
	lv := m.s.views[m.id]
	if lv == nil {
		return nil
	}
	blocks, _ := lv.obj["blocks"].([]any)
	var out []modalField
	for _, b := range blocks {
		bm, _ := b.(map[string]any)
		if bm["type"] != "input" {
			continue
		}
		el, _ := bm["element"].(map[string]any)
		f := modalField{label: plainText(bm["label"]), element: el}
		f.blockID, _ = bm["block_id"].(string)
		f.actionID, _ = el["action_id"].(string)
		f.kind, _ = el["type"].(string)
		f.dispatch, _ = bm["dispatch_action"].(bool)
		out = append(out, f)
	}
	return out
}

// payload is a block_suggestion-like interaction from inside the modal,
// with the modal and the person's entries so far as its state.
func (m *Modal) payload(kind string) map[string]any {
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	obj, _ := m.s.viewObjLocked(m.id)
	state := map[string]any{}
	for block, actions := range m.set {
		state[block] = actions
	}
	obj["state"] = map[string]any{"values": state}
	return map[string]any{
		"type": kind, "user": m.s.userObjLocked(m.user), "api_app_id": AppID, "token": VerificationToken,
		"team":      map[string]any{"id": TeamID, "domain": TeamDomain},
		"container": map[string]any{"type": "view", "view_id": m.id},
		"view":      obj, "is_enterprise_install": false, "enterprise": nil,
	}
}

// plainText is the text of a text object ({"type":"plain_text","text":…}).
func plainText(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["text"].(string)
	return s
}

// waitForT waits, under the server's lock, until cond holds or
// Options.HelperTimeout passes.
func (s *Server) waitForT(cond func() bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.HelperTimeout)
	defer cancel()
	return s.waitFor(ctx, cond)
}

// waitChangedBriefly waits up to a second for view id's hash to move on
// from before: an app answering a dispatched action rebuilds the modal
// right after its ack.
func (s *Server) waitChangedBriefly(id, before string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.waitFor(ctx, func() bool {
		lv := s.views[id]
		return lv == nil || lv.hash != before
	})
	s.mu.Lock()
	s.handOutLocked(id)
	s.mu.Unlock()
}

// handOutLocked records that the test holds view id as it is now, so
// that ExpectModal waits for a different one.
func (s *Server) handOutLocked(id string) {
	if lv := s.views[id]; lv != nil {
		s.handedOut[lv.id+"/"+lv.hash] = true
	}
}

// describeModal is user's top modal as text, for failure messages.
func (s *Server) describeModal(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	lv := s.views[s.topModal[user]]
	if lv == nil {
		return "(none)"
	}
	var labels []string
	blocks, _ := lv.obj["blocks"].([]any)
	for _, b := range blocks {
		if bm, _ := b.(map[string]any); bm["type"] == "input" {
			labels = append(labels, plainText(bm["label"]))
		}
	}
	return fmt.Sprintf("%q (%s) with fields %q", plainText(lv.obj["title"]), lv.id, slices.Clip(labels))
}
