package pdfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Webhooks v3. The fake delivers nothing itself; tests build the bodies
// PagerDuty would send about the fake's state with these helpers, sign
// them with SignWebhook and POST them to toban. Bodies are one event,
// {"event": {id, event_type, resource_type, occurred_at, agent, client,
// data}}, with occurred_at the fake's now.

// Webhook event types the builders know.
const (
	WebhookTriggered       = "incident.triggered"
	WebhookAcknowledged    = "incident.acknowledged"
	WebhookResolved        = "incident.resolved"
	WebhookReassigned      = "incident.reassigned"
	WebhookEscalated       = "incident.escalated"
	WebhookPriorityUpdated = "incident.priority_updated"
	WebhookStatusUpdate    = "incident.status_update_published"
	WebhookResponderAdded  = "incident.responder.added"
	WebhookResponderReply  = "incident.responder.replied"
)

// SignWebhook returns the X-PagerDuty-Signature header for body: one
// "v1=<hex HMAC-SHA256>" per secret, comma-separated, as during a
// secret rotation.
func SignWebhook(body []byte, secrets ...string) string {
	var sigs []string
	for _, sec := range secrets {
		m := hmac.New(sha256.New, []byte(sec))
		m.Write(body)
		sigs = append(sigs, "v1="+hex.EncodeToString(m.Sum(nil)))
	}
	return strings.Join(sigs, ",")
}

// webhookRef is a reference as webhooks carry them.
type webhookRef struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Summary string `json:"summary"`
	Self    string `json:"self,omitempty"`
	HTMLURL string `json:"html_url,omitempty"`
}

func (s *Server) webhookRef(r ref) *webhookRef {
	return &webhookRef{ID: r.ID, Type: r.Type, Summary: r.Summary, Self: r.Self, HTMLURL: r.HTMLURL}
}

// webhookIncidentLocked is an incident as webhook data: the v3 shape,
// which differs from the REST one (number, assignees, priority summary).
func (s *Server) webhookIncidentLocked(st *incidentState) map[string]any {
	data := map[string]any{
		"id": st.ID, "type": "incident", "self": s.URL() + "/incidents/" + st.ID,
		"html_url": s.opts.HTMLBase + "/incidents/" + st.ID, "number": st.Number,
		"status": st.Status, "incident_key": nil, "created_at": fmtTime(st.CreatedAt), "title": st.Title,
		"service":           s.webhookRef(s.serviceRef(st.ServiceID)),
		"escalation_policy": s.webhookRef(s.epRef(st.EscalationPolicyID)),
		"assignees":         []*webhookRef{}, "teams": []any{}, "priority": nil,
		"urgency": st.Urgency, "conference_bridge": nil, "resolve_reason": nil,
	}
	if st.IncidentKey != "" {
		data["incident_key"] = st.IncidentKey
	}
	if st.Open() {
		var as []*webhookRef
		for _, id := range st.AssigneeIDs {
			as = append(as, s.webhookRef(s.userRef(id)))
		}
		if as != nil {
			data["assignees"] = as
		}
	}
	if p, ok := s.priorityLocked(st.PriorityID, ""); ok {
		data["priority"] = &webhookRef{ID: p.ID, Type: "priority", Summary: p.Name,
			Self: s.URL() + "/priorities/" + p.ID, HTMLURL: s.opts.HTMLBase + "/account/incident_priorities"}
	}
	return data
}

// webhookLocked wraps data in an event envelope.
func (s *Server) webhookLocked(eventID, eventType, agentUserID string, data any) ([]byte, error) {
	var agent *webhookRef
	if agentUserID != "" {
		agent = s.webhookRef(s.userRef(agentUserID))
	}
	return json.Marshal(map[string]any{"event": map[string]any{
		"id": eventID, "event_type": eventType, "resource_type": "incident",
		"occurred_at": s.now().Format("2006-01-02T15:04:05.000Z"),
		"agent":       agent, "client": nil, "data": data,
	}})
}

// IncidentWebhook builds an event whose data is the incident as it is now
// (triggered, acknowledged, resolved, reassigned, escalated,
// priority_updated, ...), done by agentUserID (empty: PagerDuty itself).
func (s *Server) IncidentWebhook(eventID, eventType, incidentID, agentUserID string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.incidents[incidentID]
	if st == nil {
		return nil, fmt.Errorf("incident %s: %w", incidentID, ErrNotFound)
	}
	return s.webhookLocked(eventID, eventType, agentUserID, s.webhookIncidentLocked(st))
}

// StatusUpdateWebhook builds incident.status_update_published for one of
// an incident's status updates (see StatusUpdates), sent by its author.
func (s *Server) StatusUpdateWebhook(eventID, incidentID, statusUpdateID string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.incidents[incidentID]
	i := slices.IndexFunc(s.statusUpdates[incidentID], func(u StatusUpdate) bool { return u.ID == statusUpdateID })
	if st == nil || i < 0 {
		return nil, fmt.Errorf("status update %s on %s: %w", statusUpdateID, incidentID, ErrNotFound)
	}
	u := s.statusUpdates[incidentID][i]
	return s.webhookLocked(eventID, WebhookStatusUpdate, u.UserID, map[string]any{
		"incident": s.webhookRef(s.incidentRef(st)), "id": u.ID, "message": u.Message,
		"trimmed": false, "type": "incident_status_update",
	})
}

// ResponderWebhook builds incident.responder.added (agent: the requester)
// or incident.responder.replied (agent: the responder, with the state
// RespondAs left) for userID's responder entry on an incident.
func (s *Server) ResponderWebhook(eventID, eventType, incidentID, userID string) ([]byte, error) {
	if eventType != WebhookResponderAdded && eventType != WebhookResponderReply {
		return nil, fmt.Errorf("pdfake: %q is not a responder event type", eventType)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.incidents[incidentID]
	if st == nil {
		return nil, fmt.Errorf("incident %s: %w", incidentID, ErrNotFound)
	}
	i := slices.IndexFunc(st.Responders, func(r Responder) bool { return r.UserID == userID })
	if i < 0 {
		return nil, fmt.Errorf("responder %s on %s: %w", userID, incidentID, ErrNotFound)
	}
	r := st.Responders[i]
	var ep *webhookRef
	for _, id := range sortedIDs(s.eps) {
		if slices.Contains(r.ViaPolicies, s.eps[id].Name) {
			ep = s.webhookRef(s.epRef(id))
			break
		}
	}
	agent := r.RequesterID
	if eventType == WebhookResponderReply {
		agent = r.UserID
	}
	return s.webhookLocked(eventID, eventType, agent, map[string]any{
		"incident": s.webhookRef(s.incidentRef(st)), "user": s.webhookRef(s.userRef(r.UserID)),
		"escalation_policy": ep, "message": r.Message, "state": r.State, "type": "incident_responder",
	})
}

func sortedIDs[T any](m map[string]*T) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
