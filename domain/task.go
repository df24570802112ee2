package domain

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tobanbot/toban/scheduler"
)

// Escalation is how a task escalates when nobody starts it within its
// grace period.
type Escalation string

// The kinds of Escalation.
const (
	// EscalateNone never escalates.
	EscalateNone Escalation = "none"
	// EscalateOnCall mentions whoever is on call on a PagerDuty schedule.
	EscalateOnCall Escalation = "oncall"
	// EscalateIncident triggers an incident on a PagerDuty service.
	EscalateIncident Escalation = "incident"
)

// Where a task came from (Task.Source). An ICS feed's tasks have the source
// SourceICSPrefix + the feed's name.
const (
	SourceSlack     = "slack"
	SourceImport    = "import"
	SourceICSPrefix = "ics:"
)

// Limits on a task's fields, enforced by Task.Validate (storage checks it
// on every save). The description limit is Slack's for one section of a
// message.
const (
	MaxTaskTitle       = 200  // runes
	MaxTaskDescription = 3000 // runes
	MaxGraceMinutes    = 1440 // a day
	maxTaskID          = 64   // bytes
	MaxExternalID      = 1024 // bytes
)

// ErrTaskExists means another task already has the Source and ExternalID of
// the task being saved; TaskByExternalID returns it.
var ErrTaskExists = errors.New("task exists")

// Task is a scheduled operations task: a card posted in ChannelID whenever
// Rule comes due.
type Task struct {
	// ID is assigned by SaveTask when empty: "t_" and 12 base32 characters
	// (see NewTaskID). It never contains "@".
	ID string
	// Title is required, at most MaxTaskTitle runes; Description (at most
	// MaxTaskDescription runes) may hold a runbook link.
	Title, Description string
	// ChannelID is a Slack channel ID, never a #name.
	ChannelID string
	// Rule says when the task comes due; storage encodes it once when it
	// writes the row and decodes it once when it reads it.
	Rule scheduler.Rule
	// GraceMinutes (0 to MaxGraceMinutes) is how long after the due time
	// nobody may have started before the task escalates.
	GraceMinutes int
	// Escalation is EscalateNone (also for ""), EscalateOnCall or
	// EscalateIncident.
	Escalation Escalation
	// EscalationTargetID is the PagerDuty schedule (oncall) or service
	// (incident), required for those kinds and cleared for none. The name is
	// for display.
	EscalationTargetID, EscalationTargetName string
	// CreatedBy is the Slack user who created the task; SaveTask keeps the
	// first one when it updates a task.
	CreatedBy string
	// CreatorPDEmail is the From of the PagerDuty incidents the task
	// triggers.
	CreatorPDEmail string
	// Paused tasks are kept but not scheduled.
	Paused bool
	// Source is SourceSlack (also for ""), SourceImport, or SourceICSPrefix
	// followed by the feed's name.
	Source string
	// ExternalID, when not empty, names the task in its Source (an ICS
	// UID); no two tasks share both.
	ExternalID string
	// CreatedAt and UpdatedAt are set by the database clock.
	CreatedAt, UpdatedAt time.Time
}

// TaskFieldError is the error Task.Validate returns for a task field that
// is wrong. It wraps an *InvalidError, so errors.Is(err, ErrInvalid) holds
// and chat.UserMessage shows the reason.
type TaskFieldError struct {
	// Field is one of "id", "title", "description", "channel", "rule",
	// "grace", "escalation", "escalation_target", "source", "external_id".
	Field   string
	Invalid *InvalidError
}

// Error returns the field and the reason, e.g. "grace: The grace period ...".
func (e *TaskFieldError) Error() string { return e.Field + ": " + e.Invalid.Reason }

// Unwrap returns the *InvalidError.
func (e *TaskFieldError) Unwrap() error { return e.Invalid }

// TaskFieldErr returns a *TaskFieldError for field with a reason people
// can read.
func TaskFieldErr(field, format string, args ...any) error {
	return &TaskFieldError{Field: field, Invalid: &InvalidError{Reason: fmt.Sprintf(format, args...)}}
}

var taskIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a fresh ID: prefix and 12 random base32 characters.
func NewID(prefix string) string {
	var b [8]byte
	rand.Read(b[:]) // never fails
	return prefix + taskIDEncoding.EncodeToString(b[:])[:12]
}

// NewTaskID returns a fresh task ID, "t_" and 12 random base32 characters.
// Callers that need the IDs of tasks before ImportTasks may assign them.
func NewTaskID() string { return NewID("t_") }

// Validate says what is wrong with t, as a *TaskFieldError; nil when it
// may be saved. The rule is checked without the current time, so a once
// rule in the past is valid (check Rule.Validate(now) when a person
// creates one).
func (t Task) Validate() error {
	_, err := t.Normalized()
	return err
}

// Normalized validates t (see Validate) and returns it normalised: trimmed
// title and channel, canonical rule, defaults for escalation and source.
func (t Task) Normalized() (Task, error) {
	if t.ID != "" && !validTaskID(t.ID) {
		return t, TaskFieldErr("id", "%q is not a task ID.", t.ID)
	}
	t.Title = strings.TrimSpace(t.Title)
	switch n := utf8.RuneCountInString(t.Title); {
	case n == 0:
		return t, TaskFieldErr("title", "Give the task a title.")
	case n > MaxTaskTitle:
		return t, TaskFieldErr("title", "The title is %d characters long; keep it to %d.", n, MaxTaskTitle)
	}
	if n := utf8.RuneCountInString(t.Description); n > MaxTaskDescription {
		return t, TaskFieldErr("description", "The description is %d characters long; keep it to %d.", n, MaxTaskDescription)
	}
	t.ChannelID = strings.TrimSpace(t.ChannelID)
	switch {
	case t.ChannelID == "":
		return t, TaskFieldErr("channel", "Choose a channel.")
	case strings.HasPrefix(t.ChannelID, "#") || strings.IndexFunc(t.ChannelID, unicode.IsSpace) >= 0:
		return t, TaskFieldErr("channel", "%q is not a channel ID; resolve channel names before saving.", t.ChannelID)
	}
	rule, err := scheduler.DecodeRule(t.Rule.Encode())
	if err != nil {
		msg := err.Error()
		var fe *scheduler.FieldError
		if errors.As(err, &fe) {
			msg = fe.Msg
		}
		return t, TaskFieldErr("rule", "The schedule is not valid: %s", msg)
	}
	t.Rule = rule
	if t.GraceMinutes < 0 || t.GraceMinutes > MaxGraceMinutes {
		return t, TaskFieldErr("grace", "The grace period must be between 0 and %d minutes, not %d.", MaxGraceMinutes, t.GraceMinutes)
	}
	switch t.Escalation {
	case "", EscalateNone:
		t.Escalation, t.EscalationTargetID, t.EscalationTargetName = EscalateNone, "", ""
	case EscalateOnCall, EscalateIncident:
		if strings.TrimSpace(t.EscalationTargetID) == "" {
			what := "schedule whose on-call person to mention"
			if t.Escalation == EscalateIncident {
				what = "service to trigger an incident on"
			}
			return t, TaskFieldErr("escalation_target", "Choose the PagerDuty %s.", what)
		}
	default:
		return t, TaskFieldErr("escalation", "%q is not a kind of escalation; use %s, %s or %s.", t.Escalation, EscalateNone, EscalateOnCall, EscalateIncident)
	}
	switch {
	case t.Source == "":
		t.Source = SourceSlack
	case t.Source == SourceSlack || t.Source == SourceImport:
	case strings.HasPrefix(t.Source, SourceICSPrefix) && len(t.Source) > len(SourceICSPrefix):
	default:
		return t, TaskFieldErr("source", "%q is not a task source; use %s, %s or %s<feed>.", t.Source, SourceSlack, SourceImport, SourceICSPrefix)
	}
	if len(t.ExternalID) > MaxExternalID {
		return t, TaskFieldErr("external_id", "The external ID is longer than %d bytes.", MaxExternalID)
	}
	return t, nil
}

func validTaskID(id string) bool {
	if len(id) > maxTaskID {
		return false
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':'
		if !ok {
			return false
		}
	}
	return true
}
