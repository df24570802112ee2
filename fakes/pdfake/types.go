package pdfake

import (
	"encoding/json"
	"time"
)

// Target types an EscalationLevel can point at.
const (
	TargetUser     = "user_reference"
	TargetSchedule = "schedule_reference"
)

// Incident statuses.
const (
	StatusTriggered    = "triggered"
	StatusAcknowledged = "acknowledged"
	StatusResolved     = "resolved"
)

// Log entry types the fake writes.
const (
	LogTrigger     = "trigger_log_entry"
	LogAcknowledge = "acknowledge_log_entry"
	LogResolve     = "resolve_log_entry"
	LogEscalate    = "escalate_log_entry"
	LogAnnotate    = "annotate_log_entry"
	LogAssign      = "assign_log_entry"
	LogSnooze      = "snooze_log_entry"
	LogUnack       = "unacknowledge_log_entry"
)

// User is a PagerDuty user. Email is what the From header must carry for
// writes made on the user's behalf.
type User struct {
	ID       string
	Name     string
	Email    string
	TimeZone string // default "UTC"
}

// Service is a PagerDuty service. IntegrationKey, when set, is the Events API
// v2 routing key that opens incidents on the service.
type Service struct {
	ID                 string
	Name               string
	EscalationPolicyID string
	// Status, when empty, is computed like PagerDuty does: "maintenance"
	// during a maintenance window, "critical" with an open high-urgency
	// triggered incident, "warning" with any other open incident, otherwise
	// "active". A non-empty value (e.g. "disabled") is answered as is.
	Status         string
	IntegrationKey string
}

// Target is one target of an escalation level: a user or a schedule.
type Target struct {
	Type string // TargetUser or TargetSchedule
	ID   string
}

// EscalationLevel is one rule of an escalation policy; level numbers start
// at 1 with the first element of EscalationPolicy.Levels.
type EscalationLevel struct {
	Targets      []Target
	DelayMinutes int
}

// EscalationPolicy is an ordered list of escalation levels.
type EscalationPolicy struct {
	ID     string
	Name   string
	Levels []EscalationLevel
}

// Shift puts one user on call for a schedule in [Start, End).
type Shift struct {
	UserID string
	Start  time.Time
	End    time.Time
}

// Schedule is an on-call schedule given as a flat list of shifts (the fake has
// no rotation layers). Overrides are added with AddOverride or the API.
type Schedule struct {
	ID       string
	Name     string
	TimeZone string // default "UTC"
	Shifts   []Shift
}

// Override replaces whoever is on call in a schedule during [Start, End).
type Override struct {
	ID     string
	UserID string
	Start  time.Time
	End    time.Time
}

// Ack is one acknowledgement of an incident.
type Ack struct {
	UserID string
	At     time.Time
}

// Incident is the fake's state for one incident.
type Incident struct {
	ID                 string
	Number             int
	Title              string
	Details            string // body.details
	ServiceID          string
	Urgency            string // "high" or "low"
	Status             string // StatusTriggered, StatusAcknowledged or StatusResolved
	EscalationPolicyID string
	EscalationLevel    int
	AssigneeIDs        []string
	AssignedAt         time.Time
	CreatedAt          time.Time
	Acknowledgers      []Ack
	ResolvedBy         string // user ID, empty when resolved by an integration
	ResolvedAt         time.Time
	IncidentKey        string
	LastStatusChangeAt time.Time
	LastStatusChangeBy string // user ID, when a user changed it
	UpdatedAt          time.Time
	PriorityID         string      // one of SetPriorities' IDs, or empty
	Responders         []Responder // users asked through responder requests
	SnoozedUntil       time.Time   // when a snooze ends; zero when not snoozed
}

// Open reports whether the incident is triggered or acknowledged.
func (in Incident) Open() bool { return in.Status != StatusResolved }

// Note is a note on an incident.
type Note struct {
	ID        string
	Content   string
	UserID    string
	CreatedAt time.Time
}

// MaintenanceWindow silences services during [Start, End).
type MaintenanceWindow struct {
	ID          string
	Description string
	ServiceIDs  []string
	Start       time.Time
	End         time.Time
	CreatedBy   string // the From email of the creating request
}

// LogEntry is one entry of an incident's log, newest last in LogEntries.
type LogEntry struct {
	ID           string
	Type         string // one of the Log* constants
	IncidentID   string
	Summary      string
	AgentType    string // "user_reference", "events_api_v2_inbound_integration_reference", or empty for PagerDuty itself
	AgentID      string
	ChannelType  string // "web_trigger", "api", "website", "note", "timeout", ...
	AssigneeIDs  []string
	EventDetails map[string]string
	CreatedAt    time.Time
}

// EventPayload is the payload of an Events API v2 event.
type EventPayload struct {
	Summary       string          `json:"summary"`
	Source        string          `json:"source"`
	Severity      string          `json:"severity"`
	Timestamp     string          `json:"timestamp,omitempty"`
	Component     string          `json:"component,omitempty"`
	Group         string          `json:"group,omitempty"`
	Class         string          `json:"class,omitempty"`
	CustomDetails json.RawMessage `json:"custom_details,omitempty"`
}

// Event is an Events API v2 event the fake accepted.
type Event struct {
	RoutingKey string
	Action     string // "trigger", "acknowledge" or "resolve"
	DedupKey   string // as answered (generated for a trigger without one)
	Payload    EventPayload
	Raw        []byte    // the request body
	At         time.Time // Options.Now at receipt
	IncidentID string    // the incident created or changed, if any
}
