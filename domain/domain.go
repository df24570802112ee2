// Package domain holds toban's vocabulary: incidents, their statuses, who is
// on call, and the few kinds of error every adapter maps its failures to.
// It does no I/O, so every other package may import it.
package domain

import "time"

// Status is the state of a PagerDuty incident.
type Status string

// The statuses an incident moves through.
const (
	StatusTriggered    Status = "triggered"
	StatusAcknowledged Status = "acknowledged"
	StatusResolved     Status = "resolved"
)

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusTriggered, StatusAcknowledged, StatusResolved:
		return true
	}
	return false
}

// Person is someone known to PagerDuty.
type Person struct {
	ID    string
	Name  string
	Email string
}

// Incident is the part of a PagerDuty incident that toban shows and acts on.
type Incident struct {
	ID          string
	Number      int
	Title       string
	ServiceID   string
	ServiceName string
	Urgency     string
	Status      Status
	Assignees   []Person
	CreatedAt   time.Time
	URL         string
	// EscalationPolicyID and EscalationPolicyName name the incident's policy.
	EscalationPolicyID   string
	EscalationPolicyName string
	// Acknowledgements lists who acknowledged, oldest first.
	Acknowledgements []Acknowledgement
	// LastStatusChangeBy and LastStatusChangeAt say who moved the incident
	// to its current status; for a resolved incident, who resolved it.
	LastStatusChangeBy Person
	LastStatusChangeAt time.Time
	UpdatedAt          time.Time
	// Priority is the incident's priority; zero when it has none.
	Priority Priority
	// Responders lists who was asked to help through responder requests.
	Responders []Responder
}

// Open reports whether the incident still needs someone.
func (i Incident) Open() bool { return i.Status != StatusResolved }

// Acknowledgement records one person acknowledging an incident.
type Acknowledgement struct {
	By Person
	At time.Time
}

// Service is a PagerDuty service.
type Service struct {
	ID                 string
	Name               string
	EscalationPolicyID string
}

// EscalationPolicy is an ordered list of levels; Levels[0] is level 1.
type EscalationPolicy struct {
	ID     string
	Name   string
	Levels []EscalationLevel
}

// EscalationLevel is one rule of an escalation policy.
type EscalationLevel struct {
	Level int
	// Targets are the names of the users and schedules it notifies.
	Targets []string
}

// Note is a note on an incident.
type Note struct {
	ID        string
	Content   string
	By        Person
	CreatedAt time.Time
}

// NewIncident is what someone fills in to open an incident by hand.
type NewIncident struct {
	ServiceID string
	Title     string
	Urgency   string // "high" or "low"
	Details   string
	// IncidentKey deduplicates: PagerDuty refuses a second open incident
	// with the same key.
	IncidentKey string
}

// OnCall says who holds one level of an escalation policy, and until when.
type OnCall struct {
	EscalationPolicyID   string
	EscalationPolicyName string
	Level                int
	ScheduleName         string // empty when the level targets a user directly
	User                 Person
	// Start and End are zero when the person is always on call at this level.
	Start, End time.Time
}

// IncidentFilter narrows a list of open incidents; empty fields match all.
type IncidentFilter struct {
	ServiceIDs []string
	UserIDs    []string
}

// Schedule is a PagerDuty on-call schedule.
type Schedule struct {
	ID   string
	Name string
	// TimeZone is the schedule's IANA time zone as PagerDuty has it; empty
	// when not known.
	TimeZone string
}
