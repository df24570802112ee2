package domain

import "time"

// Follow makes a channel hear about a schedule's shift changes and gaps.
type Follow struct {
	ChannelID    string
	ScheduleID   string
	ScheduleName string
	CreatedBy    string // Slack user ID
	// CreatedAt is set by the database; shifts that began before it are
	// not announced (the follow confirmation already said who is on call).
	CreatedAt time.Time
}

// States of a maintenance card.
const (
	MaintenanceOpen      = "open"
	MaintenanceEnded     = "ended"
	MaintenanceCancelled = "cancelled" // deleted before it started
)

// MaintenanceCard is the Slack card of a maintenance window.
type MaintenanceCard struct {
	WindowID    string
	ChannelID   string
	TS          string
	Services    []Service
	Description string
	CreatedBy   string // Slack user ID
	Start, End  time.Time
	State       string
	ExtendedBy  string // Slack user ID of the last extension
	EndedBy     string // Slack user ID; "" when it ended by itself
	EndedAt     time.Time
}

// Validate says what is wrong with a follow about to be saved.
func (f Follow) Validate() error {
	if f.ChannelID == "" || f.ScheduleID == "" {
		return Invalid("following needs a channel and a schedule")
	}
	return nil
}

// Validate says what is wrong with a maintenance card about to be saved.
func (c MaintenanceCard) Validate() error {
	if c.WindowID == "" || c.ChannelID == "" {
		return Invalid("a maintenance card needs a window and a channel")
	}
	return nil
}
