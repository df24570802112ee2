package pdfake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/tobanbot/toban/fakes/pdfake"
)

func TestAddIncidentDefaults(t *testing.T) {
	fake, _ := newFake(t)
	seed(fake)
	in := fake.AddIncident(pdfake.Incident{Title: "db down", ServiceID: "SVC1"})
	if in.ID == "" || in.Number != 1 || in.Status != pdfake.StatusTriggered || in.EscalationPolicyID != "EP1" ||
		in.EscalationLevel != 1 || !in.CreatedAt.Equal(now) || in.Urgency != "high" {
		t.Errorf("defaults not filled: %+v", in)
	}
	if got, want := in.AssigneeIDs, []string{"U1"}; !slices.Equal(got, want) {
		t.Errorf("assignees = %v, want %v (on call in SCH1)", got, want)
	}
	if second := fake.AddIncident(pdfake.Incident{Title: "again", ServiceID: "SVC2"}); second.Number != 2 {
		t.Errorf("second number = %d, want 2", second.Number)
	}
	if got := fake.LogEntries(in.ID); len(got) == 0 || got[0].Type != pdfake.LogTrigger {
		t.Errorf("log entries = %+v, want a trigger first", got)
	}
}

func TestManageIncidents(t *testing.T) {
	tests := []struct {
		name       string
		from       string
		opt        pagerduty.ManageIncidentsOptions
		wantStatus int // 0: success
		wantCode   int
		check      func(t *testing.T, in pdfake.Incident)
	}{
		{
			name: "acknowledge", from: aliceEmail,
			opt: pagerduty.ManageIncidentsOptions{Status: "acknowledged"},
			check: func(t *testing.T, in pdfake.Incident) {
				if in.Status != pdfake.StatusAcknowledged || len(in.Acknowledgers) != 1 || in.Acknowledgers[0].UserID != "U1" {
					t.Errorf("got %s acks %+v, want acknowledged by U1", in.Status, in.Acknowledgers)
				}
			},
		},
		{
			name: "resolve", from: aliceEmail,
			opt: pagerduty.ManageIncidentsOptions{Status: "resolved"},
			check: func(t *testing.T, in pdfake.Incident) {
				if in.Status != pdfake.StatusResolved || in.ResolvedBy != "U1" || !in.ResolvedAt.Equal(now) {
					t.Errorf("got %s by %q at %v, want resolved by U1 now", in.Status, in.ResolvedBy, in.ResolvedAt)
				}
			},
		},
		{
			name: "escalate", from: "BOB@example.com",
			opt: pagerduty.ManageIncidentsOptions{EscalationLevel: 2},
			check: func(t *testing.T, in pdfake.Incident) {
				if in.EscalationLevel != 2 || !slices.Equal(in.AssigneeIDs, []string{"U3"}) || in.Status != pdfake.StatusTriggered {
					t.Errorf("got level %d assignees %v status %s, want 2 [U3] triggered", in.EscalationLevel, in.AssigneeIDs, in.Status)
				}
			},
		},
		{
			name: "reassign", from: aliceEmail,
			opt: pagerduty.ManageIncidentsOptions{Assignments: []pagerduty.Assignee{{Assignee: pagerduty.APIObject{ID: "U4", Type: "user_reference"}}}},
			check: func(t *testing.T, in pdfake.Incident) {
				if !slices.Equal(in.AssigneeIDs, []string{"U4"}) {
					t.Errorf("assignees = %v, want [U4]", in.AssigneeIDs)
				}
			},
		},
		{name: "missing level", from: aliceEmail, opt: pagerduty.ManageIncidentsOptions{EscalationLevel: 5}, wantStatus: 400, wantCode: 2001},
		{name: "missing From", from: "", opt: pagerduty.ManageIncidentsOptions{Status: "acknowledged"}, wantStatus: 400, wantCode: 2016},
		{name: "unknown From", from: "eve@example.com", opt: pagerduty.ManageIncidentsOptions{Status: "acknowledged"}, wantStatus: 400, wantCode: 1008},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, client := newFake(t)
			seed(fake)
			in := fake.AddIncident(pdfake.Incident{Title: "db down", ServiceID: "SVC1"})
			tt.opt.ID = in.ID
			resp, err := client.ManageIncidentsWithContext(context.Background(), tt.from, []pagerduty.ManageIncidentsOptions{tt.opt})
			after, _ := fake.Incident(in.ID)
			if tt.wantStatus != 0 {
				ae := apiError(t, err)
				if ae.StatusCode != tt.wantStatus || ae.APIError.ErrorObject.Code != tt.wantCode {
					t.Errorf("got %d code %d, want %d code %d", ae.StatusCode, ae.APIError.ErrorObject.Code, tt.wantStatus, tt.wantCode)
				}
				if after.Status != pdfake.StatusTriggered || after.EscalationLevel != 1 {
					t.Errorf("failed update changed the incident: %+v", after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Incidents) != 1 || resp.Incidents[0].Status != after.Status {
				t.Errorf("response incidents = %+v, want status %s", resp.Incidents, after.Status)
			}
			tt.check(t, after)
			if w := fake.Writes(); len(w) != 1 || w[0].From != tt.from || w[0].Path != "/incidents" {
				t.Errorf("writes = %+v, want one PUT /incidents From %q", w, tt.from)
			}
		})
	}
}

