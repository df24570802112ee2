package pagerduty_test

import (
	"context"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/pagerduty"
)

func TestOnCallsFor(t *testing.T) {
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	e := newEnv(t, pagerduty.Config{Timeout: 5 * time.Second, Now: now}, pdfake.Options{Now: now})
	for _, u := range []pdfake.User{{ID: "PU1", Name: "Alice", Email: "alice@example.com"}, {ID: "PU2", Name: "Bob", Email: "bob@example.com"}} {
		e.fake.AddUser(u)
	}
	e.fake.AddSchedule(pdfake.Schedule{ID: "PS1", Name: "Primary", Shifts: []pdfake.Shift{
		{UserID: "PU1", Start: at.Add(-time.Hour), End: at.Add(2 * time.Hour)},
		{UserID: "PU2", Start: at.Add(2 * time.Hour), End: at.Add(10 * time.Hour)},
	}})
	e.fake.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEP1", Name: "Web Ops", Levels: []pdfake.EscalationLevel{
		{Targets: []pdfake.Target{{Type: pdfake.TargetSchedule, ID: "PS1"}}},
		{Targets: []pdfake.Target{{Type: pdfake.TargetUser, ID: "PU2"}}},
	}})
	ctx := context.Background()

	got, err := e.c.OnCallsFor(ctx, "PS1", "", 0, time.Hour)
	if err != nil || len(got) != 1 || got[0].User.Email != "alice@example.com" || !got[0].End.Equal(at.Add(2*time.Hour)) {
		t.Fatalf("schedule, next hour = %+v, %v; want Alice until 12:00", got, err)
	}
	got, err = e.c.OnCallsFor(ctx, "PS1", "", 0, 3*time.Hour)
	if err != nil || len(got) != 2 || got[1].User.ID != "PU2" {
		t.Fatalf("schedule, next 3 hours = %+v, %v; want Alice then Bob", got, err)
	}
	got, err = e.c.OnCallsFor(ctx, "", "PEP1", 2, time.Hour)
	if err != nil || len(got) != 1 || got[0].User.ID != "PU2" || got[0].Level != 2 || !got[0].End.IsZero() {
		t.Fatalf("policy level 2 = %+v, %v; want Bob always", got, err)
	}
	if _, err := e.c.OnCallsFor(ctx, "PS1", "PEP1", 1, time.Hour); err == nil {
		t.Error("a schedule and a policy at once was accepted")
	}
	eps, err := e.c.EscalationPolicies(ctx)
	if err != nil || len(eps) != 1 || eps[0].Name != "Web Ops" || len(eps[0].Levels) != 2 {
		t.Errorf("EscalationPolicies = %+v, %v", eps, err)
	}
}
