package pagerduty_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/pagerduty"
)

func TestEscalationPolicy(t *testing.T) {
	e := seeded(t)
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		got, err := e.c.EscalationPolicy(ctx, "EP1")
		if err != nil {
			t.Fatal(err)
		}
		want := domain.EscalationPolicy{ID: "EP1", Name: "Ops", Levels: []domain.EscalationLevel{
			{Level: 1, Targets: []string{"Primary"}},
			{Level: 2, Targets: []string{"Bob"}},
			{Level: 3, Targets: []string{"Carol"}},
		}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := e.c.EscalationPolicy(ctx, "EPNOPE"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})
}

func TestServices(t *testing.T) {
	e := newEnv(t, pagerduty.Config{Timeout: 5 * time.Second}, pdfake.Options{})
	ctx := context.Background()
	for i := range 130 {
		e.fake.AddService(pdfake.Service{ID: fmt.Sprintf("PS%03d", i), Name: fmt.Sprintf("svc-%03d", i), EscalationPolicyID: "EP1"})
	}
	e.fake.AddService(pdfake.Service{ID: "PPAY1", Name: "Payments API", EscalationPolicyID: "EP2"})
	e.fake.AddService(pdfake.Service{ID: "PPAY2", Name: "payments-web"})

	tests := []struct {
		name      string
		query     string
		limit     int
		want      int
		wantPages int
	}{
		{"All", "", 0, 132, 2},
		{"Query", "PAYMENTS", 0, 2, 1},
		{"QueryPaginated", "svc", 0, 130, 2},
		{"Limit", "svc", 10, 10, 1},
		{"LimitOverPage", "", 120, 120, 2},
		{"None", "nothing", 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.fake.ClearRequests()
			got, err := e.c.Services(ctx, tt.query, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Errorf("got %d services, want %d", len(got), tt.want)
			}
			if pages := len(e.fake.RequestsTo("GET", "/services")); pages != tt.wantPages {
				t.Errorf("got %d requests, want %d", pages, tt.wantPages)
			}
		})
	}
	t.Run("Fields", func(t *testing.T) {
		got, err := e.c.Services(ctx, "payments api", 0)
		if err != nil {
			t.Fatal(err)
		}
		want := []domain.Service{{ID: "PPAY1", Name: "Payments API", EscalationPolicyID: "EP2"}}
		if !slices.Equal(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
}

func TestUserByEmail(t *testing.T) {
	e := seeded(t)
	ctx := context.Background()
	e.fake.AddUser(pdfake.User{ID: "U9", Name: "Al", Email: "al@example.com"})
	tests := []struct {
		name    string
		email   string
		want    domain.Person
		wantErr error
	}{
		{"OK", "alice@example.com", alice, nil},
		{"CaseInsensitive", " ALICE@Example.COM", alice, nil},
		{"ShorterMatchesOthersToo", "al@example.com", domain.Person{ID: "U9", Name: "Al", Email: "al@example.com"}, nil},
		{"ErrNotFound", "zed@example.com", domain.Person{}, domain.ErrNotFound},
		{"OnlyASubstringMatches", "lice@example.com", domain.Person{}, domain.ErrNotFound},
		{"OnlyAPrefixMatches", "alice@example.co", domain.Person{}, domain.ErrNotFound},
		{"Empty", "", domain.Person{}, domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.c.UserByEmail(ctx, tt.email)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("got %+v, %v; want error %v", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestCurrentLevel(t *testing.T) {
	e := seeded(t)
	ctx := context.Background()
	e.fake.AddIncident(pdfake.Incident{ID: "Q1", Title: "API down", ServiceID: "SVC1"})
	read := func(t *testing.T) domain.Incident {
		t.Helper()
		inc, err := e.c.Incident(ctx, "Q1")
		if err != nil {
			t.Fatal(err)
		}
		return inc
	}
	level := func(t *testing.T, inc domain.Incident) int {
		t.Helper()
		got, err := e.c.CurrentLevel(ctx, inc)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	t.Run("OK", func(t *testing.T) {
		if got := level(t, read(t)); got != 1 {
			t.Errorf("got level %d, want 1", got)
		}
		for _, want := range []int{3, 2} {
			if err := e.fake.EscalateTo("Q1", want, ""); err != nil {
				t.Fatal(err)
			}
			if got := level(t, read(t)); got != want {
				t.Errorf("got level %d, want %d", got, want)
			}
		}
		w := e.fake.RequestsTo("GET", "/oncalls")
		if q := w[len(w)-1].Query["escalation_policy_ids[]"]; !slices.Equal(q, []string{"EP1"}) {
			t.Errorf("got escalation_policy_ids[] %v, want [EP1]", q)
		}
	})
	t.Run("AfterEscalate", func(t *testing.T) {
		inc, err := e.c.Escalate(ctx, "Q1", 3, alice)
		if err != nil {
			t.Fatal(err)
		}
		if got := level(t, inc); got != 3 {
			t.Errorf("got level %d, want 3", got)
		}
	})
	t.Run("Unknown", func(t *testing.T) {
		e.fake.ClearRequests()
		for _, inc := range []domain.Incident{
			{ID: "Q1"},                            // no policy
			{ID: "Q1", EscalationPolicyID: "EP1"}, // no assignees (resolved)
		} {
			if got := level(t, inc); got != 1 {
				t.Errorf("CurrentLevel(%+v): got %d, want 1", inc, got)
			}
		}
		if got := len(e.fake.Requests()); got != 0 {
			t.Errorf("got %d requests, want 0", got)
		}
		stranger := domain.Incident{ID: "Q1", EscalationPolicyID: "EP1", Assignees: []domain.Person{{ID: "U404"}}}
		if got := level(t, stranger); got != 1 {
			t.Errorf("assigned to someone on no level: got %d, want 1", got)
		}
	})
	t.Run("ErrUnavailable", func(t *testing.T) {
		inc := read(t)
		e.fake.FailNext(4, 502)
		if _, err := e.c.CurrentLevel(ctx, inc); !errors.Is(err, domain.ErrUnavailable) {
			t.Errorf("got %v, want ErrUnavailable", err)
		}
	})
}

func TestUsers(t *testing.T) {
	e := seeded(t)
	ctx := context.Background()
	tests := []struct {
		query string
		limit int
		want  []string
	}{
		{"bob", 20, []string{"U2"}},
		{"EXAMPLE.COM", 20, []string{"U1", "U2", "U3"}},
		{"example.com", 2, []string{"U1", "U2"}},
		{"nobody", 20, nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got, err := e.c.Users(ctx, tt.query, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range got {
				ids = append(ids, p.ID)
				if p.Name == "" || p.Email == "" {
					t.Errorf("user %+v lacks a name or an email", p)
				}
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("users = %q, want %q", ids, tt.want)
			}
		})
	}
}
