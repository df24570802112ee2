package domain

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/tobanbot/toban/scheduler"
)

// ErrCalendarExists means the channel already has a calendar with that URL.
var ErrCalendarExists = errors.New("calendar already attached")

// Calendar is an ICS feed attached to a channel: each upcoming event
// becomes a one-off task whose Source is c.Source().
type Calendar struct {
	// ID is assigned by AddCalendar: "cal_" and 12 base32 characters.
	ID        string
	ChannelID string
	// URL is a secret (whoever has it reads the calendar): never log it,
	// and show only its host.
	URL string
	// AllDayAt ("HH:MM", default "09:00") is when an all-day event's task
	// is due, in the calendar's time zone.
	AllDayAt string
	// GraceMinutes and the escalation fields are copied to every task of
	// the feed, with the meaning they have on a Task.
	GraceMinutes                             int
	Escalation                               Escalation
	EscalationTargetID, EscalationTargetName string
	// CreatedBy is the Slack user who attached it; CreatorPDEmail the From
	// of the incidents its tasks trigger.
	CreatedBy, CreatorPDEmail string
	CreatedAt                 time.Time
	// LastFetched is when the feed was last read successfully; zero if
	// never. ETag and LastModified are the validators of that answer.
	LastFetched        time.Time
	ETag, LastModified string
	// LastError is why the latest refresh failed, "" while healthy;
	// FailingSince is when it started failing.
	LastError    string
	FailingSince time.Time
}

// Source is the Task.Source of the calendar's tasks.
func (c Calendar) Source() string { return SourceICSPrefix + c.ID }

// Host is the host of the calendar's URL, the only part of it shown.
func (c Calendar) Host() string {
	u, err := url.Parse(c.URL)
	if err != nil || u.Hostname() == "" {
		return "unknown host"
	}
	return u.Hostname()
}

// CalendarFetch is one successful read of a calendar's URL.
type CalendarFetch struct {
	At                 time.Time
	ETag, LastModified string
	// Body is the calendar; nil when the server answered 304 Not Modified
	// and the stored body still holds.
	Body []byte
}

// Validate says what is wrong with the fields a person chose for a
// calendar, with the rules of Task.Validate for the ones a task shares.
func (c Calendar) Validate() error {
	_, err := c.Normalized()
	return err
}

// Normalized validates c (see Validate) and returns it normalised: trimmed
// URL, default all-day time, the escalation defaults of a task.
func (c Calendar) Normalized() (Calendar, error) {
	c.URL = strings.TrimSpace(c.URL)
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, Invalid("A calendar address is an http(s) URL.")
	}
	if c.AllDayAt == "" {
		c.AllDayAt = "09:00"
	}
	probe := Task{Title: "calendar", ChannelID: c.ChannelID, Rule: scheduler.Rule{Kind: scheduler.KindOnce, Date: "2000-01-01", At: c.AllDayAt, Location: time.UTC},
		GraceMinutes: c.GraceMinutes, Escalation: c.Escalation, EscalationTargetID: c.EscalationTargetID}
	probe, err = probe.Normalized()
	if err != nil {
		return c, err
	}
	c.ChannelID, c.Escalation, c.EscalationTargetID = probe.ChannelID, probe.Escalation, probe.EscalationTargetID
	if c.Escalation == EscalateNone {
		c.EscalationTargetName = ""
	}
	return c, nil
}
