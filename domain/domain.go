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
	// EscalationPolicyID and EscalationLevel place the incident on its policy.
	EscalationPolicyID string
	EscalationLevel    int
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
