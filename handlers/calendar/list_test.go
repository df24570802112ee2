package calendar

import (
	"fmt"
	"strings"
	"testing"
	"time"

	goldenfile "github.com/tobanbot/toban/internal/golden"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/scheduler"
)

// golden compares v with testdata/name.golden.json (-update rewrites it).
func golden(t *testing.T, name string, v any) {
	t.Helper()
	goldenfile.JSON(t, name, v)
}

func TestCalendarListEntry(t *testing.T) {
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	rule := func(day int) scheduler.Rule {
		return scheduler.Rule{Kind: scheduler.KindOnce, Date: fmt.Sprintf("2026-03-%02d", day), At: "09:00", Location: time.UTC}
	}
	tasks := []domain.Task{{Title: "Past", Rule: rule(1)}, {Title: "Rotate <keys>", Rule: rule(3)}, {Title: "Later", Rule: rule(9)}}
	healthy := domain.Calendar{ID: "cal_a", URL: "https://calendar.google.com/calendar/ical/x/private-y/basic.ics", CreatedBy: "U1",
		GraceMinutes: 15, Escalation: domain.EscalateOnCall, EscalationTargetName: "Primary", LastFetched: now.Add(-10 * time.Minute)}
	failing := domain.Calendar{ID: "cal_b", URL: "https://cal.example.com/x.ics", CreatedBy: "U2",
		LastError: "The calendar server is failing (HTTP 503).", FailingSince: now.Add(-time.Hour)}
	blocks := append(calendarEntry(healthy, tasks, now), calendarEntry(failing, nil, now)...)
	golden(t, "calendar_list", chat.Message{Text: "2 calendars attached", Blocks: blocks})
	text := chat.ReadText(chat.Message{Blocks: blocks})
	if strings.Contains(text, "private-y") {
		t.Errorf("the list shows the secret address: %s", text)
	}
}
