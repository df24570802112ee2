package domain

import (
	"errors"
	"time"
)

// IncidentChannel is the Slack channel opened for one incident
// (handlers/incidentchannels). The row is claimed before the channel is
// created, so that two clicks or two replicas never create two channels:
// ChannelID is empty while the claimer is still creating it.
type IncidentChannel struct {
	IncidentID string
	// ChannelID and Name are the channel's, once created.
	ChannelID string
	Name      string
	// OpenedBy is the Slack user who asked for the channel.
	OpenedBy string
	// ClaimedAt is when the row was claimed (a claim left empty for long
	// belongs to a replica that died, and may be taken over).
	ClaimedAt time.Time
	// ResolvedAt is when the incident was resolved (zero while open); the
	// archive counts from it. ArchivedAt is when toban archived the
	// channel.
	ResolvedAt time.Time
	ArchivedAt time.Time
}

// Validate says what is wrong with an incident channel about to be saved.
func (c IncidentChannel) Validate() error {
	switch {
	case c.IncidentID == "":
		return Invalid("an incident channel needs an incident")
	case c.ChannelID == "":
		return Invalid("an incident channel needs a channel")
	case c.Name == "":
		return Invalid("an incident channel needs a name")
	}
	return nil
}

// LogEntry is one line of an incident's PagerDuty log, as a timeline tells
// it. Type is PagerDuty's entry type without "_log_entry" ("acknowledge",
// "annotate", "escalate", "assign", "snooze", "resolve"…).
type LogEntry struct {
	ID   string
	Type string
	At   time.Time
	// Agent is who did it; only users have an ID (a service or an
	// integration has a Name alone).
	Agent Person
	// Summary is PagerDuty's one-line description of the entry.
	Summary string
	// Note is an annotation's text, when PagerDuty gives it.
	Note string
}

// ErrChannelNameTaken is Slack refusing a new channel's name because a
// channel (perhaps archived) already has it (name_taken).
var ErrChannelNameTaken = errors.New("channel name taken")
