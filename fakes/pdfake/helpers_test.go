package pdfake_test

import (
	"errors"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/tobanbot/toban/fakes/pdfake"
)

// now is the fake's frozen clock in most tests.
var now = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

const (
	aliceEmail = "alice@example.com"
	svcKey     = "svc1-integration-key"
)

// newFake starts a fake with a frozen clock and a client for it.
func newFake(t *testing.T) (*pdfake.Server, *pagerduty.Client) {
	t.Helper()
	fake := pdfake.New(pdfake.Options{Now: func() time.Time { return now }})
	t.Cleanup(fake.Close)
	return fake, newClient(fake, fake.Token())
}

func newClient(fake *pdfake.Server, token string) *pagerduty.Client {
	return pagerduty.NewClient(token,
		pagerduty.WithAPIEndpoint(fake.URL()),
		pagerduty.WithV2EventsAPIEndpoint(fake.URL()))
}

// seed builds a small account:
//
//	users: U1 Alice, U2 Bob, U3 Carol, U4 Dave
//	schedule SCH1: Alice now-12h..now+12h, Bob now+12h..now+36h
//	EP1: level 1 -> SCH1, level 2 -> Carol
//	service SVC1 (EP1, integration key svcKey), SVC2 (EP1)
func seed(fake *pdfake.Server) {
	for _, u := range []pdfake.User{
		{ID: "U1", Name: "Alice", Email: aliceEmail},
		{ID: "U2", Name: "Bob", Email: "bob@example.com"},
		{ID: "U3", Name: "Carol", Email: "carol@example.com"},
		{ID: "U4", Name: "Dave", Email: "dave@example.com"},
	} {
		fake.AddUser(u)
	}
	fake.AddSchedule(pdfake.Schedule{ID: "SCH1", Name: "Primary", Shifts: []pdfake.Shift{
		{UserID: "U1", Start: now.Add(-12 * time.Hour), End: now.Add(12 * time.Hour)},
		{UserID: "U2", Start: now.Add(12 * time.Hour), End: now.Add(36 * time.Hour)},
	}})
	fake.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "EP1", Name: "Ops", Levels: []pdfake.EscalationLevel{
		{Targets: []pdfake.Target{{Type: pdfake.TargetSchedule, ID: "SCH1"}}, DelayMinutes: 15},
		{Targets: []pdfake.Target{{Type: pdfake.TargetUser, ID: "U3"}}, DelayMinutes: 15},
	}})
	fake.AddService(pdfake.Service{ID: "SVC1", Name: "API", EscalationPolicyID: "EP1", IntegrationKey: svcKey})
	fake.AddService(pdfake.Service{ID: "SVC2", Name: "Web", EscalationPolicyID: "EP1"})
}

// apiError unwraps a go-pagerduty APIError or fails the test.
func apiError(t *testing.T, err error) pagerduty.APIError {
	t.Helper()
	var ae pagerduty.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v (%T), want pagerduty.APIError", err, err)
	}
	return ae
}
