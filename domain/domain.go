// Package domain holds toban's vocabulary: PagerDuty's incidents, people,
// schedules and maintenance windows as toban sees them; toban's own
// entities (Task and Occurrence, Card, Activity, Subscription, Digest,
// UserLink, Follow, MaintenanceCard, Calendar, ReportSchedule…), each with
// a Validate method that says what is wrong with one before it is saved;
// and the sentinel errors (ErrNotFound, ErrInvalid…) every adapter maps its
// failures to and every feature reads.
//
// It does no I/O and imports only the standard library and scheduler (a
// Task's Rule is a scheduler.Rule), so every other package may import it.
package domain

import (
	"strings"
	"time"
)

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
	// SnoozedUntil is when a snooze ends (PagerDuty's pending
	// "unacknowledge" action); zero when the incident is not snoozed.
	SnoozedUntil time.Time
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

// MatchServices returns the services whose name contains query, in any
// case; all of them for an empty query.
func MatchServices(all []Service, query string) []Service {
	q := strings.ToLower(strings.TrimSpace(query))
	var out []Service
	for _, s := range all {
		if q == "" || strings.Contains(strings.ToLower(s.Name), q) {
			out = append(out, s)
		}
	}
	return out
}
