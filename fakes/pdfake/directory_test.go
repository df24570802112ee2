package pdfake_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/tobanbot/toban/fakes/pdfake"
)

func TestAuthFailure(t *testing.T) {
	fake, _ := newFake(t)
	bad := newClient(fake, "wrong-token")
	_, err := bad.ListUsersWithContext(context.Background(), pagerduty.ListUsersOptions{})
	ae := apiError(t, err)
	if got, want := ae.StatusCode, http.StatusUnauthorized; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	if got, want := ae.APIError.ErrorObject.Code, 2006; !ae.APIError.Valid || got != want {
		t.Errorf("error code = %d (valid %v), want %d", got, ae.APIError.Valid, want)
	}
}

func TestListServicesPaginated(t *testing.T) {
	tests := []struct {
		name         string
		limit        uint
		offset       uint
		wantRequests int
	}{
		{"max page", 100, 0, 3},
		{"default page (limit omitted)", 0, 0, 10},
		// pagedGet appends offset=N after the options' offset; the last wins.
		{"options offset overridden", 100, 50, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, client := newFake(t)
			for i := range 250 {
				fake.AddService(pdfake.Service{ID: fmt.Sprintf("S%03d", i), Name: fmt.Sprintf("svc-%03d", i)})
			}
			got, err := client.ListServicesPaginated(context.Background(), pagerduty.ListServiceOptions{Limit: tt.limit, Offset: tt.offset})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, s := range got {
				seen[s.ID] = true
			}
			if len(got) != 250 || len(seen) != 250 {
				t.Errorf("got %d services (%d distinct), want 250", len(got), len(seen))
			}
			if got, want := len(fake.RequestsTo(http.MethodGet, "/services")), tt.wantRequests; got != want {
				t.Errorf("requests = %d, want %d", got, want)
			}
		})
	}
}

func TestListUsersOffsetLoop(t *testing.T) {
	fake, client := newFake(t)
	for i := range 130 {
		fake.AddUser(pdfake.User{ID: fmt.Sprintf("U%03d", i), Name: fmt.Sprintf("user-%03d", i), Email: fmt.Sprintf("u%03d@example.com", i)})
	}
	var all []pagerduty.User
	opts := pagerduty.ListUsersOptions{Limit: 100, Total: true}
	for {
		resp, err := client.ListUsersWithContext(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Total != 130 {
			t.Errorf("total = %d, want 130", resp.Total)
		}
		all = append(all, resp.Users...)
		if !resp.More {
			break
		}
		opts.Offset = resp.Offset + resp.Limit
	}
	if got, want := len(all), 130; got != want {
		t.Fatalf("users = %d, want %d", got, want)
	}
	if got, want := all[129].Name, "user-129"; got != want {
		t.Errorf("last user = %q, want %q (sorted by name)", got, want)
	}
}

func TestListUsersQuery(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	tests := []struct {
		query   string
		wantIDs []string
	}{
		{"bob@example.com", []string{"U2"}},
		{"CAROL", []string{"U3"}},
		{"example.com", []string{"U1", "U2", "U3", "U4"}},
		{"nobody", nil},
	}
	for _, tt := range tests {
		resp, err := client.ListUsersWithContext(context.Background(), pagerduty.ListUsersOptions{Query: tt.query})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, u := range resp.Users {
			got = append(got, u.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.wantIDs) {
			t.Errorf("query %q: got %v, want %v", tt.query, got, tt.wantIDs)
		}
	}
}

func TestGetServiceAndPolicy(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	ctx := context.Background()
	sv, err := client.GetServiceWithContext(ctx, "SVC1", &pagerduty.GetServiceOptions{Includes: []string{"integrations"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sv.Status, "active"; got != want {
		t.Errorf("status = %q, want %q", got, want)
	}
	if len(sv.Integrations) != 1 || sv.Integrations[0].IntegrationKey != svcKey {
		t.Errorf("integrations = %+v, want one with key %q", sv.Integrations, svcKey)
	}
	ep, err := client.GetEscalationPolicyWithContext(ctx, "EP1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ep.EscalationRules) != 2 || ep.EscalationRules[0].Targets[0].Type != "schedule_reference" ||
		ep.EscalationRules[1].Targets[0].ID != "U3" || ep.EscalationRules[0].Delay != 15 {
		t.Errorf("escalation rules = %+v", ep.EscalationRules)
	}
	if len(ep.Services) != 2 {
		t.Errorf("services = %+v, want SVC1 and SVC2", ep.Services)
	}
	_, err = client.GetServiceWithContext(ctx, "NOPE", nil)
	if ae := apiError(t, err); !ae.NotFound() {
		t.Errorf("NotFound() = false for %v", ae)
	}
}

func TestUnknownPath(t *testing.T) {
	fake, _ := newFake(t)
	req, _ := http.NewRequest(http.MethodGet, fake.URL()+"/no/such/thing", nil)
	req.Header.Set("Authorization", "Token token="+fake.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type")[:16] != "application/json" {
		t.Errorf("got %d %q, want 404 application/json", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestServiceStatus(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	status := func() string {
		t.Helper()
		sv, err := client.GetServiceWithContext(context.Background(), "SVC1", nil)
		if err != nil {
			t.Fatal(err)
		}
		return sv.Status
	}
	in := fake.AddIncident(pdfake.Incident{Title: "x", ServiceID: "SVC1"})
	steps := []struct {
		act  func() error
		want string
	}{
		{func() error { return nil }, "critical"},
		{func() error { return fake.AcknowledgeAs(in.ID, "U1") }, "warning"},
		{func() error { return fake.ResolveAs(in.ID, "U1") }, "active"},
	}
	for i, st := range steps {
		if err := st.act(); err != nil {
			t.Fatal(err)
		}
		if got := status(); got != st.want {
			t.Errorf("step %d: status = %q, want %q", i, got, st.want)
		}
	}
}
