package domain

import (
	"regexp"
	"strings"
	"time"
)

// Priority is one of the account's incident priorities (P1, P2, ...).
// PagerDuty lists them most severe first.
type Priority struct {
	ID          string
	Name        string
	Description string
}

// StatusUpdate is a status update posted on an incident for its
// stakeholders.
type StatusUpdate struct {
	ID         string
	IncidentID string
	Message    string
	By         Person
	CreatedAt  time.Time
}

// MaxStatusUpdateLength bounds a status update's message. PagerDuty sends
// status updates by email and SMS as well; toban keeps them to what fits
// a short modal field.
const MaxStatusUpdateLength = 3000

// ValidateStatusUpdate says what is wrong with a status update someone
// typed.
func ValidateStatusUpdate(message string) error {
	switch m := strings.TrimSpace(message); {
	case m == "":
		return Invalid("The status update is empty.")
	case len([]rune(m)) > MaxStatusUpdateLength:
		return Invalid("The status update is longer than %d characters.", MaxStatusUpdateLength)
	}
	return nil
}

// ResponderKind is what a responder request or a reassignment targets.
type ResponderKind string

// The kinds of target PagerDuty accepts for responder requests and
// reassignments.
const (
	TargetUser             ResponderKind = "user"
	TargetEscalationPolicy ResponderKind = "escalation_policy"
)

// ResponderTarget is one target of a responder request or a reassignment:
// a user or an escalation policy, by PagerDuty ID.
type ResponderTarget struct {
	Kind ResponderKind
	ID   string
}

// pdID is what a PagerDuty ID looks like.
var pdID = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)

// Validate says what is wrong with a target someone picked.
func (t ResponderTarget) Validate() error {
	switch {
	case t.Kind != TargetUser && t.Kind != TargetEscalationPolicy:
		return Invalid("A responder must be a user or an escalation policy, not %q.", t.Kind)
	case !pdID.MatchString(t.ID):
		return Invalid("%q is not a PagerDuty ID.", t.ID)
	}
	return nil
}

// MaxResponderTargets bounds one responder request; PagerDuty's web app
// offers about as many at once.
const MaxResponderTargets = 10

// ResponderRequest asks people to join an incident as responders.
type ResponderRequest struct {
	// RequesterID is the PagerDuty user asking.
	RequesterID string
	Message     string
	Targets     []ResponderTarget
}

// Validate says what is wrong with a responder request someone filled in.
func (r ResponderRequest) Validate() error {
	switch {
	case !pdID.MatchString(r.RequesterID):
		return Invalid("%q is not a PagerDuty user ID.", r.RequesterID)
	case strings.TrimSpace(r.Message) == "":
		return Invalid("The responder request needs a message.")
	case len(r.Targets) == 0:
		return Invalid("Pick at least one responder.")
	case len(r.Targets) > MaxResponderTargets:
		return Invalid("Pick at most %d responders at once.", MaxResponderTargets)
	}
	seen := map[ResponderTarget]bool{}
	for _, t := range r.Targets {
		if err := t.Validate(); err != nil {
			return err
		}
		if seen[t] {
			return Invalid("%s %s is picked twice.", t.Kind, t.ID)
		}
		seen[t] = true
	}
	return nil
}

// Responder is someone asked to help on an incident, and how they answered.
type Responder struct {
	User Person
	// State is "pending", "joined", "declined" or "user_cancelled".
	State       string
	RequestedBy Person
	RequestedAt time.Time
	Message     string
}

// Reassignment says to whom an incident goes: users, or one escalation
// policy (which then assigns its first level's on-call people).
type Reassignment struct {
	UserIDs            []string
	EscalationPolicyID string
}

// Validate says what is wrong with a reassignment someone picked.
func (r Reassignment) Validate() error {
	switch {
	case len(r.UserIDs) == 0 && r.EscalationPolicyID == "":
		return Invalid("Pick someone or an escalation policy to reassign to.")
	case len(r.UserIDs) > 0 && r.EscalationPolicyID != "":
		return Invalid("Reassign to people or to an escalation policy, not both.")
	case r.EscalationPolicyID != "" && !pdID.MatchString(r.EscalationPolicyID):
		return Invalid("%q is not a PagerDuty escalation policy ID.", r.EscalationPolicyID)
	}
	for _, id := range r.UserIDs {
		if !pdID.MatchString(id) {
			return Invalid("%q is not a PagerDuty user ID.", id)
		}
	}
	return nil
}

// MaxSnooze is the longest snooze PagerDuty accepts (a week).
const MaxSnooze = 7 * 24 * time.Hour

// ValidateSnooze says what is wrong with a snooze duration someone picked:
// PagerDuty takes whole seconds from 1 s to a week.
func ValidateSnooze(d time.Duration) error {
	switch {
	case d < time.Second:
		return Invalid("Snooze for at least a second, not %s.", d)
	case d > MaxSnooze:
		return Invalid("PagerDuty snoozes for at most a week, not %s.", d)
	}
	return nil
}
