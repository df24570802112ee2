package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/webhook"
)

// deliverBuilt POSTs the webhook body build makes (a pdfake builder),
// signed as PagerDuty signs it, twice (delivery is at least once), and
// fails the test unless toban accepts it.
func deliverBuilt(t *testing.T, r *running, build func() ([]byte, error)) {
	t.Helper()
	body, err := build()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		deliverBody(t, r, body)
	}
}

// deliverBody POSTs a webhook body signed as PagerDuty signs it, and
// fails the test unless toban accepts it.
func deliverBody(t *testing.T, r *running, body []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+r.main.HTTPAddr()+"/webhooks/pagerduty", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.SignatureHeader, pdfake.SignWebhook(body, hookSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("webhook answered %d", resp.StatusCode)
	}
}

// statusLines are the status updates posted top-level in a channel
// (reading them all counts them as seen).
func statusLines(w *world, channel string) []string {
	var out []string
	for _, m := range w.slack.Messages(channel) {
		if m.ThreadTS == "" && strings.HasPrefix(m.Text, ":loudspeaker:") {
			out = append(out, m.Text)
		}
	}
	return out
}

func TestEndToEndStatusUpdates(t *testing.T) {
	onBothBackends(t, testStatusUpdates)
}

func testStatusUpdates(t *testing.T, db func(w *world)) {
	w := incidentWorld(t)
	db(w)
	w.env["TOBAN_ADMINS"] = "U1"
	w.env["PAGERDUTY_WEBHOOK_SECRET"] = hookSecret
	w.slack.AddChannel("CS", "checkout-stakeholders")
	w.pd.AddUser(pdfake.User{ID: "PU3", Name: "Carol Ops", Email: "carol@example.com"})
	r := w.start(t)
	alice := w.slack.User("U1").In("C1")

	// The support team's channel follows Checkout API's status updates,
	// without cards.
	alice.In("CS").Slash(t, "subscribe")
	alice.ExpectModal(t, "Subscribe channel").
		Choose("Services", "Checkout API").
		Choose("This channel gets", "Status updates only (stakeholders)").
		Submit()
	w.slack.Channel(t, "CS").ExpectMessage("This is a stakeholders' channel")
	alice.In("CS").Slash(t, "subscriptions")
	alice.ExpectEphemeral(t, "*Checkout API* — high and low urgency; status updates only (stakeholders)")

	card := triggerIncident(t, w, alice, "Checkout 502s for EU customers")
	inc := incidentByTitle(t, w.pd, "Checkout 502s for EU customers")

	t.Run("AlicePostsOne", func(t *testing.T) {
		card.ChooseAs(t, alice, "More actions…", "Post status update")
		alice.ExpectModal(t, "Post status update").
			Type("Status update", "Rolled back deploy 2931; error rate falling. Next update 12:30.").
			Submit()
		card.ExpectReply("Status update by <@U1>")
		w.slack.Channel(t, "CS").ExpectMessage("Rolled back deploy 2931")
		sus := w.pd.StatusUpdates(inc.ID)
		if len(sus) != 1 || sus[0].UserID != "PU1" || sus[0].Message != "Rolled back deploy 2931; error rate falling. Next update 12:30." {
			t.Fatalf("PagerDuty status updates = %+v, want alice's", sus)
		}
		if got := writes(w.pd, "POST", "/incidents/"+inc.ID+"/status_updates", "Rolled back"); len(got) != 1 || got[0].From != "alice@example.com" {
			t.Errorf("status update writes = %+v, want one From alice", got)
		}
		// PagerDuty's webhook about the same update (twice) shows nothing
		// new; Bob's later one shows once, so the echo was processed.
		deliverBuilt(t, r, func() ([]byte, error) { return w.pd.StatusUpdateWebhook("EvSU1", inc.ID, sus[0].ID) })
	})

	t.Run("BobPostsInPagerDuty", func(t *testing.T) {
		su, err := w.pd.PostStatusUpdateAs(inc.ID, "PU2", "Fix is deploying; EU checkout recovering.")
		if err != nil {
			t.Fatal(err)
		}
		deliverBuilt(t, r, func() ([]byte, error) { return w.pd.StatusUpdateWebhook("EvSU2", inc.ID, su.ID) })
		card.ExpectReply("PagerDuty: Bob Ops posted a status update")
		w.slack.Channel(t, "CS").ExpectMessage("Fix is deploying")
	})

	t.Run("RespondersFromPagerDuty", func(t *testing.T) {
		if _, err := w.pd.RequestRespondersAs(inc.ID, "PU2", "Need a DBA", "PU3"); err != nil {
			t.Fatal(err)
		}
		deliverBuilt(t, r, func() ([]byte, error) {
			return w.pd.ResponderWebhook("EvR1", pdfake.WebhookResponderAdded, inc.ID, "PU3")
		})
		card.ExpectReply("Carol Ops was asked to help by Bob Ops")
		if err := w.pd.RespondAs(inc.ID, "PU3", true); err != nil {
			t.Fatal(err)
		}
		deliverBuilt(t, r, func() ([]byte, error) {
			return w.pd.ResponderWebhook("EvR2", pdfake.WebhookResponderReply, inc.ID, "PU3")
		})
		card.ExpectReply("Carol Ops accepted the request to help")
	})

	t.Run("ErrEmptyMessage", func(t *testing.T) {
		card.ChooseAs(t, alice, "More actions…", "Post status update")
		errs := alice.ExpectModal(t, "Post status update").Type("Status update", "   ").SubmitRefused()
		if !strings.Contains(errs["Status update"], "empty") {
			t.Errorf("field errors = %v, want the status update empty", errs)
		}
	})

	t.Run("ErrNotLinked", func(t *testing.T) {
		w.slack.AddUser(slackfake.User{ID: "U4", Name: "dave", RealName: "Dave", Email: "dave@example.com"})
		dave := w.slack.User("U4").In("C1")
		card.ChooseAs(t, dave, "More actions…", "Post status update")
		dave.ExpectModal(t, "Post status update").Type("Status update", "All good now").Submit()
		dave.ExpectEphemeral(t, "No PagerDuty user has the email on your Slack profile (dave@example.com)")
	})

	// Bob resolves in PagerDuty while the card still offers its menu: the
	// update is posted anyway, as PagerDuty takes status updates on
	// resolved incidents, and the last one is what stakeholders wait for.
	t.Run("ResolvedMeanwhile", func(t *testing.T) {
		if err := w.pd.ResolveAs(inc.ID, "PU2"); err != nil {
			t.Fatal(err)
		}
		card.ChooseAs(t, alice, "More actions…", "Post status update")
		alice.ExpectModal(t, "Post status update").Type("Status update", "Resolved: a bad deploy; postmortem Friday.").Submit()
		w.slack.Channel(t, "CS").ExpectMessage("postmortem Friday")
	})

	t.Run("EachShownOnce", func(t *testing.T) {
		expectThread(t, card,
			"Status update by <@U1>:",
			"PagerDuty: Bob Ops posted a status update:",
			"Carol Ops was asked to help by Bob Ops.",
			"Carol Ops accepted the request to help.",
			"Status update by <@U1>:")
		got := statusLines(w, "CS")
		if len(got) != 3 || !strings.Contains(got[0], "Rolled back") || !strings.Contains(got[1], "Fix is deploying") || !strings.Contains(got[2], "postmortem") {
			t.Errorf("stakeholders' channel reads:\n%s\nwant alice's update, Bob's, alice's last, once each", strings.Join(got, "\n"))
		}
		if n := len(w.pd.StatusUpdates(inc.ID)); n != 3 {
			t.Errorf("PagerDuty has %d status updates, want 3 (neither the empty one nor dave's was posted)", n)
		}
		for _, m := range w.slack.Messages("CS") {
			if strings.Contains(m.Text, "Checkout 502s") && !strings.Contains(m.Text, "status update") && !strings.Contains(m.Text, "Status update") {
				t.Errorf("the stakeholders' channel got a card: %s", m.Text)
			}
		}
	})
}
