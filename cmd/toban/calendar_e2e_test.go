package main

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/scheduler"
)

// icsServer is a calendar server on 127.0.0.1 whose calendar the test
// edits, answering conditional requests the way Google Calendar's would.
type icsServer struct {
	*httptest.Server
	mu     sync.Mutex
	body   string
	status int
}

const calendarSecretPath = "/calendar/ical/ops%40example.com/private-s3cr3t/basic.ics"

func newICSServer(t *testing.T, body string) *icsServer {
	t.Helper()
	s := &icsServer{body: body, status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		body, status := s.body, s.status
		s.mu.Unlock()
		switch {
		case r.URL.EscapedPath() != calendarSecretPath:
			http.NotFound(w, r)
			return
		case status != http.StatusOK:
			w.WriteHeader(status)
			return
		}
		etag := fmt.Sprintf(`"%x"`, sha256.Sum256([]byte(body)))
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/calendar; charset=UTF-8")
		w.Header().Set("ETag", etag)
		w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *icsServer) serve(body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.status = body, http.StatusOK
}

func (s *icsServer) fail(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = status
}

// opsCalendar is a Google-style calendar in Asia/Tokyo with the VEVENTs
// given as "UID|SUMMARY|DTSTART|extra lines separated by ;;".
func opsCalendar(events ...string) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\nX-WR-CALNAME:Ops\r\nX-WR-TIMEZONE:Asia/Tokyo\r\n")
	for _, ev := range events {
		f := strings.SplitN(ev, "|", 4)
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:%s@google.com\r\nSUMMARY:%s\r\nDTSTART;TZID=Asia/Tokyo:%s\r\n", f[0], f[1], f[2])
		if len(f) == 4 {
			for _, line := range strings.Split(f[3], ";;") {
				b.WriteString(line + "\r\n")
			}
		}
		b.WriteString("END:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

func calendarForm(url string) map[string]map[string]any {
	return map[string]map[string]any{
		"url":        {"url": url},
		"allday":     {"allday": map[string]any{"type": "timepicker", "selected_time": "09:00"}},
		"grace":      {"grace": selected("static_select", "0")},
		"escalation": {"escalation": selected("radio_buttons", "none")},
	}
}

// waitMessages waits until channel has n top-level messages containing
// contains.
func waitMessages(t *testing.T, s *slackfake.Server, channel, contains string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for countMessages(s, channel, contains) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d messages containing %q in %s, want %d", countMessages(s, channel, contains), contains, channel, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEndToEndCalendarFeed(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	clock := scheduler.NewFakeClock(time.Date(2026, 3, 2, 8, 0, 0, 0, tokyo)) // a Monday, 08:00
	w := incidentWorldAt(t, clock.Now)
	w.env["TOBAN_TIMEZONE"] = "Asia/Tokyo"
	feed := newICSServer(t, opsCalendar(
		"backups|Check backups|20260302T090000",
		"maint|Customer maintenance|20260302T110000|LOCATION:Room 4",
		"morning|Morning check|20260302T093000|RRULE:FREQ=DAILY;COUNT=3",
		"certs|Renew certificates|20260302T120000",
	))
	r := w.startWith(t, func(m *Main) { m.Clock = clock })
	alice := w.slack.User("U1").In("C1")
	bob := w.slack.User("U2").In("C1")
	ops := w.slack.Channel(t, "C1")

	alice.Slash(t, "reminders calendar")
	id, _ := view(t, w.slack, "U1", callback("calendar.attach"))
	t.Run("ErrBadAddress", func(t *testing.T) {
		for _, tt := range []struct{ url, want string }{
			{feed.URL + "/calendar/ical/wrong/basic.ics", "HTTP 404"},
			{"calendar.google.com/calendar/ical/x/basic.ics", "starts with https://"},
		} {
			ack := w.slack.Submit(t, "U1", id, calendarForm(tt.url))
			if p := string(ack.Payload); !strings.Contains(p, `"response_action":"errors"`) || !strings.Contains(p, `"url"`) || !strings.Contains(p, tt.want) {
				t.Errorf("ack = %s, want a field error on url saying %q", p, tt.want)
			}
		}
		if n := countMessages(w.slack, "C1", "attached a calendar"); n != 0 {
			t.Errorf("%d calendars attached after bad input, want none", n)
		}
	})
	w.slack.Submit(t, "U1", id, calendarForm(feed.URL+calendarSecretPath))
	ops.ExpectMessage("<@U1> attached a calendar (127.0.0.1): 6 upcoming events in the next 35 days will be posted as tasks")

	clock.Advance(time.Hour) // 09:00
	ops.ExpectMessage("Check backups — due")

	t.Run("FailingThenRecoveredToldOnce", func(t *testing.T) {
		feed.fail(http.StatusServiceUnavailable)
		advanceUntil(t, w, clock, 15*time.Minute, "C1", "I can't read the calendar from 127.0.0.1: The calendar server is failing (HTTP 503).") // 09:15: the refresh fails
		// The calendar changes while it cannot be read: one event moves
		// earlier, one is cancelled, and one day of a series is cancelled.
		feed.serve(opsCalendar(
			"backups|Check backups|20260302T090000",
			"maint|Customer maintenance (moved)|20260302T100000|LOCATION:Room 4;;SEQUENCE:1",
			"morning|Morning check|20260302T093000|RRULE:FREQ=DAILY;COUNT=3",
			"morning|Morning check|20260303T093000|RECURRENCE-ID;TZID=Asia/Tokyo:20260303T093000;;STATUS:CANCELLED",
			"certs|Renew certificates|20260302T120000|STATUS:CANCELLED;;SEQUENCE:2",
		))
		advanceUntil(t, w, clock, 15*time.Minute, "C1", "The calendar from 127.0.0.1 can be read again; its tasks are up to date.") // 09:30: read again
		if n := countMessages(w.slack, "C1", "I can't read the calendar"); n != 1 {
			t.Errorf("told %d times that the calendar fails, want once", n)
		}
	})

	t.Run("MovedAndCancelledEventsFollowed", func(t *testing.T) {
		ops.ExpectMessage("Morning check — due")
		clock.Advance(30 * time.Minute) // 10:00: the moved event
		ops.ExpectMessage("Customer maintenance (moved) — due").ExpectText("Room 4")
		clock.Advance(150 * time.Minute) // 12:30: past its old time and the cancelled one's
		clock.Advance(21 * time.Hour)    // Tuesday 09:30: that day's check was cancelled
		clock.Advance(24 * time.Hour)    // Wednesday 09:30
		waitMessages(t, w.slack, "C1", "Morning check — due", 2)
		for text, want := range map[string]int{"Morning check — due": 2, "Customer maintenance": 1, "Renew certificates": 0} {
			if got := countMessages(w.slack, "C1", text); got != want {
				t.Errorf("%d cards %q, want %d", got, text, want)
			}
		}
	})

	t.Run("RefreshNowAndDetach", func(t *testing.T) {
		feed.serve(opsCalendar(
			"review|Quarterly review|20260310T100000",
			"audit|Access audit|20260311T100000",
		))
		alice.Slash(t, "reminders calendar list")
		list := alice.ExpectEphemeral(t, "Calendars in this channel: 1")
		if strings.Contains(list.Text(), "s3cr3t") {
			t.Errorf("the list shows the secret address: %s", list.Text())
		}
		list.ClickAs(t, alice, "Refresh now")
		list.ExpectText("Refreshed 127.0.0.1").ExpectText("2 upcoming tasks, next *Quarterly review*")

		bob.Slash(t, "reminders calendar list")
		bobList := bob.ExpectEphemeral(t, "Calendars in this channel: 1")
		bobList.ClickAs(t, bob, "Detach")
		bob.ExpectEphemeral(t, "Only <@U1>, who attached it, or a toban admin can detach this calendar.")

		list.ClickAs(t, alice, "Detach")
		ops.ExpectMessage("<@U1> detached the calendar (127.0.0.1): 2 upcoming tasks deleted.")
		list.ExpectText("No calendar is attached to this channel.")
		alice.Slash(t, "reminders")
		tasks := alice.ExpectEphemeral(t, "Scheduled tasks in this channel")
		if text := tasks.Text(); strings.Contains(text, "Quarterly review") || strings.Contains(text, "Access audit") || !strings.Contains(text, "Check backups") {
			t.Errorf("tasks after detach:\n%s\nwant the past ones only", text)
		}
	})

	// The address is a secret: not in the log, not in Slack.
	if strings.Contains(r.logs.String(), "s3cr3t") {
		t.Errorf("the calendar's secret address is in the log")
	}
	for _, m := range w.slack.Messages("C1") {
		if strings.Contains(m.Text, "s3cr3t") {
			t.Errorf("the secret address was posted: %s", m.Text)
		}
	}
}
