package storage

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
)

func validCalendar() domain.Calendar {
	return domain.Calendar{ChannelID: "C0OPS", URL: "https://calendar.example.com/ical/secret-token/basic.ics",
		GraceMinutes: 15, CreatedBy: "U1"}
}

func TestAddCalendar(t *testing.T) {
	ctx := context.Background()
	db, _, _ := openTaskDB(t)
	c, err := db.AddCalendar(ctx, validCalendar())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.ID, "cal_") || len(c.ID) != 16 {
		t.Errorf("ID = %q, want cal_ and 12 characters", c.ID)
	}
	if got, want := c.AllDayAt, "09:00"; got != want {
		t.Errorf("AllDayAt = %q, want %q", got, want)
	}
	if got, want := c.Escalation, domain.EscalateNone; got != want {
		t.Errorf("Escalation = %q, want %q", got, want)
	}
	if !c.CreatedAt.Equal(taskEpoch) || !c.LastFetched.IsZero() || !c.FailingSince.IsZero() {
		t.Errorf("times = %v, %v, %v; want created at the epoch, never fetched, not failing", c.CreatedAt, c.LastFetched, c.FailingSince)
	}
	if got, want := c.Host(), "calendar.example.com"; got != want {
		t.Errorf("Host = %q, want %q", got, want)
	}
	if got, want := c.Source(), "ics:"+c.ID; got != want {
		t.Errorf("Source = %q, want %q", got, want)
	}
	got, err := db.Calendar(ctx, c.ID)
	if err != nil || got != c {
		t.Errorf("Calendar = %+v, %v; want %+v", got, err, c)
	}

	t.Run("ErrSameURLTwiceInAChannel", func(t *testing.T) {
		if _, err := db.AddCalendar(ctx, validCalendar()); !errors.Is(err, domain.ErrCalendarExists) {
			t.Errorf("err = %v, want ErrCalendarExists", err)
		}
		other := validCalendar()
		other.ChannelID = "C0DEV"
		if _, err := db.AddCalendar(ctx, other); err != nil {
			t.Errorf("same URL in another channel: %v", err)
		}
	})
}

