package poller_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/metrics"
	"github.com/tobanbot/toban/pagerduty"
	"github.com/tobanbot/toban/poller"
	"github.com/tobanbot/toban/storage"
)

// clock is a settable clock shared by the fake, the database and the
// poller.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var start = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// env is a poller reading a PagerDuty fake through the real adapter into
// a real SQLite inbox.
type env struct {
	clock    *clock
	fake     *pdfake.Server
	pd       *pagerduty.Client
	dbPath   string
	db       *storage.DB
	notified atomic.Int32
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{clock: &clock{t: start}, dbPath: filepath.Join(t.TempDir(), "toban.db")}
	e.fake = pdfake.New(pdfake.Options{Now: e.clock.Now})
	t.Cleanup(e.fake.Close)
	e.fake.AddUser(pdfake.User{ID: "U1", Name: "Alice", Email: "alice@example.com"})
	e.fake.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "EP1", Name: "Ops", Levels: []pdfake.EscalationLevel{
		{Targets: []pdfake.Target{{Type: pdfake.TargetUser, ID: "U1"}}},
	}})
	e.fake.AddService(pdfake.Service{ID: "SVC1", Name: "API", EscalationPolicyID: "EP1"})
	// One attempt per request: the transport's retries are tested in
	// package pagerduty, and would sleep here.
	e.pd = pagerduty.New(pagerduty.Config{Token: e.fake.Token(), APIURL: e.fake.URL(), EventsURL: e.fake.URL(),
		Timeout: 5 * time.Second, MaxAttempts: 1, Now: e.clock.Now}, metrics.New())
	e.open(t)
	return e
}

// open (re)opens the database, as a restart does.
func (e *env) open(t *testing.T) {
	t.Helper()
	db, err := storage.Open(context.Background(), e.dbPath, storage.WithClock(e.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
}

func (e *env) poller(src poller.Source, store poller.Store) *poller.Poller {
	if src == nil {
		src = e.pd
	}
	if store == nil {
		store = e.db
	}
	return poller.New(src, store, time.Second, e.clock.Now, func() { e.notified.Add(1) }, zerolog.Nop())
}

// inbox lists the stored events as "type incident agent", oldest first.
func (e *env) inbox(t *testing.T) []string {
	t.Helper()
	p, err := e.db.PendingEvents(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ie := range p {
		ev := ie.Event
		if ev.Source != "poller" || ev.Incident != nil || ev.ID == "" {
			t.Errorf("event %+v: want an ID, source poller and no incident", ev)
		}
		out = append(out, ev.Type+" "+ev.IncidentID+" "+ev.Agent.Name)
	}
	return out
}

func (e *env) cursor(t *testing.T) string {
	t.Helper()
	c, err := e.db.Cursor(context.Background(), poller.CursorName)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustPoll(t *testing.T, p *poller.Poller) {
	t.Helper()
	if err := p.PollOnce(context.Background()); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}
}

func check(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: got\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPollAcknowledged(t *testing.T) {
	e := newEnv(t)
	p := e.poller(nil, nil)
	e.fake.AddIncident(pdfake.Incident{ID: "Q1", Title: "API down", ServiceID: "SVC1"})
	e.clock.Advance(10 * time.Second)
	mustPoll(t, p)
	check(t, "first poll", e.inbox(t), "incident.triggered Q1 ")
	if got := e.cursor(t); got != "2026-03-10T12:00:00Z" {
		t.Errorf("cursor = %q, want the trigger's time", got)
	}

	e.clock.Advance(20 * time.Second)
	if err := e.fake.AcknowledgeAs("Q1", "U1"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	mustPoll(t, p)
	check(t, "after the acknowledgement", e.inbox(t), "incident.triggered Q1 ", "incident.acknowledged Q1 Alice")
	if got := e.cursor(t); got != "2026-03-10T12:00:30Z" {
		t.Errorf("cursor = %q, want the acknowledgement's time", got)
	}
	if n := e.notified.Load(); n != 2 {
		t.Errorf("notified %d times, want 2", n)
	}

	// Nothing new: the overlap reads both entries again, and stores none.
	e.clock.Advance(time.Second)
	mustPoll(t, p)
	check(t, "polling again", e.inbox(t), "incident.triggered Q1 ", "incident.acknowledged Q1 Alice")
	if n := e.notified.Load(); n != 2 {
		t.Errorf("notified %d times after polling again, want 2", n)
	}
	reqs := e.fake.RequestsTo("GET", "/log_entries")
	if got := reqs[len(reqs)-1].Query.Get("since"); got != "2026-03-10T11:59:30Z" {
		t.Errorf("last poll since %s, want the cursor minus the overlap", got)
	}
}

func TestPollRestartResumes(t *testing.T) {
	e := newEnv(t)
	e.fake.AddIncident(pdfake.Incident{ID: "Q1", Title: "API down", ServiceID: "SVC1"})
	mustPoll(t, e.poller(nil, nil))
	e.db.Close()

	// Down for longer than the lookback: the cursor, not the clock, says
	// where to resume.
	e.clock.Advance(10 * time.Minute)
	if err := e.fake.AcknowledgeAs("Q1", "U1"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(20 * time.Minute)
	e.open(t)
	mustPoll(t, e.poller(nil, nil))
	check(t, "after restart", e.inbox(t), "incident.triggered Q1 ", "incident.acknowledged Q1 Alice")
	if got := e.cursor(t); got != "2026-03-10T12:25:00Z" {
		t.Errorf("cursor = %q, want now minus the lookback (newer than the acknowledgement)", got)
	}
}

func TestPollErrorsKeepCursor(t *testing.T) {
	e := newEnv(t)
	p := e.poller(nil, nil)
	e.fake.AddIncident(pdfake.Incident{ID: "Q1", Title: "API down", ServiceID: "SVC1"})
	mustPoll(t, p)
	before := e.cursor(t)

	e.clock.Advance(time.Minute)
	if err := e.fake.AcknowledgeAs("Q1", "U1"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(10 * time.Minute)
	e.fake.FailNext(1, 500)
	if err := p.PollOnce(context.Background()); !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("PollOnce with PagerDuty failing: got %v, want ErrUnavailable", err)
	}
	if got := e.cursor(t); got != before {
		t.Errorf("cursor moved from %q to %q on error", before, got)
	}
	check(t, "after the error", e.inbox(t), "incident.triggered Q1 ")

	// A store that fails keeps the cursor too.
	failing := &failingStore{Store: e.db}
	if err := e.poller(nil, failing).PollOnce(context.Background()); err == nil {
		t.Error("PollOnce with the store failing: got nil, want an error")
	}
	if got := e.cursor(t); got != before {
		t.Errorf("cursor moved from %q to %q on a store error", before, got)
	}

	mustPoll(t, p) // the next tick
	check(t, "next tick", e.inbox(t), "incident.triggered Q1 ", "incident.acknowledged Q1 Alice")
}

// failingStore refuses to store events.
type failingStore struct{ poller.Store }

func (failingStore) AcceptEvents(context.Context, string, []domain.IncidentEvent) (int, error) {
	return 0, errors.New("disk full")
}
