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

func TestIncident(t *testing.T) {
	e := seeded(t)
	ctx := context.Background()
	created := now.Add(-time.Hour)
	e.fake.AddIncident(pdfake.Incident{ID: "QTRIG", Number: 7, Title: "API down", ServiceID: "SVC1", CreatedAt: created})
	e.fake.AddIncident(pdfake.Incident{ID: "QACK", Title: "Web slow", ServiceID: "SVC2", Urgency: "low", CreatedAt: created})
	if err := e.fake.AcknowledgeAs("QACK", "U1"); err != nil {
		t.Fatal(err)
	}
	e.fake.AddIncident(pdfake.Incident{ID: "QRES", Title: "Disk full", ServiceID: "SVC1", CreatedAt: created})
	if err := e.fake.ResolveAs("QRES", "U3"); err != nil {
		t.Fatal(err)
	}
	e.fake.AddIncident(pdfake.Incident{ID: "QAUTO", Title: "Flap", ServiceID: "SVC1", CreatedAt: created,
		Status: pdfake.StatusResolved, ResolvedAt: now})

	t.Run("OK", func(t *testing.T) {
		got, err := e.c.Incident(ctx, "QTRIG")
		if err != nil {
			t.Fatal(err)
		}
		want := domain.Incident{
			ID: "QTRIG", Number: 7, Title: "API down", ServiceID: "SVC1", ServiceName: "API",
			Urgency: "high", Status: domain.StatusTriggered,
			Assignees: []domain.Person{{ID: "U1", Name: "Alice"}},
			CreatedAt: created, URL: "https://pdfake.pagerduty.com/incidents/QTRIG",
			EscalationPolicyID: "EP1", EscalationPolicyName: "Ops",
			LastStatusChangeBy: domain.Person{Name: "API"}, LastStatusChangeAt: created, UpdatedAt: created,
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("AcknowledgedBy", func(t *testing.T) {
		got, err := e.c.Incident(ctx, "QACK")
		if err != nil {
			t.Fatal(err)
		}
		wantAcks := []domain.Acknowledgement{{By: domain.Person{ID: "U1", Name: "Alice"}, At: now}}
		if got.Status != domain.StatusAcknowledged || !slices.Equal(got.Acknowledgements, wantAcks) {
			t.Errorf("got status %q, acks %+v; want acknowledged, %+v", got.Status, got.Acknowledgements, wantAcks)
		}
		if want := (domain.Person{ID: "U1", Name: "Alice"}); got.LastStatusChangeBy != want || !got.LastStatusChangeAt.Equal(now) {
			t.Errorf("got last change by %+v at %v, want %+v at %v", got.LastStatusChangeBy, got.LastStatusChangeAt, want, now)
		}
		if got.Urgency != "low" || got.ServiceName != "Web" {
			t.Errorf("got urgency %q service %q, want low, Web", got.Urgency, got.ServiceName)
		}
	})
	t.Run("ResolvedBy", func(t *testing.T) {
		got, err := e.c.Incident(ctx, "QRES")
		if err != nil {
			t.Fatal(err)
		}
		if want := (domain.Person{ID: "U3", Name: "Carol"}); got.Status != domain.StatusResolved || got.LastStatusChangeBy != want {
			t.Errorf("got %q by %+v, want resolved by %+v", got.Status, got.LastStatusChangeBy, want)
		}
		if got.Open() || len(got.Assignees) != 0 {
			t.Errorf("got open %v, assignees %+v; want closed, none", got.Open(), got.Assignees)
		}
	})
	t.Run("ResolvedByIntegration", func(t *testing.T) {
		got, err := e.c.Incident(ctx, "QAUTO")
		if err != nil {
			t.Fatal(err)
		}
		if want := (domain.Person{Name: "API"}); got.LastStatusChangeBy != want {
			t.Errorf("got last change by %+v, want %+v (no user ID)", got.LastStatusChangeBy, want)
		}
	})
	t.Run("ByNumber", func(t *testing.T) {
		got, err := e.c.Incident(ctx, "7")
		if err != nil || got.ID != "QTRIG" {
			t.Errorf("got %q, %v; want QTRIG", got.ID, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := e.c.Incident(ctx, "QNOPE")
		if !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		before := len(e.fake.Requests())
		_, err := e.c.Incident(ctx, "../users")
		if !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("got %v, want ErrInvalid", err)
		}
		if got := len(e.fake.Requests()) - before; got != 0 {
			t.Errorf("got %d requests, want 0", got)
		}
	})
}

func TestIncidentActions(t *testing.T) {
	tests := []struct {
		name       string
		act        func(ctx context.Context, c *pagerduty.Client, id string) (domain.Incident, error)
		method     string
		path       string
		wantStatus domain.Status
		check      func(t *testing.T, fake *pdfake.Server, got pdfake.Incident)
	}{
		{
			name: "Acknowledge",
			act: func(ctx context.Context, c *pagerduty.Client, id string) (domain.Incident, error) {
				return c.Acknowledge(ctx, id, bob)
			},
			method: "PUT", path: "/incidents", wantStatus: domain.StatusAcknowledged,
			check: func(t *testing.T, _ *pdfake.Server, got pdfake.Incident) {
				if len(got.Acknowledgers) != 1 || got.Acknowledgers[0].UserID != "U2" {
					t.Errorf("got acknowledgers %+v, want U2", got.Acknowledgers)
				}
			},
		},
		{
			name: "Resolve",
			act: func(ctx context.Context, c *pagerduty.Client, id string) (domain.Incident, error) {
				return c.Resolve(ctx, id, bob)
			},
			method: "PUT", path: "/incidents", wantStatus: domain.StatusResolved,
			check: func(t *testing.T, _ *pdfake.Server, got pdfake.Incident) {
				if got.ResolvedBy != "U2" {
					t.Errorf("got resolved by %q, want U2", got.ResolvedBy)
				}
			},
		},
		{
			name: "Escalate",
			act: func(ctx context.Context, c *pagerduty.Client, id string) (domain.Incident, error) {
				return c.Escalate(ctx, id, 3, bob)
			},
			method: "PUT", path: "/incidents", wantStatus: domain.StatusTriggered,
			check: func(t *testing.T, _ *pdfake.Server, got pdfake.Incident) {
				if got.EscalationLevel != 3 || !slices.Equal(got.AssigneeIDs, []string{"U3"}) {
					t.Errorf("got level %d assignees %v, want 3 [U3]", got.EscalationLevel, got.AssigneeIDs)
				}
			},
		},
		{
			name: "AddNote",
			act: func(ctx context.Context, c *pagerduty.Client, id string) (domain.Incident, error) {
				n, err := c.AddNote(ctx, id, bob, "looking into it")
				if err == nil && (n.Content != "looking into it" || n.By.ID != "U2" || n.By.Email != bob.Email || !n.CreatedAt.Equal(now) || n.ID == "") {
					t.Errorf("got note %+v, want Bob's, now", n)
				}
				return domain.Incident{Status: domain.StatusTriggered}, err
			},
			method: "POST", path: "/incidents/Q1/notes", wantStatus: domain.StatusTriggered,
			check: func(t *testing.T, fake *pdfake.Server, got pdfake.Incident) {
				notes := fake.Notes(got.ID)
				if len(notes) != 1 || notes[0].UserID != "U2" || notes[0].Content != "looking into it" {
					t.Errorf("got notes %+v, want one by U2", notes)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			t.Run("OK", func(t *testing.T) {
				e := seeded(t)
				e.fake.AddIncident(pdfake.Incident{ID: "Q1", Title: "API down", ServiceID: "SVC1"})
				got, err := tt.act(ctx, e.c, "Q1")
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != tt.wantStatus {
					t.Errorf("got returned status %q, want %q", got.Status, tt.wantStatus)
				}
				w := lastWrite(t, e.fake)
				if w.Method != tt.method || w.Path != tt.path || w.From != bob.Email {
					t.Errorf("got %s %s From %q, want %s %s From %q", w.Method, w.Path, w.From, tt.method, tt.path, bob.Email)
				}
				inc, _ := e.fake.Incident("Q1")
				if inc.Status != string(tt.wantStatus) {
					t.Errorf("got fake status %q, want %q", inc.Status, tt.wantStatus)
				}
				tt.check(t, e.fake, inc)
			})
			t.Run("ErrNotFound", func(t *testing.T) {
				e := seeded(t)
				_, err := tt.act(ctx, e.c, "QNOPE")
				if !errors.Is(err, domain.ErrNotFound) {
					t.Errorf("got %v, want ErrNotFound", err)
				}
			})
		})
	}
}

func TestAlreadyResolved(t *testing.T) {
	e := seeded(t)
	ctx := context.Background()
	e.fake.AddIncident(pdfake.Incident{ID: "Q1", Title: "API down", ServiceID: "SVC1", Status: pdfake.StatusResolved})
	acts := map[string]func() (domain.Incident, error){
		"Acknowledge": func() (domain.Incident, error) { return e.c.Acknowledge(ctx, "Q1", alice) },
		"Resolve":     func() (domain.Incident, error) { return e.c.Resolve(ctx, "Q1", alice) },
		"Escalate":    func() (domain.Incident, error) { return e.c.Escalate(ctx, "Q1", 2, alice) },
	}
	for name, act := range acts {
		t.Run(name, func(t *testing.T) {
			_, err := act()
			if !errors.Is(err, pagerduty.ErrAlreadyResolved) || !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("got %v, want ErrAlreadyResolved (ErrInvalid)", err)
			}
		})
	}
}

func TestRequesterErrors(t *testing.T) {
	e := seeded(t)
	ctx := context.Background()
	e.fake.AddIncident(pdfake.Incident{ID: "Q1", Title: "API down", ServiceID: "SVC1"})
	stranger := domain.Person{Name: "Stranger", Email: "stranger@example.com"}
	tests := []struct {
		name  string
		as    domain.Person
		wantN int // requests expected to reach the fake
	}{
		{"UnknownEmail", stranger, 1},
		{"NoEmail", domain.Person{Name: "Nobody"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.fake.ClearRequests()
			_, err := e.c.Acknowledge(ctx, "Q1", tt.as)
			if !errors.Is(err, pagerduty.ErrUnknownRequester) || !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("got %v, want ErrUnknownRequester", err)
			}
			if got := len(e.fake.Requests()); got != tt.wantN {
				t.Errorf("got %d requests, want %d", got, tt.wantN)
			}
		})
	}
	t.Run("EscalateLevelMissing", func(t *testing.T) {
		_, err := e.c.Escalate(ctx, "Q1", 9, alice)
		if !errors.Is(err, domain.ErrInvalid) || errors.Is(err, pagerduty.ErrAlreadyResolved) {
			t.Errorf("got %v, want ErrInvalid", err)
		}
	})
}

func TestCreateIncident(t *testing.T) {
	ctx := context.Background()
	in := domain.NewIncident{ServiceID: "SVC2", Title: "Checkout broken", Urgency: "low", Details: "500s on /pay", IncidentKey: "pay-1"}
	t.Run("OK", func(t *testing.T) {
		e := seeded(t)
		got, err := e.c.CreateIncident(ctx, in, carol)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID == "" || got.Title != in.Title || got.ServiceName != "Web" || got.Urgency != "low" || got.Status != domain.StatusTriggered {
			t.Errorf("got %+v, want a triggered low incident on Web", got)
		}
		w := lastWrite(t, e.fake)
		if w.Method != "POST" || w.Path != "/incidents" || w.From != carol.Email {
			t.Errorf("got %s %s From %q, want POST /incidents From %q", w.Method, w.Path, w.From, carol.Email)
		}
		inc, ok := e.fake.Incident(got.ID)
		if !ok || inc.Details != in.Details || inc.IncidentKey != in.IncidentKey || inc.ServiceID != "SVC2" {
			t.Errorf("got fake incident %+v, want details, key and service", inc)
		}
	})
	t.Run("DuplicateKey", func(t *testing.T) {
		e := seeded(t)
		if _, err := e.c.CreateIncident(ctx, in, carol); err != nil {
			t.Fatal(err)
		}
		_, err := e.c.CreateIncident(ctx, in, carol)
		if !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("got %v, want ErrInvalid", err)
		}
		if got := len(e.fake.Incidents()); got != 1 {
			t.Errorf("got %d incidents, want 1", got)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		e := seeded(t)
		for _, bad := range []domain.NewIncident{
			{ServiceID: "SVC1"},
			{ServiceID: "SVC1", Title: "x", Urgency: "urgent"},
			{Title: "no service"},
		} {
			if _, err := e.c.CreateIncident(ctx, bad, carol); !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("CreateIncident(%+v): got %v, want ErrInvalid", bad, err)
			}
		}
		if got := len(e.fake.Writes()); got != 0 {
			t.Errorf("got %d writes, want 0", got)
		}
	})
}

func TestOpenIncidents(t *testing.T) {
	e := seeded(t)
	ctx := context.Background()
	// 130 open on SVC1 (one of them two months old), 3 resolved, 5 on SVC2
	// assigned to Carol.
	for i := range 130 {
		e.fake.AddIncident(pdfake.Incident{ID: fmt.Sprintf("QA%03d", i), Title: "a", ServiceID: "SVC1",
			CreatedAt: now.Add(-time.Duration(130-i) * time.Minute)})
	}
	e.fake.AddIncident(pdfake.Incident{ID: "QOLD", Title: "old", ServiceID: "SVC1", CreatedAt: now.AddDate(0, -2, 0)})
	for i := range 3 {
		e.fake.AddIncident(pdfake.Incident{ID: fmt.Sprintf("QR%d", i), Title: "r", ServiceID: "SVC1", Status: pdfake.StatusResolved})
	}
	for i := range 5 {
		e.fake.AddIncident(pdfake.Incident{ID: fmt.Sprintf("QB%d", i), Title: "b", ServiceID: "SVC2", AssigneeIDs: []string{"U3"}})
	}
	if err := e.fake.AcknowledgeAs("QA005", "U1"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		filter pagerduty.IncidentFilter
		want   int
	}{
		{"All", pagerduty.IncidentFilter{}, 136},
		{"Service", pagerduty.IncidentFilter{ServiceIDs: []string{"SVC1"}}, 131},
		{"User", pagerduty.IncidentFilter{UserIDs: []string{"U3"}}, 5},
		{"None", pagerduty.IncidentFilter{UserIDs: []string{"U2"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.fake.ClearRequests()
			got, err := e.c.OpenIncidents(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Errorf("got %d incidents, want %d", len(got), tt.want)
			}
			for _, inc := range got {
				if !inc.Open() {
					t.Errorf("got %s %s, want only open incidents", inc.ID, inc.Status)
				}
			}
			if pages := len(e.fake.RequestsTo("GET", "/incidents")); tt.want > 100 && pages < 2 {
				t.Errorf("got %d requests, want several pages", pages)
			}
		})
	}
	t.Run("Order", func(t *testing.T) {
		got, err := e.c.OpenIncidents(ctx, pagerduty.IncidentFilter{ServiceIDs: []string{"SVC1"}})
		if err != nil {
			t.Fatal(err)
		}
		if got[0].ID != "QOLD" || got[6].Status != domain.StatusAcknowledged {
			t.Errorf("got first %s, seventh %s %s; want QOLD first, QA005 acknowledged", got[0].ID, got[6].ID, got[6].Status)
		}
	})
}
