package pdfake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/PagerDuty/go-pagerduty/webhookv3"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/webhook"
)

// TestWebhooks builds each new event type from the fake's state and reads
// it back with toban's own decoder; the signature verifies with
// go-pagerduty's webhookv3.
func TestWebhooks(t *testing.T) {
	fake, c := opsFake(t, true)
	ctx := context.Background()
	if _, err := c.ManageIncidentsWithContext(ctx, aliceEmail, []pagerduty.ManageIncidentsOptions{{ID: "QT",
		Priority: &pagerduty.APIReference{ID: "PP1", Type: "priority_reference"}}}); err != nil {
		t.Fatal(err)
	}
	su, err := c.CreateIncidentStatusUpdate(ctx, "QT", aliceEmail, "Fix deploying")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ResponderRequestWithContext(ctx, "QT", pagerduty.ResponderRequestOptions{From: aliceEmail,
		RequesterID: "U1", Message: "Help", Targets: []pagerduty.ResponderRequestTargetWrapper{
			{Target: pagerduty.ResponderRequestTarget{APIObject: pagerduty.APIObject{ID: "U3", Type: "user_reference"}}}}}); err != nil {
		t.Fatal(err)
	}
	if err := fake.RespondAs("QT", "U3", true); err != nil {
		t.Fatal(err)
	}
	build := map[string]func() ([]byte, error){
		pdfake.WebhookPriorityUpdated: func() ([]byte, error) {
			return fake.IncidentWebhook("E1", pdfake.WebhookPriorityUpdated, "QT", "U1")
		},
		pdfake.WebhookReassigned: func() ([]byte, error) { return fake.IncidentWebhook("E2", pdfake.WebhookReassigned, "QT", "U1") },
		pdfake.WebhookStatusUpdate: func() ([]byte, error) {
			return fake.StatusUpdateWebhook("E3", "QT", su.ID)
		},
		pdfake.WebhookResponderAdded: func() ([]byte, error) {
			return fake.ResponderWebhook("E4", pdfake.WebhookResponderAdded, "QT", "U3")
		},
		pdfake.WebhookResponderReply: func() ([]byte, error) {
			return fake.ResponderWebhook("E5", pdfake.WebhookResponderReply, "QT", "U3")
		},
	}
	for _, tc := range []struct {
		typ, agent, data string // data: a fragment of event.data
	}{
		{pdfake.WebhookPriorityUpdated, "U1", `"summary":"P1","type":"priority"}`},
		{pdfake.WebhookReassigned, "U1", `"summary":"Alice","type":"user_reference"}]`},
		{pdfake.WebhookStatusUpdate, "U1", `"message":"Fix deploying","trimmed":false,"type":"incident_status_update"`},
		{pdfake.WebhookResponderAdded, "U1", `"message":"Help","state":"joined","type":"incident_responder"`},
		{pdfake.WebhookResponderReply, "U3", `"state":"joined","type":"incident_responder"`},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			body, err := build[tc.typ]()
			if err != nil {
				t.Fatal(err)
			}
			evs, err := webhook.Decode(body)
			if err != nil {
				t.Fatalf("toban cannot decode %s: %v", body, err)
			}
			if len(evs) != 1 || evs[0].Type != tc.typ || evs[0].IncidentID != "QT" || evs[0].Agent.ID != tc.agent || !evs[0].OccurredAt.Equal(now) {
				t.Fatalf("decoded %+v, want one %s on QT by %s at now", evs, tc.typ, tc.agent)
			}
			// toban reads the status update's ID (the one the REST answer
			// gave) and the responder from the payload.
			switch ev := evs[0]; tc.typ {
			case pdfake.WebhookStatusUpdate:
				if ev.StatusUpdate == nil || ev.StatusUpdate.ID != su.ID || ev.StatusUpdate.Message != "Fix deploying" {
					t.Errorf("status update decoded as %+v, want %s", ev.StatusUpdate, su.ID)
				}
			case pdfake.WebhookResponderAdded, pdfake.WebhookResponderReply:
				if ev.Responder == nil || ev.Responder.User.ID != "U3" || ev.Responder.State != "joined" {
					t.Errorf("responder decoded as %+v, want U3 joined", ev.Responder)
				}
			}
			var env struct {
				Event struct {
					Data json.RawMessage `json:"data"`
				} `json:"event"`
			}
			if err := json.Unmarshal(body, &env); err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(sortedJSON(t, env.Event.Data), []byte(tc.data)) {
				t.Errorf("data %s lacks %s", sortedJSON(t, env.Event.Data), tc.data)
			}
			r, _ := http.NewRequest("POST", "http://toban/webhook", bytes.NewReader(body))
			r.Header.Set("X-PagerDuty-Signature", pdfake.SignWebhook(body, "old", "new"))
			if err := webhookv3.VerifySignature(r, "new"); err != nil {
				t.Errorf("signature: %v", err)
			}
		})
	}
	if _, err := fake.ResponderWebhook("E6", pdfake.WebhookResponderAdded, "QT", "U2"); err == nil {
		t.Error("a responder webhook for someone never asked was built")
	}
}

// sortedJSON re-encodes a JSON object with its keys sorted.
func sortedJSON(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return b
}
