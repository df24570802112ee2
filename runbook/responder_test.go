package runbook_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/pagerduty"
	"github.com/tobanbot/toban/runbook"
	"github.com/tobanbot/toban/storage"
)

var (
	alice  = domain.Person{ID: "PU1", Name: "Alice", Email: "alice@example.com"}
	tobanU = domain.Person{ID: "PBOT", Name: "toban", Email: "toban@example.com"}
)

// failingSystem is the system the runbook looks after: /health answers
// 503 until /restart is posted (when restartWorks), then 200 "ok".
type failingSystem struct {
	*httptest.Server
	healthy      atomic.Bool
	restartWorks bool
	// restartDelay makes recovery slow, for Stop.
	restartDelay time.Duration
	restarts     atomic.Int32
}

func newFailingSystem(t *testing.T, restartWorks bool) *failingSystem {
	s := &failingSystem{restartWorks: restartWorks}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			if s.healthy.Load() {
				fmt.Fprint(w, "ok")
				return
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, "database connection refused")
		case "/restart":
			s.restarts.Add(1)
			select {
			case <-time.After(s.restartDelay):
			case <-r.Context().Done():
				return
			}
			if !s.restartWorks {
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprint(w, "restart failed: disk full")
				return
			}
			s.healthy.Store(true)
			fmt.Fprint(w, "restarted")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// thread records what the Teller was asked to say, in order.
type thread struct {
	mu    sync.Mutex
	lines []string
}

func (th *thread) add(s string) {
	th.mu.Lock()
	defer th.mu.Unlock()
	th.lines = append(th.lines, s)
}

func (th *thread) Tell(_ context.Context, incidentID, text string) error {
	th.add(incidentID + " " + text)
	return nil
}

func (th *thread) Result(_ context.Context, incidentID string, a *runbook.Action, res runbook.Result) error {
	th.add(fmt.Sprintf("%s result %s: %s %s %q", incidentID, a.Name, res.Status, res.Summary, res.Output))
	return nil
}

func (th *thread) Offer(_ context.Context, incidentID string, check *runbook.Action, res runbook.Result, recovery *runbook.Action) error {
	th.add(fmt.Sprintf("%s offer %s after %s %s", incidentID, recovery.Name, check.Name, res.Status))
	return nil
}

func (th *thread) Changed(_ context.Context, incidentID string) { th.add(incidentID + " changed") }

func (th *thread) text() string {
	th.mu.Lock()
	defer th.mu.Unlock()
	return strings.Join(th.lines, "\n")
}

type world struct {
	fake *pdfake.Server
	pd   *pagerduty.Client
	db   *storage.DB
	sys  *failingSystem
	th   *thread
	r    *runbook.Responder
	inc  domain.Incident
}

func newWorld(t *testing.T, restartWorks, autoRecover bool) *world {
	t.Helper()
	now := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	w := &world{fake: pdfake.New(pdfake.Options{Now: func() time.Time { return now }}), th: &thread{}}
	t.Cleanup(w.fake.Close)
	for _, p := range []domain.Person{alice, tobanU, {ID: "PU2", Name: "Bob", Email: "bob@example.com"}} {
		w.fake.AddUser(pdfake.User{ID: p.ID, Name: p.Name, Email: p.Email})
	}
	w.fake.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "EP1", Name: "Ops", Levels: []pdfake.EscalationLevel{
		{Targets: []pdfake.Target{{Type: pdfake.TargetUser, ID: "PU1"}}},
		{Targets: []pdfake.Target{{Type: pdfake.TargetUser, ID: "PU2"}}},
	}})
	w.fake.AddService(pdfake.Service{ID: "SVC1", Name: "API", EscalationPolicyID: "EP1"})
	w.pd = pagerduty.New(pagerduty.Config{Token: w.fake.Token(), APIURL: w.fake.URL(), EventsURL: w.fake.URL(), Timeout: 5 * time.Second, Now: time.Now}, nil)
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "toban.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w.db = db
	w.sys = newFailingSystem(t, restartWorks)
	yaml := fmt.Sprintf(`actions:
  - name: API health
    services: [API]
    role: check
    http: {url: "%[1]s/health?incident={{ .Incident.ID }}", expect_status: 200, expect_body: "^ok$"}
    timeout: 5s
  - name: Restart API
    services: [API]
    role: recover
    on_trigger: %[2]v
    http: {method: POST, url: "%[1]s/restart"}
    timeout: 5s
`, w.sys.URL, autoRecover)
	set, problems := runbook.Load([]byte(yaml), runbook.LoadOptions{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	w.r = &runbook.Responder{Actions: set, Runner: &runbook.Executor{Now: time.Now}, Runs: db, Incidents: w.pd, Teller: w.th, Now: time.Now, Self: tobanU}
	added := w.fake.AddIncident(pdfake.Incident{Title: "API 5xx rate high", ServiceID: "SVC1"})
	if w.inc, err = w.pd.Incident(context.Background(), added.ID); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) incident(t *testing.T) pdfake.Incident {
	t.Helper()
	in, ok := w.fake.Incident(w.inc.ID)
	if !ok {
		t.Fatal("incident gone from the fake")
	}
	return in
}

func (w *world) expectThread(t *testing.T, want ...string) {
	t.Helper()
	got := w.th.text()
	for _, line := range want {
		if !strings.Contains(got, line) {
			t.Errorf("thread:\n%s\nwant a line containing %q", got, line)
		}
	}
}

func TestRecoveredAndResolved(t *testing.T) {
	w := newWorld(t, true, true)
	if err := w.r.Triggered(context.Background(), w.inc, nil); err != nil {
		t.Fatal(err)
	}
	in := w.incident(t)
	if in.Status != pdfake.StatusResolved || in.ResolvedBy != tobanU.ID {
		t.Errorf("incident %s resolved by %q, want resolved by toban's user", in.Status, in.ResolvedBy)
	}
	notes := w.fake.Notes(w.inc.ID)
	if len(notes) == 0 || !strings.Contains(notes[len(notes)-1].Content, "Recovered by toban's runbook: Restart API succeeded and API health passes") {
		t.Errorf("notes = %+v, want the recovery noted", notes)
	}
	w.expectThread(t,
		"Running *API health* for toban…",
		`result API health: failed HTTP 503, expected 200 "database connection refused"`,
		"Running *Restart API* for toban…",
		`result Restart API: ok HTTP 200 "restarted"`,
		`result API health: ok HTTP 200 "ok"`,
		"Recovered: Restart API succeeded and API health passes. Incident resolved by toban.")
	runs, _ := w.db.RunbookRuns(context.Background(), w.inc.ID)
	if len(runs) != 3 || runs[0].Status != "failed" || runs[1].Status != "ok" || runs[2].Status != "ok" {
		t.Errorf("recorded runs = %+v", runs)
	}
}

func TestRecoveryFailsEscalatesOnce(t *testing.T) {
	w := newWorld(t, false, true)
	if err := w.r.Triggered(context.Background(), w.inc, nil); err != nil {
		t.Fatal(err)
	}
	in := w.incident(t)
	if in.Status == pdfake.StatusResolved || in.EscalationLevel != 2 {
		t.Errorf("incident %s at level %d, want open at level 2", in.Status, in.EscalationLevel)
	}
	escalations := 0
	for _, req := range w.fake.Writes() {
		if req.Method == http.MethodPut && strings.Contains(string(req.Body), "escalation_level") {
			escalations++
		}
	}
	if escalations != 1 {
		t.Errorf("%d escalation requests, want 1", escalations)
	}
	w.expectThread(t, `result Restart API: failed HTTP 500, expected 2xx "restart failed: disk full"`,
		"Escalated to level 2 by toban: Restart API did not recover it (HTTP 500, expected 2xx).")
	notes := w.fake.Notes(w.inc.ID)
	var all []string
	for _, n := range notes {
		all = append(all, n.Content)
	}
	if joined := strings.Join(all, "\n"); !strings.Contains(joined, "toban runbook: toban ran Restart API (recover): failed") || !strings.Contains(joined, "toban's runbook escalated") {
		t.Errorf("notes:\n%s\nwant the failed run and the escalation", joined)
	}
}

func TestOfferThenRecoverAsClicker(t *testing.T) {
	w := newWorld(t, true, false)
	if err := w.r.Triggered(context.Background(), w.inc, nil); err != nil {
		t.Fatal(err)
	}
	w.expectThread(t, "offer Restart API after API health failed")
	if got := w.sys.restarts.Load(); got != 0 {
		t.Fatalf("restarted %d times before anyone chose to", got)
	}
	if err := w.r.Recover(context.Background(), w.inc, nil, runbook.Actor{SlackUserID: "U1", Person: alice}); err != nil {
		t.Fatal(err)
	}
	if in := w.incident(t); in.Status != pdfake.StatusResolved || in.ResolvedBy != alice.ID {
		t.Errorf("incident %s by %q, want resolved by Alice", in.Status, in.ResolvedBy)
	}
	w.expectThread(t, "Running *Restart API* for <@U1>…", "Incident resolved by <@U1>.")
}

func TestEscalateNowAsClicker(t *testing.T) {
	w := newWorld(t, true, false)
	if err := w.r.EscalateNow(context.Background(), w.inc, runbook.Actor{SlackUserID: "U1", Person: alice}); err != nil {
		t.Fatal(err)
	}
	if in := w.incident(t); in.EscalationLevel != 2 {
		t.Errorf("level %d, want 2", in.EscalationLevel)
	}
	w.expectThread(t, "Escalated to level 2 by <@U1>: <@U1> chose to escalate instead of recovering.")
}

func TestStopDuringRecovery(t *testing.T) {
	w := newWorld(t, true, true)
	w.sys.restartDelay = 10 * time.Second
	done := make(chan error, 1)
	go func() { done <- w.r.Triggered(context.Background(), w.inc, nil) }()
	deadline := time.Now().Add(5 * time.Second)
	for w.sys.restarts.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("recovery never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !w.r.Stop(w.inc.ID, runbook.Actor{SlackUserID: "U2"}) {
		t.Fatal("Stop found no response under way")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the response did not stop")
	}
	in := w.incident(t)
	if in.Status == pdfake.StatusResolved || in.EscalationLevel != 1 {
		t.Errorf("incident %s level %d: a stopped response acted", in.Status, in.EscalationLevel)
	}
	w.expectThread(t, "Runbook stopped by <@U2>; nothing more will be done automatically.")
	if w.r.Running(w.inc.ID) {
		t.Error("still marked running after it stopped")
	}
}

func TestOneResponsePerIncident(t *testing.T) {
	w := newWorld(t, true, true)
	w.sys.restartDelay = 300 * time.Millisecond
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- w.r.Triggered(context.Background(), w.inc, nil) }()
	}
	var busy, ok int
	for range 2 {
		switch err := <-errs; {
		case err == nil:
			ok++
		case errors.Is(err, runbook.ErrBusy):
			busy++
		default:
			t.Fatal(err)
		}
	}
	if ok != 1 || busy != 1 || w.sys.restarts.Load() != 1 {
		t.Errorf("ok %d, busy %d, restarts %d; want 1, 1, 1", ok, busy, w.sys.restarts.Load())
	}
}
