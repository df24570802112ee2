package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tobanbot/toban/domain"
)

// SourceWebhook is the domain.IncidentEvent Source of decoded events.
const SourceWebhook = "webhook"

// envelope is one v3 webhook payload: {"event": {...}}.
type envelope struct {
	Event *wireEvent `json:"event"`
}

type wireEvent struct {
	ID         string          `json:"id"`
	EventType  string          `json:"event_type"`
	OccurredAt string          `json:"occurred_at"`
	Agent      *wireRef        `json:"agent"`
	Data       json.RawMessage `json:"data"`
}

// wireRef is a PagerDuty reference object (user, service, ...).
type wireRef struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Summary string `json:"summary"`
}

// wireData is the union of the event.data shapes toban reads: an incident
// ("type": "incident"), or an object about one ("incident_note",
// "incident_responder", ...) that names it in "incident".
type wireData struct {
	ID               string    `json:"id"`
	Type             string    `json:"type"`
	Number           int       `json:"number"`
	Title            string    `json:"title"`
	Summary          string    `json:"summary"`
	Status           string    `json:"status"`
	Urgency          string    `json:"urgency"`
	HTMLURL          string    `json:"html_url"`
	CreatedAt        string    `json:"created_at"`
	Service          *wireRef  `json:"service"`
	EscalationPolicy *wireRef  `json:"escalation_policy"`
	Assignees        []wireRef `json:"assignees"`
	// Incident names the incident of a note, responder or status update.
	Incident *wireRef `json:"incident"`
	// Content is a note's text.
	Content string `json:"content"`
	// Message is a status update's text, or a responder request's.
	Message string `json:"message"`
	// Trimmed says PagerDuty cut Message (or a note's Content) short;
	// toban shows such a text ending in "…".
	Trimmed bool `json:"trimmed"`
	// User is the responder of an incident_responder; State their answer
	// ("pending", "joined", "declined").
	User  *wireRef `json:"user"`
	State string   `json:"state"`
}

// statusAfter is the status an incident is in right after an event of
// this type; the event's agent is who put it there.
var statusAfter = map[string]domain.Status{
	domain.EventTriggered:      domain.StatusTriggered,
	domain.EventAcknowledged:   domain.StatusAcknowledged,
	domain.EventUnacknowledged: domain.StatusTriggered,
	domain.EventResolved:       domain.StatusResolved,
	domain.EventReopened:       domain.StatusTriggered,
}

