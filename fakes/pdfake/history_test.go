package pdfake_test

import (
	"context"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/tobanbot/toban/fakes/pdfake"
)

func TestAddEscalation(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	created := now.Add(-2 * time.Hour)
	in := fake.AddIncident(pdfake.Incident{Title: "disk full", ServiceID: "SVC1", CreatedAt: created,
		Status: pdfake.StatusResolved, ResolvedAt: created.Add(time.Hour), ResolvedBy: "U3",
		Acknowledgers: []pdfake.Ack{{UserID: "U3", At: created.Add(20 * time.Minute)}}})
	if err := fake.AddEscalation(in.ID, 2, "", created.Add(15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := fake.AddEscalation(in.ID, 3, "", created); err == nil {
		t.Error("escalation to a level EP1 lacks was accepted")
	}
	if err := fake.AddEscalation("PNOPE", 2, "", created); err == nil {
		t.Error("escalation of an unknown incident was accepted")
	}
	resp, err := client.ListIncidentLogEntriesWithContext(context.Background(), in.ID, pagerduty.ListIncidentLogEntriesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range resp.LogEntries {
		got = append(got, e.Type+"@"+e.CreatedAt)
	}
	want := []string{ // newest first, by creation time
		"resolve_log_entry@" + created.Add(time.Hour).Format(time.RFC3339),
		"acknowledge_log_entry@" + created.Add(20*time.Minute).Format(time.RFC3339),
		"escalate_log_entry@" + created.Add(15*time.Minute).Format(time.RFC3339),
	}
	if len(got) < 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("log = %v, want it to start %v", got, want)
	}
	esc := resp.LogEntries[2]
	if esc.Channel.Type != "timeout" || esc.Agent.ID != "" || len(esc.Assignees) != 1 || esc.Assignees[0].ID != "U3" {
		t.Errorf("escalation entry = channel %q agent %+v assignees %+v; want timeout, none, Carol (level 2)", esc.Channel.Type, esc.Agent, esc.Assignees)
	}
}
