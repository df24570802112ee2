package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
)

// checkoutService is a loopback HTTP service playing the failing system:
// /health answers 503 until /restart is posted (when restartWorks). It
// records every request, so injections show up as extra paths or hosts.
type checkoutService struct {
	*httptest.Server
	healthy      atomic.Bool
	restartWorks bool
	mu           sync.Mutex
	seen         []string
}

func newCheckoutService(t *testing.T, restartWorks bool) *checkoutService {
	s := &checkoutService{restartWorks: restartWorks}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, r.Method+" "+r.Host+r.URL.RequestURI())
		s.mu.Unlock()
		switch r.URL.Path {
		case "/health":
			if s.healthy.Load() {
				fmt.Fprint(w, "ok")
				return
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, "upstream connect error\nretries exhausted")
		case "/restart":
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

func (s *checkoutService) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

// runbookWorld is the feed world with an actions file for Checkout API
// (PSVC1) and toban acting as its own PagerDuty user when it acts alone.
func runbookWorld(t *testing.T, restartWorks, autoRecover bool) (*world, *running, *checkoutService) {
	t.Helper()
	svc := newCheckoutService(t, restartWorks)
	w := runbookEnv(t, incidentWorld(t), svc, autoRecover)
	r := w.start(t)
	subscribeChannel(t, w, "PSVC1", "PSVC2")
	return w, r, svc
}

// runbookEnv adds the actions file and runbook settings to w's toban.
func runbookEnv(t *testing.T, w *world, svc *checkoutService, autoRecover bool) *world {
	t.Helper()
	w.pd.AddUser(pdfake.User{ID: "PBOT", Name: "toban", Email: "toban@example.com"})
	w.pd.AddUser(pdfake.User{ID: "PU3", Name: "Carol Ops", Email: "carol@example.com"})
	w.slack.AddUserGroup(slackfake.UserGroup{ID: "S1", Handle: "sre", Name: "SRE", Users: []string{"U2"}})
	actions := filepath.Join(t.TempDir(), "actions.yaml")
	yaml := fmt.Sprintf(`actions:
  - name: Checkout health
    services: [Checkout API]
    role: check
    http: {url: "%[1]s/health?incident={{ .Incident.ID }}&title={{ .Incident.Title }}", expect_status: 200, expect_body: "^ok$"}
    timeout: 5s
  - name: Restart checkout
    services: [PSVC1]
    role: recover
    on_trigger: %[2]v
    allowed: ["@sre"]
    http: {method: POST, url: "%[1]s/restart"}
    timeout: 5s
`, svc.URL, autoRecover)
	if err := os.WriteFile(actions, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	w.env["TOBAN_ADMINS"] = "U1"
	w.env["PAGERDUTY_WEBHOOK_SECRET"] = hookSecret
	w.env["TOBAN_ACTIONS"] = actions
	w.env["TOBAN_RUNBOOK_AS"] = "toban@example.com"
	return w
}

// triggerCheckout opens an incident on Checkout API and delivers its
// webhook, returning its card.
func triggerCheckout(t *testing.T, w *world, r *running, title string) (pdfake.Incident, *slackfake.Card) {
	t.Helper()
	inc := w.pd.AddIncident(pdfake.Incident{Title: title, ServiceID: "PSVC1", Urgency: "high", EscalationPolicyID: "PEP1"})
	if code := deliver(t, r, hookSecret, pagerDutyEvent("Ev"+inc.ID, "incident.triggered", inc, "triggered", time.Now())); code/100 != 2 {
		t.Fatalf("webhook answered %d", code)
	}
	return inc, w.slack.Channel(t, "C1").ExpectMessage(title)
}

func TestEndToEndRunbookRecovers(t *testing.T) {
	w, r, svc := runbookWorld(t, true, true)
	inc, card := triggerCheckout(t, w, r, "Checkout 5xx $(touch /tmp/toban-pwned) ; curl evil.example @evil.example ../")
	card.ExpectReply("Running *Checkout health* for toban…")
	card.ExpectReply("*Checkout health* failed")
	card.ExpectReply("upstream connect error")
	card.ExpectReply("*Restart checkout* ok")
	card.ExpectReply("Recovered: Restart checkout succeeded and Checkout health passes. Incident resolved by toban.")
	card.ExpectText("Resolved")
	expectThread(t, card,
		"Running *Checkout health* for toban…",
		"Checkout health failed: HTTP 503, expected 200", "[file]",
		"Running *Restart checkout* for toban…",
		"Restart checkout ok: HTTP 200", "[file]",
		"Running *Checkout health* for toban…",
		"Checkout health ok: HTTP 200", "[file]",
		"Recovered: Restart checkout succeeded and Checkout health passes. Incident resolved by toban.")
	for _, m := range card.Replies() {
		if strings.Contains(string(m.Blocks), "Stop runbook") {
			t.Errorf("a finished run still offers Stop: %s", m.Text)
		}
	}

	got, _ := w.pd.Incident(inc.ID)
	if got.Status != pdfake.StatusResolved || got.ResolvedBy != "PBOT" {
		t.Errorf("incident %s resolved by %q, want resolved by toban's PagerDuty user", got.Status, got.ResolvedBy)
	}
	var notes []string
	for _, n := range w.pd.Notes(inc.ID) {
		notes = append(notes, n.Content)
	}
	if all := strings.Join(notes, "\n"); !strings.Contains(all, "toban runbook: toban ran Checkout health (check): failed") ||
		!strings.Contains(all, "Recovered by toban's runbook: Restart checkout succeeded") {
		t.Errorf("PagerDuty notes:\n%s\nwant each run and the recovery", all)
	}
	// The title reached the check only as one escaped query value.
	host := strings.TrimPrefix(svc.URL, "http://")
	for _, req := range svc.requests() {
		if !strings.HasPrefix(req, "GET "+host+"/health?incident="+inc.ID+"&title=Checkout+5xx+%24%28touch") && req != "POST "+host+"/restart" {
			t.Errorf("the service saw %q: not the declared request", req)
		}
	}
	if _, err := os.Stat("/tmp/toban-pwned"); err == nil {
		t.Error("/tmp/toban-pwned exists: an injection ran")
	}
	files := 0
	for _, f := range w.slack.Files() {
		if strings.HasSuffix(f.Name, "-output.txt") {
			files++
		}
	}
	if files != 3 {
		t.Errorf("%d output files shared, want one per run (3)", files)
	}
}

func TestEndToEndRunbookRecoveryFailsEscalatesOnce(t *testing.T) {
	w, r, _ := runbookWorld(t, false, true)
	inc, card := triggerCheckout(t, w, r, "Checkout down")
	card.ExpectReply("Escalated to level 2 by toban: Restart checkout did not recover it (HTTP 500, expected 2xx).")
	expectThread(t, card,
		"Running *Checkout health* for toban…",
		"Checkout health failed: HTTP 503, expected 200", "[file]",
		"Running *Restart checkout* for toban…",
		"Restart checkout failed: HTTP 500, expected 2xx", "[file]",
		"Escalated to level 2 by toban: Restart checkout did not recover it (HTTP 500, expected 2xx).")
	got, _ := w.pd.Incident(inc.ID)
	if got.Status == pdfake.StatusResolved || got.EscalationLevel != 2 {
		t.Errorf("incident %s at level %d, want open at level 2", got.Status, got.EscalationLevel)
	}
	escalations := 0
	for _, req := range w.pd.Writes() {
		if req.Method == http.MethodPut && strings.Contains(string(req.Body), `"escalation_level"`) {
			escalations++
		}
	}
	if escalations != 1 {
		t.Errorf("%d escalation requests, want 1", escalations)
	}
}

func TestEndToEndRunbookOfferAndPermissions(t *testing.T) {
	w, r, svc := runbookWorld(t, true, false)
	alice := w.slack.User("U1").In("C1") // admin, linked below
	bob := w.slack.User("U2").In("C1")   // @sre, linked below
	carol := w.slack.User("U3").In("C1") // neither
	alice.Slash(t, "link")
	alice.ExpectEphemeral(t, "is linked to PagerDuty user")
	bob.Slash(t, "link")
	bob.ExpectEphemeral(t, "is linked to PagerDuty user")

	inc, card := triggerCheckout(t, w, r, "Checkout slow")
	offer := card.ExpectReply("What now?")
	if restarts := strings.Count(strings.Join(svc.requests(), "\n"), "/restart"); restarts != 0 {
		t.Fatalf("recovery ran %d times before anyone chose it", restarts)
	}

	t.Run("NotAllowedIsRefusedAndToldWhoMay", func(t *testing.T) {
		offer.ClickAs(t, carol, "1 · Auto-recover: Restart checkout")
		carol.ExpectEphemeral(t, "You may not run *Restart checkout*: only members of @sre may.")
		alice.Slash(t, "runbook")
		alice.ExpectEphemeral(t, "Restart checkout")
		if restarts := strings.Count(strings.Join(svc.requests(), "\n"), "/restart"); restarts != 0 {
			t.Fatalf("recovery ran for someone not allowed")
		}
	})
	t.Run("AllowedRecoversAsThemselves", func(t *testing.T) {
		offer.ClickAs(t, bob, "1 · Auto-recover: Restart checkout")
		card.ExpectReply("Running *Restart checkout* for <@U2>…")
		card.ExpectReply("Incident resolved by <@U2>.")
		got, _ := w.pd.Incident(inc.ID)
		if got.Status != pdfake.StatusResolved || got.ResolvedBy != "PU2" {
			t.Errorf("incident %s resolved by %q, want Bob (PU2)", got.Status, got.ResolvedBy)
		}
		expectThread(t, card,
			"Running *Checkout health* for toban…",
			"Checkout health failed: HTTP 503, expected 200", "[file]",
			"Checkout health failed: recover or escalate?",
			"Running *Restart checkout* for <@U2>…",
			"Restart checkout ok: HTTP 200", "[file]",
			"Running *Checkout health* for <@U2>…",
			"Checkout health ok: HTTP 200", "[file]",
			"Recovered: Restart checkout succeeded and Checkout health passes. Incident resolved by <@U2>.")
	})
	t.Run("RunButtonOnTheCard", func(t *testing.T) {
		_, card2 := triggerCheckout(t, w, r, "Checkout again")
		card2.ExpectReply("Every check passes")
		card2.ClickAs(t, alice, "▶ Checkout health")
		card2.ExpectReply("Running *Checkout health* for <@U1>…")
		expectThread(t, card2,
			"Running *Checkout health* for toban…",
			"Checkout health ok: HTTP 200", "[file]",
			"Every check passes: the service answers as expected.",
			"Running *Checkout health* for <@U1>…",
			"Checkout health ok: HTTP 200", "[file]")
	})
}

// TestEndToEndRunbookKilledMidRun kills toban (SIGKILL) while a recovery
// runs; after the restart the run shows as interrupted, once, and is not
// run again.
func TestEndToEndRunbookKilledMidRun(t *testing.T) {
	svc := newCheckoutService(t, true)
	hold := make(chan struct{})
	t.Cleanup(func() {
		select {
		case <-hold:
		default:
			close(hold)
		}
	})
	var restarts atomic.Int32
	svc.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/restart":
			restarts.Add(1)
			select { // a restart that hangs until toban is gone
			case <-hold:
			case <-r.Context().Done():
			}
		}
	})
	w := runbookEnv(t, killWorld(t), svc, true)
	w.env["TOBAN_PD_POLL_INTERVAL"] = "0"
	p, addr := startReady(t, w)
	subscribeChannel(t, w, "PSVC1", "PSVC2")
	inc := w.pd.AddIncident(pdfake.Incident{Title: "Checkout hangs", ServiceID: "PSVC1", Urgency: "high", EscalationPolicyID: "PEP1"})
	body, _ := json.Marshal(pagerDutyEvent("Ev"+inc.ID, "incident.triggered", inc, "triggered", time.Now()))
	if code := post(addr, body); code/100 != 2 {
		t.Fatalf("webhook answered %d", code)
	}
	card := w.slack.Channel(t, "C1").ExpectMessage("Checkout hangs")
	card.ExpectReply("Running *Restart checkout* for toban…")
	for deadline := time.Now().Add(10 * time.Second); restarts.Load() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the restart never reached the service")
		}
	}
	kill(t, p)
	close(hold)

	// The run's deadline is its start plus the action's 5 s timeout; the
	// restarted toban calls it interrupted once that and the grace passed.
	_, _ = startReady(t, w)
	card.ExpectReply("*Restart checkout* was interrupted: toban stopped during the run.")
	time.Sleep(time.Second)
	if got := restarts.Load(); got != 1 {
		t.Errorf("restart requested %d times, want 1: an interrupted run must not be run again", got)
	}
	interrupted := 0
	for _, m := range w.slack.Messages("C1") {
		if strings.Contains(m.Text, "was interrupted") {
			interrupted++
		}
	}
	if interrupted != 1 {
		t.Errorf("told %d times that the run was interrupted, want once", interrupted)
	}
	got, _ := w.pd.Incident(inc.ID)
	if got.Status == pdfake.StatusResolved || got.EscalationLevel != 1 {
		t.Errorf("incident %s at level %d: an interrupted response acted", got.Status, got.EscalationLevel)
	}
}
