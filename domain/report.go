package domain

import (
	"strconv"
	"strings"
	"time"

	"github.com/tobanbot/toban/scheduler"
)

// ReportService is a service a scheduled report covers.
type ReportService struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ReportSchedule posts an incident report in a channel when Rule comes due.
type ReportSchedule struct {
	// ID is "rep_" and 12 random characters, set by SaveReportSchedule.
	ID        string
	ChannelID string
	// Period is "last-week" or "last-month" (report.LastWeek, LastMonth).
	Period string
	// Services are the services reported on; none means the channel's
	// subscribed services when the report runs, else all.
	Services []ReportService
	// Rule says when the report is due; storage encodes it once.
	Rule scheduler.Rule
	// WithIncidents also uploads the per-incident CSV.
	WithIncidents bool
	CreatedBy     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// ReportRun is one due time of a scheduled report.
type ReportRun struct {
	// ID is ReportRunID(ScheduleID, Due).
	ID         string
	ScheduleID string
	// Due is a whole second.
	Due       time.Time
	ChannelID string
	// TS is the posted report message; empty until posted.
	TS        string
	ClaimedAt time.Time
	PostedAt  time.Time
}

// ReportRunID returns the ID of the schedule's run due at due.
func ReportRunID(scheduleID string, due time.Time) string {
	return scheduleID + "@" + strconv.FormatInt(due.Unix(), 10)
}

// Validate says what is wrong with a schedule about to be saved.
func (s ReportSchedule) Validate() error {
	switch {
	case strings.TrimSpace(s.ChannelID) == "" || s.Rule.Kind == "":
		return Invalid("a scheduled report needs a channel and a schedule")
	case s.Period != "last-week" && s.Period != "last-month":
		return Invalid("a scheduled report covers last-week or last-month, not %q", s.Period)
	}
	if _, err := scheduler.DecodeRule(s.Rule.Encode()); err != nil {
		return Invalid("the schedule is not valid: %v", err)
	}
	return nil
}
