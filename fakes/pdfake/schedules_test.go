package pdfake_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/tobanbot/toban/fakes/pdfake"
)

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// onCallString summarises entries as "level:user:schedule:start".
func onCallString(ocs []pagerduty.OnCall) string {
	var out []string
	for _, oc := range ocs {
		start := "-"
		if oc.Start != "" {
			start = oc.Start[11:16]
		}
		out = append(out, fmt.Sprintf("%d:%s:%s:%s", oc.EscalationLevel, oc.User.ID, oc.Schedule.ID, start))
	}
	return fmt.Sprint(out)
}

func TestListOnCalls(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	tests := []struct {
		name string
		opts pagerduty.ListOnCallOptions
		want string
	}{
		{"now", pagerduty.ListOnCallOptions{}, "[1:U1:SCH1:00:00 2:U3::-]"},
		{"window", pagerduty.ListOnCallOptions{Since: ts(now), Until: ts(now.Add(24 * time.Hour))}, "[1:U1:SCH1:00:00 1:U2:SCH1:00:00 2:U3::-]"},
		{"schedule filter", pagerduty.ListOnCallOptions{ScheduleIDs: []string{"SCH1"}}, "[1:U1:SCH1:00:00]"},
		{"user filter", pagerduty.ListOnCallOptions{UserIDs: []string{"U3"}}, "[2:U3::-]"},
		{"other policy", pagerduty.ListOnCallOptions{EscalationPolicyIDs: []string{"EP9"}}, "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := client.ListOnCallsWithContext(context.Background(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := onCallString(resp.OnCalls); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	resp, err := client.ListOnCallsWithContext(context.Background(), pagerduty.ListOnCallOptions{Includes: []string{"users"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.OnCalls[0].User.Email; got != aliceEmail {
		t.Errorf("include[]=users: email = %q, want %q", got, aliceEmail)
	}
}

func TestOverrides(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	ctx := context.Background()
	o, err := client.CreateOverrideWithContext(ctx, "SCH1", pagerduty.Override{
		Start: ts(now.Add(-time.Hour)), End: ts(now.Add(time.Hour)),
		User: pagerduty.APIObject{ID: "U4", Type: "user_reference"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.ID == "" || o.User.ID != "U4" {
		t.Errorf("override = %+v", o)
	}
	if got := fake.Overrides("SCH1"); len(got) != 1 || got[0].UserID != "U4" {
		t.Errorf("Overrides = %+v", got)
	}
	oc, err := client.ListOnCallsWithContext(ctx, pagerduty.ListOnCallOptions{ScheduleIDs: []string{"SCH1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := onCallString(oc.OnCalls), "[1:U4:SCH1:11:00]"; got != want {
		t.Errorf("on call with override = %s, want %s", got, want)
	}
	// New incidents go to the override.
	if in := fake.AddIncident(pdfake.Incident{Title: "x", ServiceID: "SVC1"}); len(in.AssigneeIDs) != 1 || in.AssigneeIDs[0] != "U4" {
		t.Errorf("assignees = %v, want [U4]", in.AssigneeIDs)
	}
	sc, err := client.GetScheduleWithContext(ctx, "SCH1", pagerduty.GetScheduleOptions{Since: ts(now.Add(-2 * time.Hour)), Until: ts(now.Add(2 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	var final []string
	for _, e := range sc.FinalSchedule.RenderedScheduleEntries {
		final = append(final, e.User.ID+"@"+e.Start[11:16])
	}
	if got, want := fmt.Sprint(final), "[U1@10:00 U4@11:00 U1@13:00]"; got != want {
		t.Errorf("final schedule = %s, want %s", got, want)
	}
	list, err := client.ListOverridesWithContext(ctx, "SCH1", pagerduty.ListOverridesOptions{Since: ts(now), Until: ts(now.Add(time.Minute))})
	if err != nil || len(list.Overrides) != 1 {
		t.Fatalf("ListOverrides = %+v, %v; want one", list, err)
	}
	if err := client.DeleteOverrideWithContext(ctx, "SCH1", o.ID); err != nil {
		t.Fatal(err)
	}
	if got := fake.Overrides("SCH1"); len(got) != 1 || !got[0].End.Equal(now) {
		t.Errorf("in-progress override after delete = %+v, want truncated at now", got)
	}
	future, err := client.CreateOverrideWithContext(ctx, "SCH1", pagerduty.Override{
		Start: ts(now.Add(time.Hour)), End: ts(now.Add(2 * time.Hour)), User: pagerduty.APIObject{ID: "U2", Type: "user_reference"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.DeleteOverrideWithContext(ctx, "SCH1", future.ID); err != nil {
		t.Fatal(err)
	}
	if got := fake.Overrides("SCH1"); len(got) != 1 {
		t.Errorf("future override not deleted: %+v", got)
	}
}

func TestMaintenanceWindows(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	ctx := context.Background()
	mw := func(start, end time.Time, typ string) pagerduty.MaintenanceWindow {
		return pagerduty.MaintenanceWindow{
			StartTime: ts(start), EndTime: ts(end), Description: "deploy",
			Services: []pagerduty.APIObject{{ID: "SVC1", Type: typ}},
		}
	}
	_, err := client.CreateMaintenanceWindowWithContext(ctx, aliceEmail, mw(now, now.Add(time.Hour), ""))
	if ae := apiError(t, err); ae.StatusCode != 400 {
		t.Errorf("service without type: status %d, want 400", ae.StatusCode)
	}
	ongoing, err := client.CreateMaintenanceWindowWithContext(ctx, aliceEmail, mw(now.Add(-time.Minute), now.Add(time.Hour), "service_reference"))
	if err != nil {
		t.Fatal(err)
	}
	if ongoing.ID == "" || ongoing.CreatedBy == nil || ongoing.CreatedBy.ID != "U1" || len(ongoing.Services) != 1 {
		t.Errorf("created = %+v", ongoing)
	}
	future, err := client.CreateMaintenanceWindowWithContext(ctx, "", mw(now.Add(time.Hour), now.Add(2*time.Hour), "service_reference"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		filter string
		want   int
	}{{"ongoing", 1}, {"future", 1}, {"past", 0}, {"", 2}} {
		resp, err := client.ListMaintenanceWindowsWithContext(ctx, pagerduty.ListMaintenanceWindowsOptions{Filter: tc.filter, ServiceIDs: []string{"SVC1"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(resp.MaintenanceWindows); got != tc.want {
			t.Errorf("filter %q: got %d windows, want %d", tc.filter, got, tc.want)
		}
	}
	if sv, _ := client.GetServiceWithContext(ctx, "SVC1", nil); sv.Status != "maintenance" {
		t.Errorf("service status = %q, want maintenance", sv.Status)
	}
	// go-pagerduty sends the window unwrapped (no "maintenance_window" key).
	upd, err := client.UpdateMaintenanceWindowWithContext(ctx, pagerduty.MaintenanceWindow{
		APIObject: pagerduty.APIObject{ID: future.ID}, EndTime: ts(now.Add(3 * time.Hour)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if upd.EndTime != ts(now.Add(3*time.Hour)) || upd.Description != "deploy" {
		t.Errorf("updated = %+v, want new end and unchanged description", upd)
	}
	if err := client.DeleteMaintenanceWindowWithContext(ctx, future.ID); err != nil {
		t.Fatal(err)
	}
	if err := client.DeleteMaintenanceWindowWithContext(ctx, ongoing.ID); err != nil {
		t.Fatal(err)
	}
	got := fake.MaintenanceWindows()
	if len(got) != 1 || got[0].ID != ongoing.ID || !got[0].End.Equal(now) || got[0].CreatedBy != aliceEmail {
		t.Errorf("after deletes = %+v, want only the ongoing one, ended now", got)
	}
	err = client.DeleteMaintenanceWindowWithContext(ctx, ongoing.ID)
	if ae := apiError(t, err); ae.StatusCode != 400 || ae.APIError.ErrorObject.Code != 5003 {
		t.Errorf("delete past: got %v, want 400 code 5003", ae)
	}
}
