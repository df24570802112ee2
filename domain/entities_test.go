package domain

import (
	"errors"
	"testing"
	"time"

	"github.com/tobanbot/toban/scheduler"
)

func TestTaskValidate(t *testing.T) {
	good := Task{Title: " Check backups ", ChannelID: "C1", Rule: scheduler.Rule{Kind: scheduler.KindDaily, At: "09:00", Location: time.UTC}}
	n, err := good.Normalized()
	if err != nil || n.Title != "Check backups" || n.Escalation != EscalateNone || n.Source != SourceSlack {
		t.Fatalf("Normalized = %+v, %v", n, err)
	}
	bad := good
	bad.Rule.At = "25:00"
	var fe *TaskFieldError
	if err := bad.Validate(); !errors.As(err, &fe) || fe.Field != "rule" || !errors.Is(err, ErrInvalid) {
		t.Errorf("Validate(bad rule) = %v, want a rule *TaskFieldError", err)
	}
}

func TestEntitiesValidate(t *testing.T) {
	for name, err := range map[string]error{
		"Card":            Card{IncidentID: "P1", ChannelID: "C1"}.Validate(),
		"Subscription":    Subscription{ChannelID: "C1", ServiceID: "S1"}.Validate(),
		"UserLink":        UserLink{SlackUserID: "U1"}.Validate(),
		"Follow":          Follow{ChannelID: "C1"}.Validate(),
		"MaintenanceCard": MaintenanceCard{ChannelID: "C1"}.Validate(),
		"Activity":        Activity{IncidentID: "P1", Kind: "shrugged"}.Validate(),
		"Calendar":        Calendar{ChannelID: "C1", URL: "ftp://x"}.Validate(),
		"HomeViewer":      HomeViewer{UserID: "U1", Zone: "Mars/Olympus"}.Validate(),
		"ReportSchedule":  ReportSchedule{ChannelID: "C1", Period: "last-year", Rule: scheduler.Rule{Kind: scheduler.KindDaily, At: "09:00"}}.Validate(),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s.Validate() = %v, want ErrInvalid", name, err)
		}
	}
	if err := (Calendar{ChannelID: "C1", URL: "https://example.com/x.ics"}).Validate(); err != nil {
		t.Errorf("Calendar.Validate() = %v", err)
	}
	if err := (HomeViewer{UserID: "U1", Zone: "Asia/Tokyo", Hash: "abc"}).Validate(); err != nil {
		t.Errorf("HomeViewer.Validate() = %v", err)
	}
}
