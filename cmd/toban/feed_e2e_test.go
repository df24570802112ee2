package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/webhook"
)

const hookSecret = "whsec-test"

// pagerDutyEvent is a v3 webhook event about inc, as PagerDuty sends it.
func pagerDutyEvent(id, typ string, inc pdfake.Incident, status string, at time.Time) map[string]any {
	data := map[string]any{
		"id": inc.ID, "type": "incident", "number": inc.Number, "title": inc.Title, "status": status,
		"urgency": inc.Urgency, "created_at": inc.CreatedAt.UTC().Format(time.RFC3339),
		"html_url":          "https://acme.pagerduty.com/incidents/" + inc.ID,
		"service":           map[string]any{"id": inc.ServiceID, "summary": serviceName(inc.ServiceID), "type": "service_reference"},
		"escalation_policy": map[string]any{"id": "PEP1", "summary": "Web Ops", "type": "escalation_policy_reference"},
		"assignees":         []any{},
	}
	return map[string]any{"event": map[string]any{
		"id": id, "event_type": typ, "resource_type": "incident", "occurred_at": at.UTC().Format(time.RFC3339Nano),
		"agent": map[string]any{"id": "PU2", "summary": "Bob Ops", "type": "user_reference"},
		"data":  data,
	}}
}

func noteEvent(id string, inc pdfake.Incident, content string, at time.Time) map[string]any {
	return map[string]any{"event": map[string]any{
		"id": id, "event_type": "incident.annotated", "resource_type": "incident", "occurred_at": at.UTC().Format(time.RFC3339Nano),
		"agent": map[string]any{"id": "PU2", "summary": "Bob Ops", "type": "user_reference"},
		"data": map[string]any{"type": "incident_note", "content": content,
			"incident": map[string]any{"id": inc.ID, "type": "incident_reference"}},
	}}
}

func serviceName(id string) string {
	return map[string]string{"PSVC1": "Checkout API", "PSVC2": "Billing"}[id]
}

