package domain

import (
	"errors"
	"time"
)

// AutomationInvocation is one run of a PagerDuty Automation Action
// (Runbook Automation) and the state PagerDuty reports for it: created,
// sent, queued, running, then completed, error or aborted.
type AutomationInvocation struct {
	ID    string
	State string
}

// RunbookRun is one run of a declared runbook action for an incident.
type RunbookRun struct {
	ID         int64
	IncidentID string
	Action     string
	// RunBy is the Slack user who asked for it; empty when toban ran it
	// by itself (on trigger).
	RunBy string
	// Status is "running", then ok, failed, timeout, error or interrupted.
	Status    string
	Summary   string
	Output    string
	Truncated bool
	// ChannelID and ThreadTS are where the run is told.
	ChannelID string
	ThreadTS  string
	StartedAt time.Time
	// Deadline is StartedAt plus the action's timeout: a run still
	// "running" after it was cut short by a restart.
	Deadline   time.Time
	FinishedAt time.Time
}

// RunbookRunStatuses are the statuses a run can have.
var RunbookRunStatuses = map[string]bool{"running": true, "ok": true, "failed": true, "timeout": true, "error": true, "interrupted": true}

// Validate says what is wrong with a run about to be recorded.
func (r RunbookRun) Validate() error {
	switch {
	case r.IncidentID == "":
		return Invalid("a runbook run needs an incident")
	case r.Action == "":
		return Invalid("a runbook run needs an action")
	case !RunbookRunStatuses[r.Status]:
		return Invalid("unknown runbook run status %q", r.Status)
	case r.StartedAt.IsZero() || r.Deadline.Before(r.StartedAt):
		return Invalid("a runbook run needs a start and a deadline after it")
	}
	return nil
}

// ErrRunInProgress means the same runbook action is already running for
// the incident: one run per incident and action at a time.
var ErrRunInProgress = errors.New("already running for this incident")
