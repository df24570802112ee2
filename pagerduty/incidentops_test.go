package pagerduty_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/pagerduty"
)

// opsEnv is seeded's account with priorities P1, P2 and three incidents:
// QT triggered, QA acknowledged by Alice, QR resolved.
func opsEnv(t *testing.T) *env {
	t.Helper()
	e := seeded(t)
	e.fake.SetPriorities([]pdfake.Priority{{ID: "PP1", Name: "P1", Description: "Critical"}, {ID: "PP2", Name: "P2"}})
	e.fake.AddIncident(pdfake.Incident{ID: "QT", Title: "API down", ServiceID: "SVC1"})
	e.fake.AddIncident(pdfake.Incident{ID: "QA", Title: "Web slow", ServiceID: "SVC2"})
	if err := e.fake.AcknowledgeAs("QA", "U1"); err != nil {
		t.Fatal(err)
	}
	e.fake.AddIncident(pdfake.Incident{ID: "QR", Title: "Disk", ServiceID: "SVC1"})
	if err := e.fake.ResolveAs("QR", "U1"); err != nil {
		t.Fatal(err)
	}
	return e
}

// wantErr checks err against a domain kind or a package error; nil wants
// no error.
func wantErr(t *testing.T, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("got %v, want no error", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("got %v, want %v", err, want)
	}
}

func TestPostStatusUpdate(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, id, msg string
		as            domain.Person
		want          error
		writes        int
	}{
		{"OK", "QT", "Failing over", alice, nil, 1},
		{"Empty", "QT", "  ", alice, domain.ErrInvalid, 0},
		{"NoEmail", "QT", "x", domain.Person{Name: "Eve"}, pagerduty.ErrUnknownRequester, 0},
		{"UnknownRequester", "QT", "x", domain.Person{ID: "U9", Name: "Eve", Email: "eve@example.com"}, pagerduty.ErrUnknownRequester, 1},
		{"UnknownIncident", "QNOPE", "x", alice, domain.ErrNotFound, 1},
		{"BadID", "../x", "x", alice, domain.ErrInvalid, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := opsEnv(t)
			got, err := e.c.PostStatusUpdate(ctx, tc.as, tc.id, tc.msg)
			wantErr(t, err, tc.want)
			if n := len(e.fake.Writes()); n != tc.writes {
				t.Errorf("got %d writes, want %d", n, tc.writes)
			}
			if tc.want != nil {
				return
			}
			want := domain.StatusUpdate{ID: got.ID, IncidentID: "QT", Message: "Failing over",
				By: domain.Person{ID: "U1", Name: "Alice", Email: alice.Email}, CreatedAt: now}
			if got != want || got.ID == "" {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			if w := lastWrite(t, e.fake); w.From != alice.Email {
				t.Errorf("got From %q, want %q", w.From, alice.Email)
			}
			if us := e.fake.StatusUpdates("QT"); len(us) != 1 || us[0].UserID != "U1" {
				t.Errorf("fake has %+v, want one update by U1", us)
			}
		})
	}
}

func TestAddResponders(t *testing.T) {
	ctx := context.Background()
	carolT := domain.ResponderTarget{Kind: domain.TargetUser, ID: "U3"}
	opsT := domain.ResponderTarget{Kind: domain.TargetEscalationPolicy, ID: "EP1"}
	for _, tc := range []struct {
		name, id string
		targets  []domain.ResponderTarget
		want     error
		gotUsers string
	}{
		{"UserAndPolicy", "QT", []domain.ResponderTarget{carolT, opsT}, nil, "U3:pending U1:pending"},
		{"NoTargets", "QT", nil, domain.ErrInvalid, ""},
		{"BadKind", "QT", []domain.ResponderTarget{{Kind: "schedule", ID: "SCH1"}}, domain.ErrInvalid, ""},
		{"Resolved", "QR", []domain.ResponderTarget{carolT}, pagerduty.ErrAlreadyResolved, ""},
		{"UnknownUser", "QT", []domain.ResponderTarget{{Kind: domain.TargetUser, ID: "U99"}}, domain.ErrInvalid, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := opsEnv(t)
			got, err := e.c.AddResponders(ctx, alice, tc.id, "U1", "Join the bridge", tc.targets)
			wantErr(t, err, tc.want)
			if tc.want != nil {
				return
			}
			var users string
			for i, r := range got {
				if i > 0 {
					users += " "
				}
				users += r.User.ID + ":" + r.State
				if r.RequestedBy.ID != "U1" || r.Message != "Join the bridge" || !r.RequestedAt.Equal(now) {
					t.Errorf("got responder %+v, want requested by U1 at now with the message", r)
				}
			}
			if users != tc.gotUsers {
				t.Errorf("got responders %s, want %s", users, tc.gotUsers)
			}
			inc, err := e.c.Incident(ctx, tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if len(inc.Responders) != 2 || inc.Responders[0].User.Name != "Carol" {
				t.Errorf("incident responders %+v, want Carol and Alice", inc.Responders)
			}
		})
	}
}

