package domain

import (
	"errors"
	"strconv"
	"time"
)

// The states of an occurrence. claimed → posted → (started →) done or
// skipped; snoozing keeps it posted.
const (
	// OccClaimed: recorded, card not (known to be) posted yet.
	OccClaimed = "claimed"
	// OccPosted: the card is in the channel; nobody has started.
	OccPosted = "posted"
	// OccStarted: someone is on it.
	OccStarted = "started"
	// OccDone and OccSkipped are final.
	OccDone    = "done"
	OccSkipped = "skipped"
)

// ErrAlreadyPosted means the occurrence was already recorded as posted with
// another message: the caller posted a second card and should delete it.
var ErrAlreadyPosted = errors.New("occurrence already posted")

// Occurrence is one due time of one task and what became of its card.
// Zero times mean "not set". Times come back in UTC.
type Occurrence struct {
	// ID is OccurrenceID(TaskID, Due).
	ID     string
	TaskID string
	// Due is a whole second; Late marks one posted by start-up catch-up.
	Due  time.Time
	Late bool
	// ChannelID and TS locate the card; TS is empty until posted.
	ChannelID, TS string
	// State is one of OccClaimed, OccPosted, OccStarted, OccDone,
	// OccSkipped.
	State                 string
	ClaimedAt             time.Time
	StartedBy             string
	StartedAt             time.Time
	DoneBy                string
	DoneAt                time.Time
	SkippedBy, SkipReason string
	SkippedAt             time.Time
	// SnoozedBy and SnoozedUntil record the latest snooze.
	SnoozedBy    string
	SnoozedUntil time.Time
	// EscalateAt is the pending escalation deadline; zero when none is
	// pending. EscalatedAt and IncidentID record the latest escalation.
	EscalateAt  time.Time
	EscalatedAt time.Time
	IncidentID  string
	// HeldElsewhere is set by a claim on an occurrence claimed, and not
	// yet posted, by another live replica: that one is posting its card,
	// so leave it alone.
	HeldElsewhere bool
}

// OccurrenceID returns the ID of the task's occurrence due at due: the task
// ID, "@" and due in unix seconds.
func OccurrenceID(taskID string, due time.Time) string {
	return taskID + "@" + strconv.FormatInt(due.Unix(), 10)
}
