package pdfake

import (
	"net/http"
	"strings"
	"time"
)

// AutomationAction is a PagerDuty Automation Action (Runbook Automation)
// as the fake runs it: each read of an invocation moves it one state on,
// created → running → Outcome.
type AutomationAction struct {
	ID   string
	Name string
	// Outcome is the invocation's final state: "completed" (default),
	// "error" or "aborted".
	Outcome string
}

// Invocation is one run of an automation action, as the fake recorded it.
type Invocation struct {
	ID         string
	ActionID   string
	IncidentID string
	// AgentEmail is the From header of the request that started it.
	AgentEmail string
	State      string
	Timing     []InvocationTiming
}

// InvocationTiming is one state transition.
type InvocationTiming struct {
	State string
	At    time.Time
}

type automationState struct {
	actions     map[string]*AutomationAction
	invocations map[string]*Invocation
	order       []string
}

// AddAutomationAction declares an automation action.
func (s *Server) AddAutomationAction(a AutomationAction) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.Outcome == "" {
		a.Outcome = "completed"
	}
	if s.automation.actions == nil {
		s.automation.actions = map[string]*AutomationAction{}
		s.automation.invocations = map[string]*Invocation{}
	}
	s.automation.actions[a.ID] = &a
}

// Invocations returns every invocation made, oldest first.
func (s *Server) Invocations() []Invocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Invocation, 0, len(s.automation.order))
	for _, id := range s.automation.order {
		inv := *s.automation.invocations[id]
		inv.Timing = append([]InvocationTiming(nil), inv.Timing...)
		out = append(out, inv)
	}
	return out
}

// POST /automation_actions/actions/{id}/invocations:
// {"invocation":{"metadata":{"incident_id"}}} -> 201 {"invocation":{…}}.
func (s *Server) createInvocation(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Invocation *struct {
			Metadata *struct {
				IncidentID string `json:"incident_id"`
				AlertID    string `json:"alert_id"`
			} `json:"metadata"`
		} `json:"invocation"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	action := s.automation.actions[r.PathValue("id")]
	if action == nil {
		notFound(w)
		return
	}
	if body.Invocation == nil || body.Invocation.Metadata == nil || body.Invocation.Metadata.IncidentID == "" {
		invalid(w, "invocation.metadata.incident_id is required")
		return
	}
	if s.incidentByRefLocked(body.Invocation.Metadata.IncidentID) == nil {
		invalid(w, "Incident not found")
		return
	}
	// The spec does not require From here; when sent it must name a user,
	// who becomes the invocation's agent.
	if r.Header.Get("From") != "" {
		if _, ok := s.requesterLocked(w, r); !ok {
			return
		}
	}
	now := s.opts.Now().UTC()
	inv := &Invocation{ID: s.newID("INV"), ActionID: action.ID, IncidentID: body.Invocation.Metadata.IncidentID,
		AgentEmail: r.Header.Get("From"), State: "created", Timing: []InvocationTiming{{State: "created", At: now}}}
	s.automation.invocations[inv.ID] = inv
	s.automation.order = append(s.automation.order, inv.ID)
	writeJSON(w, http.StatusCreated, map[string]any{"invocation": s.invocationJSON(inv)})
}

// GET /automation_actions/invocations/{id}: each read moves the invocation
// one state on, as a runner working through it would.
func (s *Server) getInvocation(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv := s.automation.invocations[r.PathValue("id")]
	if inv == nil {
		notFound(w)
		return
	}
	next := map[string]string{"created": "running", "running": s.automation.actions[inv.ActionID].Outcome}[inv.State]
	if next != "" {
		inv.State = next
		inv.Timing = append(inv.Timing, InvocationTiming{State: next, At: s.opts.Now().UTC()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"invocation": s.invocationJSON(inv)})
}

func (s *Server) invocationJSON(inv *Invocation) map[string]any {
	action := s.automation.actions[inv.ActionID]
	timing := make([]map[string]any, 0, len(inv.Timing))
	for _, t := range inv.Timing {
		timing = append(timing, map[string]any{"timestamp": t.At.Format(time.RFC3339), "state": t.State})
	}
	meta := map[string]any{"incident": map[string]any{"id": inv.IncidentID, "type": "incident_reference"}}
	for _, u := range s.users {
		if inv.AgentEmail != "" && strings.EqualFold(u.Email, inv.AgentEmail) {
			meta["agent"] = map[string]any{"id": u.ID, "type": "user_reference"}
		}
	}
	return map[string]any{
		"id": inv.ID, "type": "invocation", "summary": action.Name,
		"action_id":       inv.ActionID,
		"action_snapshot": map[string]any{"name": action.Name, "action_type": "script"},
		"runner_id":       "RUNNER1",
		"timing":          timing,
		"duration":        int(inv.Timing[len(inv.Timing)-1].At.Sub(inv.Timing[0].At).Milliseconds()),
		"state":           inv.State,
		"metadata":        meta,
	}
}