func TestManageResolvedIncidentRefused(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	in := fake.AddIncident(pdfake.Incident{Title: "x", ServiceID: "SVC1"})
	if err := fake.ResolveAs(in.ID, "U2"); err != nil {
		t.Fatal(err)
	}
	_, err := client.ManageIncidentsWithContext(context.Background(), aliceEmail,
		[]pagerduty.ManageIncidentsOptions{{ID: in.ID, Status: "acknowledged"}})
	if ae := apiError(t, err); ae.StatusCode != 400 || !strings.Contains(ae.Error(), "Already Resolved") {
		t.Errorf("got %v, want 400 Incident Already Resolved", ae)
	}
}

func TestCreateIncidentNote(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	in := fake.AddIncident(pdfake.Incident{Title: "db down", ServiceID: "SVC1"})
	ctx := context.Background()
	note, err := client.CreateIncidentNoteWithContext(ctx, in.ID, pagerduty.IncidentNote{
		Content: "looking", User: pagerduty.APIObject{Summary: aliceEmail},
	})
	if err != nil {
		t.Fatal(err)
	}
	if note.ID == "" || note.User.ID != "U1" || note.Content != "looking" {
		t.Errorf("note = %+v", note)
	}
	if got := fake.Notes(in.ID); len(got) != 1 || got[0].UserID != "U1" {
		t.Errorf("Notes = %+v, want one by U1", got)
	}
	listed, err := client.ListIncidentNotesWithContext(ctx, in.ID)
	if err != nil || len(listed) != 1 {
		t.Errorf("ListIncidentNotes = %+v, %v; want one note", listed, err)
	}
	_, err = client.CreateIncidentNoteWithContext(ctx, in.ID, pagerduty.IncidentNote{Content: "anon"})
	if ae := apiError(t, err); ae.StatusCode != 400 {
		t.Errorf("note without From: status %d, want 400", ae.StatusCode)
	}
}

func TestCreateIncidentDedupKey(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	ctx := context.Background()
	create := func() (*pagerduty.Incident, error) {
		return client.CreateIncidentWithContext(ctx, aliceEmail, &pagerduty.CreateIncidentOptions{
			Title: "disk full", Service: &pagerduty.APIReference{ID: "SVC1", Type: "service_reference"},
			IncidentKey: "disk-1", Body: &pagerduty.APIDetails{Type: "incident_body", Details: "95%"},
		})
	}
	first, err := create()
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != "triggered" || first.IncidentKey != "disk-1" || first.Service.ID != "SVC1" || len(first.Assignments) != 1 {
		t.Errorf("created = %+v", first)
	}
	_, err = create()
	ae := apiError(t, err)
	if ae.StatusCode != 400 || !strings.Contains(ae.Error(), "matching dedup key") {
		t.Errorf("duplicate: got %v, want 400 about the dedup key", ae)
	}
	if err := fake.ResolveAs(first.ID, "U1"); err != nil {
		t.Fatal(err)
	}
	if _, err := create(); err != nil {
		t.Errorf("create after resolve: %v", err)
	}
}

