package pdfake

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

type priorityJSON struct {
	ref
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (s *Server) priorityJSON(p Priority) priorityJSON {
	r := s.mkRef(p.ID, "priority", p.Name, "/priorities/")
	r.HTMLURL = ""
	return priorityJSON{ref: r, Name: p.Name, Description: p.Description}
}

type statusUpdateJSON struct {
	ID        string `json:"id"`
	Message   string `json:"message"`
	Subject   string `json:"subject,omitempty"`
	CreatedAt string `json:"created_at"`
	Sender    ref    `json:"sender"`
}

func (s *Server) statusUpdateJSON(u StatusUpdate) statusUpdateJSON {
	return statusUpdateJSON{ID: u.ID, Message: u.Message, Subject: u.Subject, CreatedAt: fmtTime(u.CreatedAt), Sender: s.userRef(u.UserID)}
}

type responderJSON struct {
	State                    string   `json:"state"`
	User                     ref      `json:"user"`
	Incident                 ref      `json:"incident"`
	UpdatedAt                string   `json:"updated_at"`
	Message                  string   `json:"message"`
	Requester                ref      `json:"requester"`
	RequestedAt              string   `json:"requested_at"`
	EscalationPolicyRequests []string `json:"escalation_policy_requests"`
}

func (s *Server) responderJSON(st *incidentState, r Responder) responderJSON {
	out := responderJSON{State: r.State, User: s.userRef(r.UserID), Incident: s.incidentRef(st),
		UpdatedAt: fmtTime(r.UpdatedAt), Message: r.Message, Requester: s.userRef(r.RequesterID),
		RequestedAt: fmtTime(r.RequestedAt), EscalationPolicyRequests: []string{}}
	out.EscalationPolicyRequests = append(out.EscalationPolicyRequests, r.ViaPolicies...)
	return out
}

type rrTargetJSON struct {
	Type                string          `json:"type"`
	ID                  string          `json:"id"`
	Summary             string          `json:"summary"`
	IncidentsResponders []responderJSON `json:"incidents_responders"`
}

type rrJSON struct {
	ID          string `json:"id"`
	Incident    ref    `json:"incident"`
	Requester   ref    `json:"requester"`
	RequestedAt string `json:"requested_at"`
	Message     string `json:"message"`
	// Each target is wrapped in {"responder_request_target": …}, as in
	// PagerDuty's examples and go-pagerduty's types.
	Targets []map[string]rrTargetJSON `json:"responder_request_targets"`
}

// rrJSON renders a responder request with, under each target, the
// incident's responders it reached.
func (s *Server) rrJSON(st *incidentState, rr ResponderRequest) rrJSON {
	out := rrJSON{ID: rr.ID, Incident: s.incidentRef(st), Requester: s.userRef(rr.RequesterID),
		RequestedAt: fmtTime(rr.RequestedAt), Message: rr.Message, Targets: []map[string]rrTargetJSON{}}
	for _, t := range rr.Targets {
		tj := rrTargetJSON{Type: "user", ID: t.ID, Summary: s.userName(t.ID), IncidentsResponders: []responderJSON{}}
		if t.Type == TargetEscalationPolicy {
			tj.Type, tj.Summary = "escalation_policy", s.epRef(t.ID).Summary
		}
		for _, r := range st.Responders {
			reached := (t.Type == TargetUser && r.UserID == t.ID) ||
				(t.Type == TargetEscalationPolicy && containsString(r.ViaPolicies, tj.Summary))
			if reached {
				tj.IncidentsResponders = append(tj.IncidentsResponders, s.responderJSON(st, r))
			}
		}
		out.Targets = append(out.Targets, map[string]rrTargetJSON{"responder_request_target": tj})
	}
	return out
}

func containsString(ss []string, v string) bool {
	for _, s := range ss {
		if s == v {
			return true
		}
	}
	return false
}

type pendingActionJSON struct {
	Type string `json:"type"`
	At   string `json:"at"`
}

// incidentOpsJSON fills in what the incident actions add to an incident:
// priority, responders, responder requests and a snooze's pending action.
func (s *Server) incidentOpsJSON(st *incidentState, out *incidentJSON) {
	if p, ok := s.priorityLocked(st.PriorityID, ""); ok {
		pj := s.priorityJSON(p)
		out.Priority = &pj
	}
	out.IncidentsResponders = []responderJSON{}
	for _, r := range st.Responders {
		out.IncidentsResponders = append(out.IncidentsResponders, s.responderJSON(st, r))
	}
	out.ResponderRequests = []rrJSON{}
	for _, rr := range s.responderRequests[st.ID] {
		out.ResponderRequests = append(out.ResponderRequests, s.rrJSON(st, rr))
	}
	if !st.SnoozedUntil.IsZero() {
		out.PendingActions = append(out.PendingActions, pendingActionJSON{Type: "unacknowledge", At: fmtTime(st.SnoozedUntil)})
	}
}

// GET /priorities: the account's priorities, most severe first; none
// when priorities are turned off.
func (s *Server) listPriorities(w http.ResponseWriter, r *http.Request) {
	p, ok := parsePage(w, r.URL.Query())
	if !ok {
		return
	}
	s.mu.Lock()
	out := []priorityJSON{}
	if !s.prioritiesOff {
		for _, pr := range s.priorities {
			out = append(out, s.priorityJSON(pr))
		}
	}
	s.mu.Unlock()
	writePage(w, "priorities", out, p)
}

// POST /incidents/{id}/status_updates (From required): {"message",
// "subject", "html_message"} -> 200 {"status_update"}.
func (s *Server) createStatusUpdate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Message *string `json:"message"`
		Subject string  `json:"subject"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	user, st, ok := s.requesterAndIncidentLocked(w, r)
	if !ok {
		return
	}
	if body.Message == nil || strings.TrimSpace(*body.Message) == "" {
		invalid(w, "Message cannot be empty")
		return
	}
	u := s.addStatusUpdateLocked(st, user.ID, *body.Message, body.Subject)
	writeJSON(w, http.StatusOK, map[string]any{"status_update": s.statusUpdateJSON(u)})
}

// rrTargetIn is a responder request target as sent: wrapped in
// {"responder_request_target": {...}} (PagerDuty's example, go-pagerduty)
// or bare (PagerDuty's schema).
type rrTargetIn struct {
	refIn
	Wrapped *refIn `json:"responder_request_target"`
}

// POST /incidents/{id}/responder_requests (From required): {"requester_id",
// "message", "responder_request_targets"} -> 200 {"responder_request"}.
func (s *Server) createResponderRequest(w http.ResponseWriter, r *http.Request) {
	var body struct {
		RequesterID string       `json:"requester_id"`
		Message     string       `json:"message"`
		Targets     []rrTargetIn `json:"responder_request_targets"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.requesterLocked(w, r); !ok {
		return
	}
	st := s.incidentByRefLocked(r.PathValue("id"))
	if st == nil {
		notFound(w)
		return
	}
	switch {
	case body.RequesterID == "":
		invalid(w, "Requester id cannot be empty")
		return
	case s.users[body.RequesterID] == nil:
		invalid(w, "Requester not found")
		return
	case strings.TrimSpace(body.Message) == "":
		invalid(w, "Message cannot be empty")
		return
	case len(body.Targets) == 0:
		invalid(w, "Responder request targets cannot be empty")
		return
	}
	var targets []Target
	for _, t := range body.Targets {
		in := t.refIn
		if t.Wrapped != nil {
			in = *t.Wrapped
		}
		switch in.Type {
		case "user", "user_reference":
			targets = append(targets, Target{Type: TargetUser, ID: in.ID})
		case "escalation_policy", "escalation_policy_reference":
			targets = append(targets, Target{Type: TargetEscalationPolicy, ID: in.ID})
		default:
			invalid(w, "Responder request target type must be user_reference or escalation_policy_reference")
			return
		}
	}
	rr, err := s.addResponderRequestLocked(st, body.RequesterID, body.Message, targets)
	if err != nil {
		invalid(w, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"responder_request": s.rrJSON(st, rr)})
}

// POST /incidents/{id}/snooze (From required): {"duration": seconds,
// 1..604800} -> 201 {"incident"}. Only an acknowledged incident can be
// snoozed.
func (s *Server) snoozeIncident(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Duration *json.Number `json:"duration"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	user, st, ok := s.requesterAndIncidentLocked(w, r)
	if !ok {
		return
	}
	if body.Duration == nil {
		invalid(w, "Duration cannot be empty")
		return
	}
	secs, err := body.Duration.Int64()
	if err != nil || secs < 1 || secs > 604800 {
		invalid(w, "Duration must be an integer number of seconds between 1 and 604800")
		return
	}
	if err := s.snoozeLocked(st, user.ID, time.Duration(secs)*time.Second); err != nil {
		invalid(w, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"incident": s.incidentJSON(st)})
}

// parsePriorityIn reads an update's "priority": a reference
// {"id","type":"priority_reference"} or a priority's name.
func parsePriorityIn(raw json.RawMessage) (id, name string, ok bool) {
	if err := json.Unmarshal(raw, &name); err == nil {
		return "", name, name != ""
	}
	var ref struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil || ref.ID == "" {
		return "", "", false
	}
	return ref.ID, "", ref.Type == "priority" || ref.Type == "priority_reference"
}
