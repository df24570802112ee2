package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/metrics"
)

// logClock is the fake's settable clock.
type logClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *logClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *logClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var logStart = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// logEnv starts a fake with users U1 Alice, U2 Bob, policy EP1 (level 1
// Alice, level 2 Bob) and service SVC1, and a client that does not retry.
func logEnv(t *testing.T) (*Client, *pdfake.Server, *logClock) {
	t.Helper()
	clock := &logClock{t: logStart}
	fake := pdfake.New(pdfake.Options{Now: clock.Now})
	t.Cleanup(fake.Close)
	fake.AddUser(pdfake.User{ID: "U1", Name: "Alice", Email: "alice@example.com"})
	fake.AddUser(pdfake.User{ID: "U2", Name: "Bob", Email: "bob@example.com"})
	fake.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "EP1", Name: "Ops", Levels: []pdfake.EscalationLevel{
		{Targets: []pdfake.Target{{Type: pdfake.TargetUser, ID: "U1"}}},
		{Targets: []pdfake.Target{{Type: pdfake.TargetUser, ID: "U2"}}},
	}})
	fake.AddService(pdfake.Service{ID: "SVC1", Name: "API", EscalationPolicyID: "EP1"})
	c := New(Config{Token: fake.Token(), APIURL: fake.URL(), EventsURL: fake.URL(), Timeout: 5 * time.Second, MaxAttempts: 1, Now: clock.Now}, metrics.New())
	c.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	return c, fake, clock
}

// brief shows an event's fields that the poller sets.
func brief(ev domain.IncidentEvent) string {
	s := fmt.Sprintf("%s %s %s by %s(%s) at +%v", ev.ID[:1], ev.Type, ev.IncidentID, ev.Agent.Name, ev.Agent.ID,
		ev.OccurredAt.Sub(logStart))
	if ev.Note != "" {
		s += " note " + ev.Note
	}
	if ev.Incident != nil || ev.Source != "poller" {
		s += fmt.Sprintf(" incident %v source %q", ev.Incident, ev.Source)
	}
	return s
}

func briefs(evs []domain.IncidentEvent) string {
	var lines []string
	for _, ev := range evs {
		lines = append(lines, brief(ev))
	}
	return strings.Join(lines, "\n")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestLogEntriesSince(t *testing.T) {
	c, fake, clock := logEnv(t)
	ctx := context.Background()
	fake.AddIncident(pdfake.Incident{ID: "Q1", Title: "API down", ServiceID: "SVC1"})
	clock.Advance(time.Minute)
	must(t, fake.AcknowledgeAs("Q1", "U1"))
	clock.Advance(time.Minute)
	_, err := fake.AddNoteAs("Q1", "U1", "rolling back")
	must(t, err)
	_, err = fake.AddNoteAs("Q1", "U2", "on it too") // same second, other person
	must(t, err)
	clock.Advance(time.Minute)
	must(t, fake.EscalateTo("Q1", 2, "")) // acknowledgement timeout
	clock.Advance(time.Minute)
	must(t, fake.ReassignAs("Q1", []string{"U1"}, "U2"))
	clock.Advance(time.Minute)
	must(t, fake.ResolveAs("Q1", "U1"))

	got, err := c.LogEntriesSince(ctx, logStart)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"R incident.triggered Q1 by () at +0s", // AddIncident: PagerDuty itself
		"R incident.acknowledged Q1 by Alice(U1) at +1m0s",
		"R incident.annotated Q1 by Alice(U1) at +2m0s note rolling back",
		"R incident.annotated Q1 by Bob(U2) at +2m0s note on it too",
		"R incident.escalated Q1 by () at +3m0s",
		"R incident.reassigned Q1 by Bob(U2) at +4m0s",
		"R incident.resolved Q1 by Alice(U1) at +5m0s",
	}, "\n")
	if briefs(got) != want {
		t.Errorf("got\n%s\nwant\n%s", briefs(got), want)
	}
	ids := map[string]bool{}
	for _, ev := range got {
		if ids[ev.ID] {
			t.Errorf("event %s twice", ev.ID)
		}
		ids[ev.ID] = true
	}

	reqs := fake.RequestsTo("GET", "/log_entries")
	if len(reqs) != 1 {
		t.Fatalf("got %d log entry requests, want 1", len(reqs))
	}
	q := reqs[0].Query
	if q.Get("since") != "2026-03-10T12:00:00Z" || q.Get("include[]") != "channels" || q.Get("limit") != "100" ||
		q.Get("time_zone") != "UTC" || q.Has("is_overview") {
		t.Errorf("got query %v; want since, include[]=channels, limit=100, time_zone=UTC, no is_overview", q)
	}
	if n := len(fake.RequestsTo("GET", "/incidents/Q1/notes")); n != 1 {
		t.Errorf("read notes %d times, want once", n)
	}

	t.Run("Since", func(t *testing.T) {
		got, err := c.LogEntriesSince(ctx, logStart.Add(4*time.Minute+500*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		want := "R incident.reassigned Q1 by Bob(U2) at +4m0s\nR incident.resolved Q1 by Alice(U1) at +5m0s"
		if briefs(got) != want {
			t.Errorf("got\n%s\nwant\n%s", briefs(got), want)
		}
	})
}

func TestLogEntriesSincePaging(t *testing.T) {
	tests := []struct {
		name        string
		incidents   int
		step        time.Duration // between incidents
		wantErr     error
		wantRestart bool // narrowed the range with until
	}{
		{"SeveralPages", 60, time.Second, nil, false},
		{"PastOffsetCap", 200, time.Second, nil, true},
		{"CapWithinOneSecond", 150, 0, domain.ErrUnavailable, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, clock := logEnv(t)
			old := maxLogOffset
			maxLogOffset = 250
			t.Cleanup(func() { maxLogOffset = old })
			for i := range tt.incidents {
				fake.AddIncident(pdfake.Incident{ID: fmt.Sprintf("Q%03d", i), Title: "t", ServiceID: "SVC1"})
				must(t, fake.AcknowledgeAs(fmt.Sprintf("Q%03d", i), "U1"))
				clock.Advance(tt.step)
			}
			got, err := c.LogEntriesSince(context.Background(), logStart)
			restarted := false
			for _, r := range fake.RequestsTo("GET", "/log_entries") {
				restarted = restarted || r.Query.Has("until")
			}
			if restarted != tt.wantRestart {
				t.Errorf("narrowed with until: %v, want %v", restarted, tt.wantRestart)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("got %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2*tt.incidents {
				t.Fatalf("got %d events, want %d", len(got), 2*tt.incidents)
			}
			for i := range tt.incidents {
				trig, ack := got[2*i], got[2*i+1]
				id := fmt.Sprintf("Q%03d", i)
				if trig.IncidentID != id || trig.Type != domain.EventTriggered || ack.IncidentID != id || ack.Type != domain.EventAcknowledged {
					t.Fatalf("events %d,%d = %s; want %s triggered then acknowledged", 2*i, 2*i+1, briefs(got[2*i:2*i+2]), id)
				}
			}
		})
	}
}

func TestLogEntriesSinceErrors(t *testing.T) {
	tests := []struct {
		name  string
		fault func(*pdfake.Server)
		want  error
	}{
		{"ServerError", func(f *pdfake.Server) { f.FailNext(1, 500) }, domain.ErrUnavailable},
		{"RateLimited", func(f *pdfake.Server) { f.FailNext(1, 429) }, domain.ErrRateLimited},
		{"Unauthorized", func(f *pdfake.Server) { f.FailNext(1, 401) }, domain.ErrUnauthorized},
		{"NotesUnavailable", func(f *pdfake.Server) { f.FailNextMatching("GET", "/incidents/", 1, 503) }, domain.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, clock := logEnv(t)
			fake.AddIncident(pdfake.Incident{ID: "Q1", Title: "API down", ServiceID: "SVC1"})
			clock.Advance(time.Second)
			_, err := fake.AddNoteAs("Q1", "U1", "hello")
			must(t, err)
			tt.fault(fake)
			got, err := c.LogEntriesSince(context.Background(), logStart)
			if !errors.Is(err, tt.want) || got != nil {
				t.Errorf("got %s, %v; want nil, %v", briefs(got), err, tt.want)
			}
		})
	}
}