func TestListIncidentsFilters(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	a := fake.AddIncident(pdfake.Incident{Title: "a", ServiceID: "SVC1"})
	b := fake.AddIncident(pdfake.Incident{Title: "b", ServiceID: "SVC2", Urgency: "low", CreatedAt: now.Add(-1)})
	c := fake.AddIncident(pdfake.Incident{Title: "c", ServiceID: "SVC1", Status: pdfake.StatusResolved})
	old := fake.AddIncident(pdfake.Incident{Title: "old", ServiceID: "SVC1", CreatedAt: now.AddDate(0, -2, 0)})
	tests := []struct {
		name string
		opts pagerduty.ListIncidentsOptions
		want []string
	}{
		{"default last month", pagerduty.ListIncidentsOptions{}, []string{b.ID, a.ID, c.ID}},
		{"all time", pagerduty.ListIncidentsOptions{DateRange: "all", SortBy: "incident_number:asc"}, []string{a.ID, b.ID, c.ID, old.ID}},
		{"open", pagerduty.ListIncidentsOptions{Statuses: []string{"triggered", "acknowledged"}, DateRange: "all"}, []string{old.ID, b.ID, a.ID}},
		{"service", pagerduty.ListIncidentsOptions{ServiceIDs: []string{"SVC2"}}, []string{b.ID}},
		{"urgency", pagerduty.ListIncidentsOptions{Urgencies: []string{"high"}, SortBy: "incident_number:desc"}, []string{c.ID, a.ID}},
		{"assigned user", pagerduty.ListIncidentsOptions{UserIDs: []string{"U1"}}, []string{b.ID, a.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := client.ListIncidentsWithContext(context.Background(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, in := range resp.Incidents {
				got = append(got, in.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLogEntriesDecode(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	in := fake.AddIncident(pdfake.Incident{Title: "db down", ServiceID: "SVC1"})
	ctx := context.Background()
	if _, err := client.ManageIncidentsWithContext(ctx, aliceEmail, []pagerduty.ManageIncidentsOptions{{ID: in.ID, Status: "acknowledged"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := fake.AddNoteAs(in.ID, "U2", "on it"); err != nil {
		t.Fatal(err)
	}
	if err := fake.EscalateTo(in.ID, 2, ""); err != nil {
		t.Fatal(err)
	}
	if err := fake.ResolveAs(in.ID, "U3"); err != nil {
		t.Fatal(err)
	}
	resp, err := client.ListLogEntriesWithContext(ctx, pagerduty.ListLogEntriesOptions{Includes: []string{"incidents"}, Total: true})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range resp.LogEntries {
		types = append(types, e.Type)
		if e.Channel.Type == "" || e.Incident.ID != in.ID || e.Service.ID != "SVC1" {
			t.Errorf("entry %s: channel %q incident %q service %q", e.ID, e.Channel.Type, e.Incident.ID, e.Service.ID)
		}
	}
	want := []string{"resolve_log_entry", "escalate_log_entry", "annotate_log_entry", "acknowledge_log_entry", "assign_log_entry", "trigger_log_entry"}
	if !slices.Equal(types, want) {
		t.Errorf("types = %v, want %v (newest first)", types, want)
	}
	if got := resp.LogEntries[0].Agent; got.ID != "U3" || got.Type != "user_reference" {
		t.Errorf("resolve agent = %+v, want U3 user_reference", got)
	}
	one, err := client.ListIncidentLogEntriesWithContext(ctx, in.ID, pagerduty.ListIncidentLogEntriesOptions{Limit: 2})
	if err != nil || len(one.LogEntries) != 2 || !one.More {
		t.Errorf("incident log entries page = %+v, %v; want 2 with more", one, err)
	}
}

func TestIncidentJSONShape(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	in := fake.AddIncident(pdfake.Incident{Title: "db down", ServiceID: "SVC1"})
	if err := fake.AcknowledgeAs(in.ID, "U1"); err != nil {
		t.Fatal(err)
	}
	got, err := client.GetIncidentWithContext(context.Background(), "1") // by number, as PagerDuty allows
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != in.ID || got.Summary != "[#1] db down" || got.EscalationPolicy.ID != "EP1" ||
		len(got.Acknowledgements) != 1 || got.Acknowledgements[0].Acknowledger.ID != "U1" ||
		got.LastStatusChangeBy.ID != "U1" || got.FirstTriggerLogEntry.ID == "" {
		t.Errorf("incident = %+v", got)
	}
	// resolve_reason and priority are null, not empty objects.
	req, _ := http.NewRequest(http.MethodGet, fake.URL()+"/incidents/"+in.ID, nil)
	req.Header.Set("Authorization", "Token token="+fake.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw map[string]map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"resolve_reason", "priority", "resolved_at"} {
		if got := string(raw["incident"][k]); got != "null" {
			t.Errorf("%s = %s, want null", k, got)
		}
	}
}
