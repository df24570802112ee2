package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/fakes/pdfake"
)

func TestEndToEndPagerDutyFailuresDuringClicks(t *testing.T) {
	w := incidentWorld(t)
	w.env["TOBAN_PAGERDUTY_TIMEOUT"] = "3s"
	w.start(t)
	alice := w.slack.User("U1").In("C1")
	card := triggerIncident(t, w, alice, "Queue backlog growing")

	t.Run("RateLimitedTwiceThenOK", func(t *testing.T) {
		w.pd.FailNextMatching("PUT", "/incidents", 2, 429)
		card.ClickAs(t, alice, "Acknowledge")
		card.ExpectText("Acknowledged by <@U1>")
		if got := len(w.pd.RequestsTo("PUT", "/incidents")); got != 3 {
			t.Errorf("PUT /incidents attempts = %d, want 3 (two 429s, then success)", got)
		}
	})

	t.Run("ServerErrorUntilDeadline", func(t *testing.T) {
		w.pd.FailNextMatching("PUT", "/incidents", 100, 500)
		before := card.Text()
		card.ClickAs(t, alice, "Resolve")
		alice.ExpectEphemeral(t, "PagerDuty answered with a server error (HTTP 500), so this may not have happened")
		if got := card.Refresh().Text(); got != before {
			t.Errorf("card changed after a failed resolve:\n%s", got)
		}
		if got := card.Buttons(); !slices.Contains(got, "Resolve") {
			t.Errorf("buttons = %q; the card must still offer Resolve", got)
		}
	})
}

func TestEndToEndIncidentList(t *testing.T) {
	w := incidentWorld(t)
	w.start(t)
	alice := w.slack.User("U1").In("C1")
	// Two incidents assigned to Alice (level 1 is her schedule), one on Billing.
	for _, title := range []string{"API 5xx spike", "Cache evictions"} {
		w.pd.AddIncident(pdfake.Incident{Title: title, ServiceID: "PSVC1", Urgency: "high", EscalationPolicyID: "PEP1"})
	}
	w.pd.AddIncident(pdfake.Incident{Title: "Invoice run late", ServiceID: "PSVC2", Urgency: "low", EscalationPolicyID: "PEP1"})

	t.Run("ByService", func(t *testing.T) {
		alice.Slash(t, "incidents billing")
		list := alice.ExpectEphemeral(t, "Invoice run late")
		if strings.Contains(list.Text(), "API 5xx spike") {
			t.Errorf("a Billing list shows a Checkout API incident:\n%s", list.Text())
		}
	})
	t.Run("UnknownService", func(t *testing.T) {
		alice.Slash(t, "incidents nosuchthing")
		alice.ExpectEphemeral(t, `No PagerDuty service matches "nosuchthing"`)
	})
	t.Run("AcknowledgeAllMine", func(t *testing.T) {
		alice.Slash(t, "incidents mine")
		list := alice.ExpectEphemeral(t, "Open incidents assigned to you: 3")
		list.ClickAs(t, alice, "Acknowledge all mine (3)")
		alice.ExpectEphemeral(t, "Done: 3.")
		for _, in := range w.pd.Incidents() {
			if in.Status != pdfake.StatusAcknowledged {
				t.Errorf("%q is %s, want acknowledged", in.Title, in.Status)
			}
		}
		if got := writes(w.pd, "PUT", "/incidents", `"acknowledged"`); len(got) != 3 || got[0].From != "alice@example.com" {
			t.Errorf("acknowledge writes = %d, want 3 as alice", len(got))
		}
	})
	t.Run("ResolveAllAcknowledgedByMe", func(t *testing.T) {
		alice.Slash(t, "incidents")
		list := alice.ExpectEphemeral(t, "Resolve all acknowledged by me (3)")
		// Meanwhile one is resolved elsewhere: it is skipped, not resolved twice.
		first := w.pd.Incidents()[0]
		if err := w.pd.ResolveAs(first.ID, "PU2"); err != nil {
			t.Fatal(err)
		}
		list.ClickAs(t, alice, "Resolve all acknowledged by me (3)")
		done := alice.ExpectEphemeral(t, "Done: 2.")
		if !strings.Contains(done.Text(), "Skipped 1") {
			t.Errorf("report = %q, want the skipped incident named", done.Text())
		}
	})
}

