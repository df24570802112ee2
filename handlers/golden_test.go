package handlers

import (
	"testing"
	"time"

	goldenfile "github.com/tobanbot/toban/internal/golden"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// golden compares v with testdata/name.golden.json (-update rewrites it).
func golden(t *testing.T, name string, v any) {
	t.Helper()
	goldenfile.JSON(t, name, v)
}

func TestHelpBlocks(t *testing.T) {
	golden(t, "help", chat.AckMessage(HelpMessage()))
}

func TestHomeView(t *testing.T) {
	golden(t, "home", HomeView())
}

func TestOnCallMessage(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, tokyo)
	a := &App{Location: tokyo, Now: func() time.Time { return now }}
	entries := []domain.OnCall{
		{EscalationPolicyName: "Web", Level: 2, User: domain.Person{Name: "Bob"}},
		{EscalationPolicyName: "Web", Level: 1, ScheduleName: "Primary", User: domain.Person{Name: "Alice"},
			End: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}, // 18:00 in Tokyo, today
		{EscalationPolicyName: "DB", Level: 1, ScheduleName: "DBA", User: domain.Person{Name: "Carol"},
			End: time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC)}, // tomorrow in Tokyo
		{EscalationPolicyName: "Web", Level: 1, ScheduleName: "Primary", User: domain.Person{Name: "Dave"},
			Start: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 21, 21, 0, 0, 0, time.UTC)},
		{EscalationPolicyName: "Web", Level: 1, ScheduleName: "Primary", User: domain.Person{Name: "Erin"},
			Start: time.Date(2026, 11, 21, 21, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)},
		{EscalationPolicyName: "Empty", Level: 1, ScheduleName: "Nights", User: domain.Person{Name: "Frank"},
			Start: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC)},
	}
	t.Run("OK", func(t *testing.T) {
		golden(t, "oncall", chat.AckMessage(a.onCallMessage("", entries)))
	})
	t.Run("Nobody", func(t *testing.T) {
		got := a.onCallMessage("primary", nil).Text
		want := `No schedule or escalation policy matching "primary" has anyone on call right now.`
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}