// Decode parses a PagerDuty v3 webhook body: one {"event": {...}} object
// or, leniently, a JSON array of them. Every event needs an id and an
// event_type; an event of a type in domain.HandledEventTypes also needs
// occurred_at and an incident (event.data for incident data, else
// event.data.incident). Events of other types are returned as decoded as
// they could be, unchecked. One bad event fails the whole body.
//
// For incident data, Incident is a snapshot of the incident when the event
// happened: ID, Number, Title, ServiceID/Name, Urgency, Status, Assignees,
// CreatedAt, URL, EscalationPolicyID/Name, UpdatedAt (= OccurredAt) and,
// for status changes (triggered, acknowledged, unacknowledged, resolved,
// reopened) whose data agrees with the change, LastStatusChangeBy/At (the
// agent, OccurredAt). Acknowledgements are not in the payload and stay
// empty. Notes, responders and status updates leave Incident nil; a
// status update sets StatusUpdate (ID, Message, By = the agent) and a
// responder event sets Responder (User, State, Message, and RequestedBy =
// the agent for incident.responder.added). A message PagerDuty trimmed
// ends in "…".
func Decode(body []byte) ([]domain.IncidentEvent, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, errors.New("empty body")
	}
	var envs []envelope
	if body[0] == '[' {
		if err := json.Unmarshal(body, &envs); err != nil {
			return nil, fmt.Errorf("malformed JSON: %w", err)
		}
		if len(envs) == 0 {
			return nil, errors.New("empty batch")
		}
	} else {
		var env envelope
		if err := json.Unmarshal(body, &env); err != nil {
			return nil, fmt.Errorf("malformed JSON: %w", err)
		}
		envs = []envelope{env}
	}
	out := make([]domain.IncidentEvent, 0, len(envs))
	for i, env := range envs {
		ev, err := decodeEvent(env.Event)
		if err != nil {
			if len(envs) > 1 {
				return nil, fmt.Errorf("event %d: %w", i+1, err)
			}
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

func decodeEvent(we *wireEvent) (domain.IncidentEvent, error) {
	switch {
	case we == nil:
		return domain.IncidentEvent{}, errors.New(`not a v3 webhook: no "event" object`)
	case we.ID == "":
		return domain.IncidentEvent{}, errors.New("event has no id")
	case we.EventType == "":
		return domain.IncidentEvent{}, fmt.Errorf("event %s has no event_type", we.ID)
	}
	ev := domain.IncidentEvent{ID: we.ID, Type: we.EventType, Agent: agent(we.Agent), Source: SourceWebhook}
	handled := domain.HandledEventTypes[we.EventType]
	occurred, err := time.Parse(time.RFC3339Nano, we.OccurredAt)
	if (err != nil || occurred.IsZero()) && handled {
		return domain.IncidentEvent{}, fmt.Errorf("event %s: bad occurred_at %q", we.ID, we.OccurredAt)
	}
	ev.OccurredAt = occurred.UTC()
	if !strings.HasPrefix(we.EventType, "incident.") {
		return ev, nil // not about an incident: nothing more to read
	}
	var d wireData
	if err := unmarshalData(we.Data, &d); err != nil {
		if handled {
			return domain.IncidentEvent{}, fmt.Errorf("event %s: bad data: %w", we.ID, err)
		}
		return ev, nil
	}
	switch {
	case d.Type == "incident" || (d.Type == "" && d.Incident == nil):
		ev.IncidentID = d.ID
		if d.ID != "" {
			inc := snapshot(d, ev)
			ev.Incident = &inc
		}
	case d.Incident != nil:
		ev.IncidentID = d.Incident.ID
	}
	switch we.EventType {
	case domain.EventAnnotated:
		ev.Note = trimmed(d.Content, d.Trimmed)
	case domain.EventStatusUpdatePublished:
		if d.ID == "" && handled {
			return domain.IncidentEvent{}, fmt.Errorf("event %s: status update without id", we.ID)
		}
		ev.StatusUpdate = &domain.StatusUpdate{ID: d.ID, IncidentID: ev.IncidentID, Message: trimmed(d.Message, d.Trimmed),
			By: ev.Agent, CreatedAt: ev.OccurredAt}
	case domain.EventResponderAdded, domain.EventResponderReplied:
		if d.User == nil || d.User.ID == "" {
			if handled {
				return domain.IncidentEvent{}, fmt.Errorf("event %s: responder without user", we.ID)
			}
			break
		}
		r := &domain.Responder{User: domain.Person{ID: d.User.ID, Name: d.User.Summary}, State: d.State,
			Message: trimmed(d.Message, d.Trimmed)}
		if we.EventType == domain.EventResponderAdded {
			r.RequestedBy, r.RequestedAt = ev.Agent, ev.OccurredAt
		}
		ev.Responder = r
	}
	if handled && ev.IncidentID == "" {
		return domain.IncidentEvent{}, fmt.Errorf("event %s names no incident", we.ID)
	}
	return ev, nil
}

// trimmed marks a message PagerDuty cut short, so nobody takes it for the
// whole text.
func trimmed(msg string, cut bool) string {
	if cut && msg != "" {
		return msg + "…"
	}
	return msg
}

// unmarshalData decodes event.data, which must be an object.
func unmarshalData(raw json.RawMessage, d *wireData) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return errors.New("not an object")
	}
	return json.Unmarshal(raw, d)
}

// snapshot maps incident data to the incident as the event left it.
func snapshot(d wireData, ev domain.IncidentEvent) domain.Incident {
	inc := domain.Incident{
		ID:        d.ID,
		Number:    d.Number,
		Title:     firstNonEmpty(d.Title, d.Summary),
		Urgency:   d.Urgency,
		Status:    domain.Status(d.Status),
		URL:       d.HTMLURL,
		UpdatedAt: ev.OccurredAt,
	}
	if t, err := time.Parse(time.RFC3339Nano, d.CreatedAt); err == nil {
		inc.CreatedAt = t.UTC()
	}
	if d.Service != nil {
		inc.ServiceID, inc.ServiceName = d.Service.ID, d.Service.Summary
	}
	if d.EscalationPolicy != nil {
		inc.EscalationPolicyID, inc.EscalationPolicyName = d.EscalationPolicy.ID, d.EscalationPolicy.Summary
	}
	for _, a := range d.Assignees {
		inc.Assignees = append(inc.Assignees, domain.Person{ID: a.ID, Name: a.Summary})
	}
	if want, ok := statusAfter[ev.Type]; ok && inc.Status == want {
		inc.LastStatusChangeBy, inc.LastStatusChangeAt = ev.Agent, ev.OccurredAt
	}
	return inc
}

// agent maps who made a change. Only users get an ID: a service or an
// integration is named only, so that its ID is never taken for a user's.
func agent(r *wireRef) domain.Person {
	if r == nil {
		return domain.Person{}
	}
	switch r.Type {
	case "user_reference", "user":
		return domain.Person{ID: r.ID, Name: r.Summary}
	}
	return domain.Person{Name: firstNonEmpty(r.Summary, r.ID)}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