func TestEndToEndLink(t *testing.T) {
	w := incidentWorld(t)
	w.env["TOBAN_ADMINS"] = "U2"
	w.start(t)
	alice := w.slack.User("U1").In("C1")
	bob := w.slack.User("U2").In("C1")
	carol := w.slack.User("U3").In("C1")
	w.pd.AddUser(pdfake.User{ID: "PU3", Name: "Carol Ops", Email: "carol.ops@msp.example"})

	t.Run("OwnEmail", func(t *testing.T) {
		alice.Slash(t, "link")
		alice.ExpectEphemeral(t, "<@U1> is linked to PagerDuty user *Alice Ops*")
	})
	t.Run("ErrSomeoneElsesEmail", func(t *testing.T) {
		carol.Slash(t, "link alice@example.com")
		carol.ExpectEphemeral(t, "is not the email on your Slack profile")
	})
	t.Run("ErrNonAdminLinksOthers", func(t *testing.T) {
		ack := alice.Slash(t, "link <@U3|carol> carol.ops@msp.example")
		if !strings.Contains(string(ack.Payload), "Only toban admins") {
			t.Errorf("answer = %s", ack.Payload)
		}
	})
	t.Run("AdminLinksOthers", func(t *testing.T) {
		bob.Slash(t, "link <@U3|carol> <mailto:carol.ops@msp.example|carol.ops@msp.example>")
		bob.ExpectEphemeral(t, "<@U3> is linked to PagerDuty user *Carol Ops*")
		// Carol now acts as herself in PagerDuty.
		card := triggerIncident(t, w, carol, "Carol's incident")
		_ = card
		if got := writes(w.pd, "POST", "/incidents", "Carol's incident"); len(got) != 1 || got[0].From != "carol.ops@msp.example" {
			t.Errorf("trigger as carol = %+v", got)
		}
	})
}

func TestEndToEndTriggerModal(t *testing.T) {
	w := incidentWorld(t)
	w.start(t)
	alice := w.slack.User("U1").In("C1")
	alice.Slash(t, "trigger")
	id, _ := view(t, w.slack, "U1", callback("incident.trigger"))

	t.Run("TypeAhead", func(t *testing.T) {
		cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockSuggestion, ActionID: "service", BlockID: "service",
			Value: "bill", User: slack.User{ID: "U1"}, View: slack.View{ID: id, CallbackID: "incident.trigger"}}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ack, err := w.slack.WaitAck(ctx, w.slack.SendInteraction(cb))
		if err != nil {
			t.Fatal(err)
		}
		var opts slack.OptionsResponse
		if err := json.Unmarshal(ack.Payload, &opts); err != nil || len(opts.Options) != 1 || opts.Options[0].Value != "PSVC2" {
			t.Errorf("suggestions = %s, want only Billing", ack.Payload)
		}
	})
	t.Run("ErrFields", func(t *testing.T) {
		before := len(w.pd.Writes())
		ack := w.slack.Submit(t, "U1", id, map[string]map[string]any{"title": {"title": "  "}})
		for _, want := range []string{`"response_action":"errors"`, `"service"`, `"title"`} {
			if !strings.Contains(string(ack.Payload), want) {
				t.Errorf("ack = %s, want %s", ack.Payload, want)
			}
		}
		if len(w.pd.Writes()) != before {
			t.Error("an invalid form wrote to PagerDuty")
		}
	})
}

// A card update Slack refuses is retried from the database until the card
// is true.
func TestEndToEndCardUpdateRetried(t *testing.T) {
	w := incidentWorld(t)
	w.env["TOBAN_CARD_RETRY_INTERVAL"] = "100ms"
	w.start(t)
	alice := w.slack.User("U1").In("C1")
	card := triggerIncident(t, w, alice, "Replica lag")

	w.slack.FailNext("chat.update", "internal_error", 2)
	card.ClickAs(t, alice, "Acknowledge")
	card.ExpectText("Acknowledged by <@U1>")
	var failed, ok int
	for _, c := range w.slack.Calls("chat.update") {
		if c.Error != "" {
			failed++
		} else {
			ok++
		}
	}
	if failed != 2 || ok < 1 {
		t.Errorf("chat.update calls: %d failed, %d ok; want 2 failed then success", failed, ok)
	}
}
