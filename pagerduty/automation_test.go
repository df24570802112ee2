package pagerduty_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/runbook"
)

// TestAutomationActionThroughRunbook runs a runbook's pagerduty_action
// through the adapter against the fake, as PagerDuty documents the calls:
// one POST of the invocation, then reads until a final state.
func TestAutomationActionThroughRunbook(t *testing.T) {
	tests := []struct {
		name       string
		outcome    string
		wantStatus runbook.Status
		wantStates []string
	}{
		{"Completed", "completed", runbook.StatusOK, []string{"created", "running", "completed"}},
		{"Error", "error", runbook.StatusFailed, []string{"created", "running", "error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := seeded(t)
			inc := e.fake.AddIncident(pdfake.Incident{Title: "API down", ServiceID: "SVC1"})
			e.fake.AddAutomationAction(pdfake.AutomationAction{ID: "PAA1", Name: "Restart API", Outcome: tt.outcome})
			set, problems := runbook.Load([]byte("actions:\n  - name: Restart\n    services: [API]\n    role: recover\n    pagerduty_action: PAA1\n"), runbook.LoadOptions{})
			if len(problems) > 0 {
				t.Fatal(problems)
			}
			x := &runbook.Executor{PagerDuty: e.c, Now: time.Now, PollInterval: time.Millisecond}
			got := x.Run(context.Background(), set.Actions[0], runbook.Incident{ID: inc.ID}, alice.Email)
			if got.Status != tt.wantStatus || !strings.Contains(got.Summary, tt.outcome) {
				t.Errorf("got %s %q, want %s", got.Status, got.Summary, tt.wantStatus)
			}
			invs := e.fake.Invocations()
			if len(invs) != 1 {
				t.Fatalf("got %d invocations, want 1", len(invs))
			}
			inv := invs[0]
			var states []string
			for _, tm := range inv.Timing {
				states = append(states, tm.State)
			}
			if inv.ActionID != "PAA1" || inv.IncidentID != inc.ID || inv.AgentEmail != alice.Email || strings.Join(states, ",") != strings.Join(tt.wantStates, ",") {
				t.Errorf("invocation = %+v, want PAA1 for %s by %s through %v", inv, inc.ID, alice.Email, tt.wantStates)
			}
			if w := lastWrite(t, e.fake); w.Path != "/automation_actions/actions/PAA1/invocations" || w.From != alice.Email {
				t.Errorf("last write = %s %s from %q", w.Method, w.Path, w.From)
			}
		})
	}
	t.Run("UnknownAction", func(t *testing.T) {
		e := seeded(t)
		inc := e.fake.AddIncident(pdfake.Incident{Title: "API down", ServiceID: "SVC1"})
		_, err := e.c.InvokeAutomationAction(context.Background(), "PNOPE", inc.ID, "")
		if err == nil || !strings.Contains(err.Error(), "invoke automation action PNOPE") {
			t.Errorf("err = %v, want a not-found error naming the action", err)
		}
		if n := len(e.fake.Invocations()); n != 0 {
			t.Errorf("%d invocations made, want 0", n)
		}
	})
	t.Run("BadIDRefusedBeforeSending", func(t *testing.T) {
		e := seeded(t)
		_, err := e.c.InvokeAutomationAction(context.Background(), "../x", "P1", "")
		if err == nil || len(e.fake.Writes()) != 0 {
			t.Errorf("err = %v, writes = %d; want refused locally", err, len(e.fake.Writes()))
		}
	})
}
