package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
)

// monitorKey is the Events API integration key of Checkout API's monitor.
const monitorKey = "R01M0N170RK3Y0F0CHECK0UT0API0000"

// monitorEvent sends what a monitoring system sends to PagerDuty's Events
// API v2 for the alert dedupKey.
func monitorEvent(t *testing.T, w *world, action, dedupKey, summary string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"routing_key": monitorKey, "event_action": action, "dedup_key": dedupKey,
		"payload": map[string]any{"summary": summary, "source": "web-3", "severity": "critical"},
	})
	resp, err := http.Post(w.pd.URL()+"/v2/enqueue", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("monitor %s: PagerDuty answered %d", action, resp.StatusCode)
	}
}

// TestEndToEndClickAfterAutoResolve is Grafana OnCall's issue 3161 asked of
// toban: the monitor resolves the incident through PagerDuty between the
// card's render and a click on its Acknowledge button, and the webhook
// saying so has not arrived yet. The click re-reads the incident under its
// lock, writes nothing to PagerDuty (so nothing can reopen it), tells the
// person who resolved it and when, and the card then shows it resolved.
func TestEndToEndClickAfterAutoResolve(t *testing.T) {
	w := incidentWorld(t)
	w.pd.AddService(pdfake.Service{ID: "PSVC1", Name: "Checkout API", EscalationPolicyID: "PEP1", IntegrationKey: monitorKey})
	w.env["TOBAN_ADMINS"] = "U1"
	w.env["PAGERDUTY_WEBHOOK_SECRET"] = hookSecret
	r := w.start(t)
	subscribeChannel(t, w, "PSVC1")
	bob := w.slack.User("U2").In("C1")

	const title = "Disk full on web-3"
	monitorEvent(t, w, "trigger", "disk-web-3", title)
	inc := incidentByTitle(t, w.pd, title)
	if code := deliver(t, r, hookSecret, pagerDutyEvent("EvAuto1", "incident.triggered", inc, "triggered", time.Now())); code/100 != 2 {
		t.Fatalf("webhook answered %d", code)
	}
	card := w.slack.Channel(t, "C1").ExpectMessage(title)

	// The monitor sees the disk freed and resolves; toban is not told.
	monitorEvent(t, w, "resolve", "disk-web-3", title)
	if got, _ := w.pd.Incident(inc.ID); got.Status != pdfake.StatusResolved {
		t.Fatalf("PagerDuty status = %s, want resolved by the monitor", got.Status)
	}
	writesBefore := len(w.pd.Writes())

	card.ClickAs(t, bob, "Acknowledge")
	told := bob.ExpectEphemeral(t, "was already resolved by").Text()
	if !strings.Contains(told, "Nothing to do") || !strings.Contains(told, "Checkout API") {
		t.Errorf("bob was told %q; want who resolved it (the Checkout API integration), when, and that nothing was done", told)
	}
	card.ExpectText("Resolved")
	if got := len(w.pd.Writes()); got != writesBefore {
		t.Errorf("PagerDuty writes %d → %d: a click on a resolved incident must write nothing", writesBefore, got)
	}
	if got, _ := w.pd.Incident(inc.ID); got.Status != pdfake.StatusResolved {
		t.Errorf("PagerDuty status = %s after the click, want still resolved", got.Status)
	}
}