func TestAddCalendarErrInvalid(t *testing.T) {
	tests := []struct {
		name string
		edit func(*domain.Calendar)
	}{
		{"NoURL", func(c *domain.Calendar) { c.URL = "" }},
		{"NotHTTP", func(c *domain.Calendar) { c.URL = "ftp://example.com/cal.ics" }},
		{"NoChannel", func(c *domain.Calendar) { c.ChannelID = "" }},
		{"BadAllDayTime", func(c *domain.Calendar) { c.AllDayAt = "25:00" }},
		{"NegativeGrace", func(c *domain.Calendar) { c.GraceMinutes = -1 }},
		{"EscalationWithoutTarget", func(c *domain.Calendar) { c.Escalation = domain.EscalateOnCall }},
		{"UnknownEscalation", func(c *domain.Calendar) { c.Escalation = "sms" }},
	}
	db, _, _ := openTaskDB(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validCalendar()
			tt.edit(&c)
			if _, err := db.AddCalendar(context.Background(), c); !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
	if cals, _ := db.AllCalendars(context.Background()); len(cals) != 0 {
		t.Errorf("%d calendars saved, want none", len(cals))
	}
}

func TestCalendarFetchAndBody(t *testing.T) {
	ctx := context.Background()
	db, clock, _ := openTaskDB(t)
	c, err := db.AddCalendar(ctx, validCalendar())
	if err != nil {
		t.Fatal(err)
	}
	if body, err := db.CalendarBody(ctx, c.ID); err != nil || body != nil {
		t.Errorf("body before any fetch = %q, %v; want nil", body, err)
	}
	at := clock.now()
	if err := db.RecordCalendarFetch(ctx, c.ID, domain.CalendarFetch{At: at, ETag: `"v1"`, Body: []byte("BEGIN:VCALENDAR")}); err != nil {
		t.Fatal(err)
	}
	// A 304 keeps the body and takes the new time.
	clock.add(15 * time.Minute)
	if err := db.RecordCalendarFetch(ctx, c.ID, domain.CalendarFetch{At: clock.now(), ETag: `"v1"`, LastModified: "Mon, 04 May 2026 08:00:00 GMT"}); err != nil {
		t.Fatal(err)
	}
	body, err := db.CalendarBody(ctx, c.ID)
	if err != nil || string(body) != "BEGIN:VCALENDAR" {
		t.Errorf("body after 304 = %q, %v; want the first one", body, err)
	}
	got, _ := db.Calendar(ctx, c.ID)
	if !got.LastFetched.Equal(clock.now()) || got.ETag != `"v1"` || got.LastModified == "" {
		t.Errorf("after 304: fetched %v etag %q last-modified %q", got.LastFetched, got.ETag, got.LastModified)
	}
	if err := db.RecordCalendarFetch(ctx, c.ID, domain.CalendarFetch{At: clock.now(), Body: []byte("BEGIN:VCALENDAR v2")}); err != nil {
		t.Fatal(err)
	}
	if body, _ := db.CalendarBody(ctx, c.ID); string(body) != "BEGIN:VCALENDAR v2" {
		t.Errorf("body = %q, want the new one", body)
	}
	if err := db.RecordCalendarFetch(ctx, "cal_missing", domain.CalendarFetch{At: at}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("fetch of a missing calendar: %v, want ErrNotFound", err)
	}
}

func TestSetCalendarError(t *testing.T) {
	ctx := context.Background()
	db, clock, _ := openTaskDB(t)
	c, _ := db.AddCalendar(ctx, validCalendar())
	steps := []struct {
		msg, wantPrevious string
		wantSince         time.Time
	}{
		{"", "", time.Time{}},
		{"HTTP 500", "", taskEpoch.Add(2 * time.Minute)},
		{"HTTP 503", "HTTP 500", taskEpoch.Add(2 * time.Minute)}, // still failing since the first
		{"", "HTTP 503", time.Time{}},
	}
	for i, s := range steps {
		clock.add(time.Minute)
		prev, err := db.SetCalendarError(ctx, c.ID, s.msg)
		if err != nil || prev != s.wantPrevious {
			t.Errorf("step %d: previous = %q, %v; want %q", i, prev, err, s.wantPrevious)
		}
		got, _ := db.Calendar(ctx, c.ID)
		if got.LastError != s.msg || !got.FailingSince.Equal(s.wantSince) {
			t.Errorf("step %d: error %q since %v; want %q since %v", i, got.LastError, got.FailingSince, s.msg, s.wantSince)
		}
	}
}

func TestCalendarsAndTheirTasks(t *testing.T) {
	ctx := context.Background()
	db, _, _ := openTaskDB(t)
	a, _ := db.AddCalendar(ctx, validCalendar())
	other := validCalendar()
	other.URL += "?v=2"
	b, _ := db.AddCalendar(ctx, other)
	for i, src := range []string{a.Source(), a.Source(), b.Source(), domain.SourceSlack} {
		task := validTask("task " + string(rune('a'+i)))
		task.Source, task.ExternalID = src, "uid-"+string(rune('a'+i))
		if _, err := db.SaveTask(ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	tasks, err := db.CalendarTasks(ctx, a.ID)
	if err != nil || len(tasks) != 2 || tasks[0].Title != "task a" || tasks[1].Title != "task b" {
		t.Errorf("CalendarTasks(a) = %+v, %v; want tasks a and b", tasks, err)
	}
	cals, err := db.CalendarsInChannel(ctx, "C0OPS")
	if err != nil || len(cals) != 2 || cals[0].ID != a.ID {
		t.Errorf("CalendarsInChannel = %+v, %v; want a then b", cals, err)
	}
	if err := db.DeleteCalendar(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Calendar(ctx, a.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("deleted calendar: %v, want ErrNotFound", err)
	}
	if err := db.DeleteCalendar(ctx, a.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	if cals, _ := db.AllCalendars(ctx); len(cals) != 1 || cals[0].ID != b.ID {
		t.Errorf("AllCalendars = %+v, want b only", cals)
	}
}