func TestToEvents(t *testing.T) {
	entry := func(id, typ, inc, at string, ch map[string]any) pd.LogEntry {
		e := pd.LogEntry{Incident: pd.Incident{APIObject: pd.APIObject{ID: inc}}}
		e.ID, e.Type, e.CreatedAt = id, typ, at
		e.Agent = pd.Agent{ID: "U1", Type: "user_reference", Summary: "Alice"}
		if ch != nil {
			e.Channel = pd.Channel{Type: "note", Raw: ch}
		}
		return e
	}
	const t0, t1 = "2026-03-10T12:00:00Z", "2026-03-10T12:00:01Z"
	entries := []pd.LogEntry{
		entry("Ra", "trigger_log_entry", "Q1", t0, nil),
		entry("Rb", "assign_log_entry", "Q1", t0, nil), // part of the trigger
		entry("Rc", "notify_log_entry", "Q1", t0, nil),
		entry("Rd", "assign_log_entry", "Q2", t0, nil), // no trigger of Q2 then: a reassignment
		entry("Re", "unacknowledge_log_entry", "Q1", t1, nil),
		entry("Rf", "reopen_log_entry", "Q1", t1, nil),
		entry("Rg", "priority_change_log_entry", "Q1", t1, nil),
		entry("Rh", "annotate_log_entry", "Q1", t1, map[string]any{"type": "note", "content": "full text", "summary": "full…"}),
		entry("Ri", "annotate_log_entry", "Q1", t1, map[string]any{"type": "note", "summary": "short"}),
		entry("Rj", "acknowledge_log_entry", "", t1, nil),   // no incident
		entry("Rk", "acknowledge_log_entry", "Q1", "", nil), // no time
		entry("Rl", "snooze_log_entry", "Q1", t1, nil),
	}
	var got []string
	for _, ev := range toEvents(entries) {
		got = append(got, fmt.Sprintf("%s %s %s %q", ev.ID, ev.Type, ev.IncidentID, ev.Note))
	}
	want := []string{
		`Ra incident.triggered Q1 ""`,
		`Rd incident.reassigned Q2 ""`,
		`Re incident.unacknowledged Q1 ""`,
		`Rf incident.reopened Q1 ""`,
		`Rg incident.priority_updated Q1 ""`,
		`Rh incident.annotated Q1 "full text"`,
		`Ri incident.annotated Q1 "short"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
