package pagerduty_test

import (
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/pagerduty"
)

// now is the fake's frozen clock in the seeded tests.
var now = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

var (
	alice = domain.Person{ID: "U1", Name: "Alice", Email: "alice@example.com"}
	bob   = domain.Person{ID: "U2", Name: "Bob", Email: "bob@example.com"}
	carol = domain.Person{ID: "U3", Name: "Carol", Email: "carol@example.com"}
)

// seeded starts a fake with a frozen clock and this account:
//
//	users: U1 Alice, U2 Bob, U3 Carol
//	schedule SCH1 "Primary": Alice now-12h..now+12h
//	EP1 "Ops": level 1 -> SCH1, level 2 -> Bob, level 3 -> Carol
//	services: SVC1 "API" and SVC2 "Web", both on EP1
func seeded(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, pagerduty.Config{Timeout: 5 * time.Second}, pdfake.Options{Now: func() time.Time { return now }})
	for _, p := range []domain.Person{alice, bob, carol} {
		e.fake.AddUser(pdfake.User{ID: p.ID, Name: p.Name, Email: p.Email})
	}
	e.fake.AddSchedule(pdfake.Schedule{ID: "SCH1", Name: "Primary", Shifts: []pdfake.Shift{
		{UserID: "U1", Start: now.Add(-12 * time.Hour), End: now.Add(12 * time.Hour)},
	}})
	e.fake.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "EP1", Name: "Ops", Levels: []pdfake.EscalationLevel{
		{Targets: []pdfake.Target{{Type: pdfake.TargetSchedule, ID: "SCH1"}}},
		{Targets: []pdfake.Target{{Type: pdfake.TargetUser, ID: "U2"}}},
		{Targets: []pdfake.Target{{Type: pdfake.TargetUser, ID: "U3"}}},
	}})
	e.fake.AddService(pdfake.Service{ID: "SVC1", Name: "API", EscalationPolicyID: "EP1"})
	e.fake.AddService(pdfake.Service{ID: "SVC2", Name: "Web", EscalationPolicyID: "EP1"})
	return e
}

// lastWrite returns the last non-GET request the fake received.
func lastWrite(t *testing.T, fake *pdfake.Server) pdfake.Request {
	t.Helper()
	w := fake.Writes()
	if len(w) == 0 {
		t.Fatal("no write reached the fake")
	}
	return w[len(w)-1]
}
