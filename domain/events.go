package domain

import "time"

// Incident event types, named as PagerDuty's v3 webhooks name them; the
// poller maps log entries to the same names.
const (
	EventTriggered       = "incident.triggered"
	EventAcknowledged    = "incident.acknowledged"
	EventUnacknowledged  = "incident.unacknowledged"
	EventResolved        = "incident.resolved"
	EventReopened        = "incident.reopened"
	EventEscalated       = "incident.escalated"
	EventReassigned      = "incident.reassigned"
	EventDelegated       = "incident.delegated"
	EventPriorityUpdated = "incident.priority_updated"
	EventAnnotated       = "incident.annotated"
	EventResponderAdded  = "incident.responder.added"
	// EventResponderReplied is a responder accepting or declining a
	// responder request.
	EventResponderReplied = "incident.responder.replied"
	// EventStatusUpdatePublished is a status update posted on an incident
	// for its stakeholders.
	EventStatusUpdatePublished = "incident.status_update_published"
)

// HandledEventTypes are the event types toban acts on; others are accepted
// and ignored.
var HandledEventTypes = map[string]bool{
	EventTriggered: true, EventAcknowledged: true, EventUnacknowledged: true,
	EventResolved: true, EventReopened: true, EventEscalated: true,
	EventReassigned: true, EventDelegated: true, EventPriorityUpdated: true,
	EventAnnotated: true, EventResponderAdded: true,
	EventResponderReplied: true, EventStatusUpdatePublished: true,
}

// IncidentEvent is one change to an incident, from a webhook or the poller.
type IncidentEvent struct {
	// ID is PagerDuty's event ID (webhook event.id, or the log entry ID for
	// the poller); the same change delivered twice has the same ID.
	ID         string
	Type       string
	IncidentID string
	OccurredAt time.Time
	// Agent is who made the change, when PagerDuty says.
	Agent Person
	// Incident is the incident as the event carried it (webhooks), nil when
	// the source only names it (poller): then it must be read.
	Incident *Incident
	// Note is the note's content, for EventAnnotated.
	Note string
	// StatusUpdate is the status update published, for
	// EventStatusUpdatePublished: its ID (the same one PagerDuty answered
	// the post with, so toban knows its own) and message; By is the agent.
	StatusUpdate *StatusUpdate `json:",omitempty"`
	// Responder is whom a responder request asked and their State, for
	// EventResponderAdded (RequestedBy is the agent, who asked) and
	// EventResponderReplied (the agent is the responder).
	Responder *Responder `json:",omitempty"`
	// Source is "webhook" or "poller".
	Source string
}