func TestSnooze(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, id string
		d        time.Duration
		want     error
		until    time.Time
	}{
		{"Acknowledged", "QA", time.Hour, nil, now.Add(time.Hour)},
		{"RoundedUp", "QA", 90*time.Second + time.Millisecond, nil, now.Add(91 * time.Second)},
		{"Triggered", "QT", time.Hour, pagerduty.ErrNotAcknowledged, time.Time{}},
		{"Resolved", "QR", time.Hour, pagerduty.ErrAlreadyResolved, time.Time{}},
		{"TooLong", "QA", 8 * 24 * time.Hour, domain.ErrInvalid, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := opsEnv(t)
			got, err := e.c.Snooze(ctx, alice, tc.id, tc.d)
			wantErr(t, err, tc.want)
			if tc.want != nil {
				return
			}
			if got.ID != tc.id || got.Status != domain.StatusAcknowledged {
				t.Errorf("got %+v, want %s acknowledged", got, tc.id)
			}
			if w := lastWrite(t, e.fake); w.From != alice.Email || w.Path != "/incidents/"+tc.id+"/snooze" {
				t.Errorf("got %s From %q, want the snooze From %q", w.Path, w.From, alice.Email)
			}
			if in, _ := e.fake.Incident(tc.id); !in.SnoozedUntil.Equal(tc.until) {
				t.Errorf("got snoozed until %v, want %v", in.SnoozedUntil, tc.until)
			}
			// The incident toban reads says until when, for the card.
			if !got.SnoozedUntil.Equal(tc.until) {
				t.Errorf("incident read as snoozed until %v, want %v", got.SnoozedUntil, tc.until)
			}
		})
	}
}

func TestPrioritiesCached(t *testing.T) {
	var mu sync.Mutex
	clock := now
	tick := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	e := newEnv(t, pagerduty.Config{Timeout: 5 * time.Second}, pdfake.Options{Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return clock
	}})
	e.fake.SetPriorities([]pdfake.Priority{{ID: "PP1", Name: "P1", Description: "Critical"}, {ID: "PP2", Name: "P2"}})
	ctx := context.Background()
	reads := func() int { return len(e.fake.RequestsTo("GET", "/priorities")) }
	for _, step := range []struct {
		name    string
		advance time.Duration
		off     bool
		want    string
		reads   int
	}{
		{"First", 0, false, "[{PP1 P1 Critical} {PP2 P2 }]", 1},
		{"Cached", 9 * time.Minute, true, "[{PP1 P1 Critical} {PP2 P2 }]", 1},
		{"Expired", 2 * time.Minute, true, "[]", 2},
	} {
		tick(step.advance)
		e.fake.SetPrioritiesEnabled(!step.off)
		got, err := e.c.Priorities(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != step.want || reads() != step.reads {
			t.Errorf("%s: got %v after %d reads, want %s after %d", step.name, got, reads(), step.want, step.reads)
		}
	}
}

func TestReassignAndSetPriority(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, id  string
		do        func(c *pagerduty.Client, id string) (domain.Incident, error)
		want      error
		assignees string
		priority  string
	}{
		{"ToUsers", "QT", func(c *pagerduty.Client, id string) (domain.Incident, error) {
			return c.Reassign(ctx, bob, id, domain.Reassignment{UserIDs: []string{"U2", "U3"}})
		}, nil, "[{U2 Bob } {U3 Carol }]", ""},
		{"ToPolicy", "QA", func(c *pagerduty.Client, id string) (domain.Incident, error) {
			return c.Reassign(ctx, bob, id, domain.Reassignment{EscalationPolicyID: "EP1"})
		}, nil, "[{U1 Alice }]", ""},
		{"Nobody", "QT", func(c *pagerduty.Client, id string) (domain.Incident, error) {
			return c.Reassign(ctx, bob, id, domain.Reassignment{})
		}, domain.ErrInvalid, "", ""},
		{"ReassignResolved", "QR", func(c *pagerduty.Client, id string) (domain.Incident, error) {
			return c.Reassign(ctx, bob, id, domain.Reassignment{UserIDs: []string{"U2"}})
		}, pagerduty.ErrAlreadyResolved, "", ""},
		{"Priority", "QT", func(c *pagerduty.Client, id string) (domain.Incident, error) {
			return c.SetPriority(ctx, bob, id, "PP1")
		}, nil, "[{U1 Alice }]", "{PP1 P1 Critical}"},
		{"UnknownPriority", "QT", func(c *pagerduty.Client, id string) (domain.Incident, error) {
			return c.SetPriority(ctx, bob, id, "PNOPE")
		}, domain.ErrInvalid, "", ""},
		{"PriorityResolved", "QR", func(c *pagerduty.Client, id string) (domain.Incident, error) {
			return c.SetPriority(ctx, bob, id, "PP1")
		}, pagerduty.ErrAlreadyResolved, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := opsEnv(t)
			got, err := tc.do(e.c, tc.id)
			wantErr(t, err, tc.want)
			if tc.want != nil {
				return
			}
			if fmt.Sprint(got.Assignees) != tc.assignees {
				t.Errorf("got assignees %v, want %s", got.Assignees, tc.assignees)
			}
			if tc.priority != "" && fmt.Sprint(got.Priority) != tc.priority {
				t.Errorf("got priority %v, want %s", got.Priority, tc.priority)
			}
			if w := lastWrite(t, e.fake); w.From != bob.Email {
				t.Errorf("got From %q, want %q", w.From, bob.Email)
			}
		})
	}
}

// TestPlanLacksFeature: PagerDuty answers 402 when the account's plan has
// no priorities or responder requests; that is ErrNotConfigured.
func TestPlanLacksFeature(t *testing.T) {
	e := opsEnv(t)
	ctx := context.Background()
	e.fake.FailNextMatching("GET", "/priorities", 1, 402)
	_, err := e.c.Priorities(ctx)
	wantErr(t, err, domain.ErrNotConfigured)
	e.fake.FailNextMatching("POST", "/incidents/QT/responder_requests", 1, 402)
	_, err = e.c.AddResponders(ctx, alice, "QT", "U1", "help", []domain.ResponderTarget{{Kind: domain.TargetUser, ID: "U2"}})
	wantErr(t, err, domain.ErrNotConfigured)
}
