package pdfake_test

import (
	"context"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/tobanbot/toban/fakes/pdfake"
)

func TestManageEventLifecycle(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	ctx := context.Background()
	send := func(action string) *pagerduty.V2EventResponse {
		t.Helper()
		resp, err := client.ManageEventWithContext(ctx, &pagerduty.V2Event{
			RoutingKey: svcKey, Action: action, DedupKey: "cpu-high",
			Payload: &pagerduty.V2Payload{Summary: "CPU high", Source: "web-1", Severity: "critical"},
		})
		if err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		return resp
	}
	if resp := send("trigger"); resp.Status != "success" || resp.DedupKey != "cpu-high" {
		t.Errorf("trigger response = %+v", resp)
	}
	send("trigger") // grouped into the open incident
	incs := fake.Incidents()
	if len(incs) != 1 {
		t.Fatalf("incidents = %d, want 1 (deduplicated)", len(incs))
	}
	in := incs[0]
	if in.ServiceID != "SVC1" || in.IncidentKey != "cpu-high" || in.Title != "CPU high" || in.AssigneeIDs[0] != "U1" {
		t.Errorf("incident = %+v", in)
	}
	got, err := client.GetIncidentWithContext(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.AlertCounts.All != 2 {
		t.Errorf("alert count = %d, want 2", got.AlertCounts.All)
	}
	for _, step := range []struct{ action, want string }{{"acknowledge", "acknowledged"}, {"resolve", "resolved"}} {
		send(step.action)
		if after, _ := fake.Incident(in.ID); after.Status != step.want {
			t.Errorf("after %s: status %q, want %q", step.action, after.Status, step.want)
		}
	}
	evs := fake.Events()
	if len(evs) != 4 || evs[0].IncidentID != in.ID || evs[0].Payload.Severity != "critical" || evs[3].Action != "resolve" {
		t.Errorf("events = %+v", evs)
	}
}

func TestManageEventInvalidAndMaintenance(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	ctx := context.Background()
	_, err := client.ManageEventWithContext(ctx, &pagerduty.V2Event{RoutingKey: svcKey, Action: "trigger"})
	if ae := apiError(t, err); ae.StatusCode != 400 {
		t.Errorf("trigger without payload: status %d, want 400", ae.StatusCode)
	}
	fake.AddMaintenanceWindow(pdfake.MaintenanceWindow{ServiceIDs: []string{"SVC1"}, Start: now.Add(-time.Minute), End: now.Add(time.Hour)})
	resp, err := client.ManageEventWithContext(ctx, &pagerduty.V2Event{
		RoutingKey: svcKey, Action: "trigger",
		Payload: &pagerduty.V2Payload{Summary: "quiet", Source: "x", Severity: "info"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.DedupKey) != 32 {
		t.Errorf("generated dedup key %q, want 32 characters", resp.DedupKey)
	}
	if n := len(fake.Incidents()); n != 0 {
		t.Errorf("incidents during maintenance = %d, want 0", n)
	}
	if n := len(fake.Events()); n != 1 {
		t.Errorf("recorded events = %d, want 1", n)
	}
}