// deliver POSTs events (one object, or an array for a batch) as PagerDuty
// would, signed with secret, and returns the status.
func deliver(t *testing.T, r *running, secret string, events ...map[string]any) int {
	t.Helper()
	var body []byte
	if len(events) == 1 {
		body, _ = json.Marshal(events[0])
	} else {
		body, _ = json.Marshal(events)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+r.main.HTTPAddr()+"/webhooks/pagerduty", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-PagerDuty-Signature", webhook.Sign(secret, body))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// subscribeChannel has admin Alice subscribe C1 to services.
func subscribeChannel(t *testing.T, w *world, services ...string) {
	t.Helper()
	alice := w.slack.User("U1").In("C1")
	alice.Slash(t, "subscribe")
	id, _ := view(t, w.slack, "U1", callback("feed.subscribe"))
	var opts []any
	for _, s := range services {
		opts = append(opts, map[string]any{"value": s, "text": map[string]any{"type": "plain_text", "text": s}})
	}
	all := func(values ...string) []any {
		var out []any
		for _, v := range values {
			out = append(out, map[string]any{"value": v, "text": map[string]any{"type": "plain_text", "text": v}})
		}
		return out
	}
	ack := w.slack.Submit(t, "U1", id, map[string]map[string]any{
		"services":  {"service": map[string]any{"type": "multi_external_select", "selected_options": opts}},
		"urgencies": {"urgencies": map[string]any{"type": "checkboxes", "selected_options": all("high", "low")}},
		"events":    {"events": map[string]any{"type": "checkboxes", "selected_options": all("notes", "escalations", "reassignments")}},
	})
	if strings.Contains(string(ack.Payload), "errors") {
		t.Fatalf("subscribe refused: %s", ack.Payload)
	}
	w.slack.Channel(t, "C1").ExpectMessage("subscribed this channel to")
}

func feedWorld(t *testing.T) (*world, *running) {
	t.Helper()
	w := incidentWorld(t)
	w.env["TOBAN_ADMINS"] = "U1"
	w.env["PAGERDUTY_WEBHOOK_SECRET"] = hookSecret
	r := w.start(t)
	subscribeChannel(t, w, "PSVC1", "PSVC2")
	return w, r
}

func TestEndToEndFeedNothingDoubled(t *testing.T) {
	w, r := feedWorld(t)
	a := w.pd.AddIncident(pdfake.Incident{Title: "Orders API 502", ServiceID: "PSVC1", Urgency: "high", EscalationPolicyID: "PEP1"})
	b := w.pd.AddIncident(pdfake.Incident{Title: "Invoices stuck", ServiceID: "PSVC2", Urgency: "low", EscalationPolicyID: "PEP1"})
	t0 := time.Now()
	trigA := pagerDutyEvent("EvA1", "incident.triggered", a, "triggered", t0)
	trigB := pagerDutyEvent("EvB1", "incident.triggered", b, "triggered", t0)

	t.Run("OverlappingBatches", func(t *testing.T) {
		for _, batch := range [][]map[string]any{{trigA, trigB}, {trigB}, {trigA, trigB}, {trigA}} {
			if code := deliver(t, r, hookSecret, batch...); code/100 != 2 {
				t.Fatalf("delivery answered %d", code)
			}
		}
		w.slack.Channel(t, "C1").ExpectMessage("Orders API 502")
		w.slack.Channel(t, "C1").ExpectMessage("Invoices stuck")
		time.Sleep(300 * time.Millisecond) // any second card would be posted by now
		for _, title := range []string{"Orders API 502", "Invoices stuck"} {
			if n := countMessages(w.slack, "C1", title); n != 1 {
				t.Errorf("cards for %q = %d, want 1", title, n)
			}
		}
	})

	t.Run("NoteOnceAcrossRedeliveryAndSources", func(t *testing.T) {
		note := noteEvent("EvA2", a, "Rolled back deploy 2931", t0.Add(time.Minute))
		same := noteEvent("R0LOGENTRY", a, "Rolled back deploy 2931", t0.Add(time.Minute)) // as the poller would name it
		for _, n := range []map[string]any{note, note, same} {
			if code := deliver(t, r, hookSecret, n); code/100 != 2 {
				t.Fatalf("delivery answered %d", code)
			}
		}
		card := w.slack.Channel(t, "C1").ExpectMessage("Orders API 502")
		card.ExpectReply("Rolled back deploy 2931")
		time.Sleep(300 * time.Millisecond)
		replies := 0
		for _, m := range w.slack.Messages("C1") {
			if m.ThreadTS == card.TS() && strings.Contains(m.Text, "Rolled back deploy 2931") {
				replies++
			}
		}
		if replies != 1 {
			t.Errorf("thread replies = %d, want 1", replies)
		}
	})

	t.Run("LateOlderEventDoesNotRollBack", func(t *testing.T) {
		if err := w.pd.ResolveAs(a.ID, "PU2"); err != nil {
			t.Fatal(err)
		}
		deliver(t, r, hookSecret, pagerDutyEvent("EvA3", "incident.resolved", a, "resolved", t0.Add(3*time.Minute)))
		card := w.slack.Channel(t, "C1").ExpectMessage("Orders API 502")
		card.ExpectText("Resolved by Bob Ops")
		// PagerDuty's retry of an earlier acknowledgement arrives now.
		deliver(t, r, hookSecret, pagerDutyEvent("EvA0", "incident.acknowledged", a, "acknowledged", t0.Add(2*time.Minute)))
		time.Sleep(300 * time.Millisecond)
		if got := card.Refresh(); !strings.Contains(got.Text(), "Resolved by") || len(got.Buttons()) != 1 {
			t.Errorf("card after a late older event:\n%s\nbuttons %q", got.Text(), got.Buttons())
		}
	})

	t.Run("ErrSignature", func(t *testing.T) {
		c := w.pd.AddIncident(pdfake.Incident{Title: "Forged", ServiceID: "PSVC1", Urgency: "high", EscalationPolicyID: "PEP1"})
		forged := pagerDutyEvent("EvC1", "incident.triggered", c, "triggered", t0)
		if code := deliver(t, r, "wrong-secret", forged); code != http.StatusUnauthorized {
			t.Errorf("wrong signature answered %d, want 401", code)
		}
		if code := deliver(t, r, "", forged); code != http.StatusUnauthorized {
			t.Errorf("no signature answered %d, want 401", code)
		}
		time.Sleep(200 * time.Millisecond)
		if n := countMessages(w.slack, "C1", "Forged"); n != 0 {
			t.Errorf("a forged delivery made %d cards", n)
		}
	})
}

func TestEndToEndPollerReflectsChangesMadeInPagerDuty(t *testing.T) {
	w := incidentWorld(t)
	w.env["TOBAN_ADMINS"] = "U1"
	w.env["TOBAN_PD_POLL_INTERVAL"] = "1s"
	w.start(t)
	subscribeChannel(t, w, "PSVC1")

	inc := w.pd.AddIncident(pdfake.Incident{Title: "Disk latency on db-2", ServiceID: "PSVC1", Urgency: "high", EscalationPolicyID: "PEP1"})
	card := w.slack.Channel(t, "C1").ExpectMessage("Disk latency on db-2")
	// Bob acknowledges on his phone; no webhook is configured.
	if err := w.pd.AcknowledgeAs(inc.ID, "PU2"); err != nil {
		t.Fatal(err)
	}
	card.ExpectText("Acknowledged by Bob Ops")
	if got := card.Buttons(); strings.Contains(strings.Join(got, ","), "Acknowledge") {
		t.Errorf("buttons = %q; Acknowledge should be gone", got)
	}
}

func TestEndToEndAlertStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("storm takes several seconds")
	}
	w := incidentWorld(t)
	w.env["TOBAN_ADMINS"] = "U1"
	w.env["PAGERDUTY_WEBHOOK_SECRET"] = hookSecret
	r := w.start(t)
	services := []string{"PSVC1", "PSVC2", "PSVC3", "PSVC4", "PSVC5"}
	for _, s := range services[2:] {
		w.pd.AddService(pdfake.Service{ID: s, Name: "Service " + s, EscalationPolicyID: "PEP1"})
	}
	subscribeChannel(t, w, services...)
	before := w.slack.RateLimited()

	const storm = 500
	incidents := make([]pdfake.Incident, storm)
	for i := range incidents {
		incidents[i] = w.pd.AddIncident(pdfake.Incident{Title: fmt.Sprintf("Storm incident %03d", i),
			ServiceID: services[i%len(services)], Urgency: "high", EscalationPolicyID: "PEP1"})
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, inc := range incidents {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if code := deliver(t, r, hookSecret, pagerDutyEvent(fmt.Sprintf("EvS%03d", i), "incident.triggered", inc, "triggered", time.Now())); code/100 != 2 {
				t.Errorf("delivery %d answered %d", i, code)
			}
		})
	}
	wg.Wait()

	// Every incident ends up represented: its own card or a digest entry.
	deadline := time.Now().Add(60 * time.Second)
	var cards, digested int
	for {
		cards, digested = 0, 0
		for _, m := range w.slack.Messages("C1") {
			if m.ThreadTS != "" {
				continue
			}
			if strings.Contains(m.Text, "Storm incident") {
				cards++
			}
			var n int
			if _, err := fmt.Sscanf(after(m.Text, ": "), "%d more incidents", &n); err == nil && strings.HasPrefix(m.Text, "Alert storm on") {
				digested += n
			}
		}
		if cards+digested == storm || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if cards+digested != storm {
		t.Fatalf("represented %d cards + %d in digests, want all %d", cards, digested, storm)
	}
	if cards > 10 {
		t.Errorf("%d individual cards; the storm threshold is 10 a minute", cards)
	}
	if got := w.slack.RateLimited() - before; got > 3 {
		t.Errorf("Slack answered 429 %d times, want at most 3", got)
	}
	t.Logf("storm: %d cards, %d incidents in digests, %d × 429", cards, digested, w.slack.RateLimited()-before)
}

func after(s, sep string) string {
	if _, rest, ok := strings.Cut(s, sep); ok {
		return rest
	}
	return ""
}

// An admin removes a channel's subscription from /toban subscriptions;
// others may not, and a second click says it is gone.
func TestEndToEndSubscriptionRemove(t *testing.T) {
	w := incidentWorld(t)
	w.env["TOBAN_ADMINS"] = "U1"
	w.start(t)
	alice := w.slack.User("U1").In("C1")
	bob := w.slack.User("U2").In("C1")
	alice.Slash(t, "subscribe")
	alice.ExpectModal(t, "Subscribe channel").Choose("Services", "Checkout API").Submit()
	w.slack.Channel(t, "C1").ExpectMessage("subscribed this channel to")
	alice.Slash(t, "subscriptions")
	list := alice.ExpectEphemeral(t, "*Checkout API* — high and low urgency")
	list.ClickAs(t, bob, "Remove")
	bob.ExpectEphemeral(t, "Only toban admins")
	list.ClickAs(t, alice, "Remove")
	alice.ExpectEphemeral(t, "Removed: this channel no longer gets cards for *Checkout API*")
	list.ClickAs(t, alice, "Remove")
	alice.ExpectEphemeral(t, "That subscription was already removed.")
}
