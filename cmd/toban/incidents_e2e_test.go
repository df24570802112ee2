package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
)

// incidentWorld adds the people and a service to a world: Alice and Bob
// are in Slack and PagerDuty with the same email, Carol only in Slack.
func incidentWorld(t *testing.T) *world {
	t.Helper()
	return incidentWorldAt(t, nil)
}

// incidentWorldAt is incidentWorld with Slack on the clock now.
func incidentWorldAt(t *testing.T, now func() time.Time) *world {
	t.Helper()
	w := newWorldAt(t, now)
	w.slack.AddUser(slackfake.User{ID: "U2", Name: "bob", RealName: "Bob", Email: "bob@example.com"})
	w.slack.AddUser(slackfake.User{ID: "U3", Name: "carol", RealName: "Carol", Email: "carol@example.com"})
	w.pd.AddService(pdfake.Service{ID: "PSVC1", Name: "Checkout API", EscalationPolicyID: "PEP1"})
	w.pd.AddService(pdfake.Service{ID: "PSVC2", Name: "Billing", EscalationPolicyID: "PEP1"})
	return w
}

// view waits for user's newest modal to satisfy cond and returns it.
func view(t *testing.T, s *slackfake.Server, user string, cond func(v map[string]any) bool) (string, map[string]any) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v := s.LastView(user)
		var obj map[string]any
		if v.View != nil && json.Unmarshal(v.View, &obj) == nil && cond(obj) {
			return v.ID, obj
		}
		if time.Now().After(deadline) {
			t.Fatalf("no matching modal for %s; last: %s", user, v.View)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func callback(id string) func(map[string]any) bool {
	return func(v map[string]any) bool { return v["callback_id"] == id }
}

func hasBlock(id string) func(map[string]any) bool {
	return func(v map[string]any) bool {
		blocks, _ := v["blocks"].([]any)
		for _, b := range blocks {
			if m, _ := b.(map[string]any); m["block_id"] == id {
				return true
			}
		}
		return false
	}
}

func selected(kind, value string) map[string]any {
	return map[string]any{"type": kind, "selected_option": map[string]any{
		"value": value, "text": map[string]any{"type": "plain_text", "text": value}}}
}

// triggerIncident has person fill in /toban trigger and returns the card.
func triggerIncident(t *testing.T, w *world, person *slackfake.Person, title string) *slackfake.Card {
	t.Helper()
	person.Slash(t, "trigger")
	person.ExpectModal(t, "Trigger an incident").
		Choose("Service", "Checkout API").
		Type("Title", title).
		Choose("Urgency", "High — page now").
		Type("Details", "primary unreachable since 09:58").
		Submit()
	return w.slack.Channel(t, "C1").ExpectMessage(title)
}

// writes returns PagerDuty writes to path whose body contains substr.
func writes(p *pdfake.Server, method, path, substr string) []pdfake.Request {
	var out []pdfake.Request
	for _, r := range p.Writes() {
		if r.Method == method && r.Path == path && strings.Contains(string(r.Body), substr) {
			out = append(out, r)
		}
	}
	return out
}

func incidentByTitle(t *testing.T, p *pdfake.Server, title string) pdfake.Incident {
	t.Helper()
	for _, in := range p.Incidents() {
		if in.Title == title {
			return in
		}
	}
	t.Fatalf("PagerDuty has no incident %q", title)
	return pdfake.Incident{}
}

func TestEndToEndIncidentCardLifecycle(t *testing.T) {
	w := incidentWorld(t)
	w.start(t)
	alice := w.slack.User("U1").In("C1")
	bob := w.slack.User("U2").In("C1")

	card := triggerIncident(t, w, alice, "DB down")
	inc := incidentByTitle(t, w.pd, "DB down")
	t.Run("Triggered", func(t *testing.T) {
		if got := writes(w.pd, "POST", "/incidents", "DB down"); len(got) != 1 || got[0].From != "alice@example.com" {
			t.Fatalf("POST /incidents = %+v, want one From alice@example.com", got)
		}
		if got, want := card.Buttons(), []string{"Acknowledge", "Resolve", "Escalate", "Add note", "Open in PagerDuty"}; !slices.Equal(got, want) {
			t.Errorf("buttons = %q, want %q", got, want)
		}
		for _, want := range []string{"Checkout API", "High", "Triggered"} {
			if !strings.Contains(card.Text(), want) {
				t.Errorf("card lacks %q:\n%s", want, card.Text())
			}
		}
	})

	t.Run("Acknowledge", func(t *testing.T) {
		ts := card.TS()
		card.ClickAs(t, bob, "Acknowledge")
		card.ExpectText("Acknowledged by <@U2>")
		if card.TS() != ts {
			t.Errorf("card ts changed from %s to %s; want an update in place", ts, card.TS())
		}
		got := writes(w.pd, "PUT", "/incidents", `"acknowledged"`)
		if len(got) != 1 || got[0].From != "bob@example.com" {
			t.Fatalf("acknowledge writes = %+v, want one From bob@example.com", got)
		}
		if got, want := card.Buttons(), []string{"Resolve", "Escalate", "Add note", "Open in PagerDuty"}; !slices.Equal(got, want) {
			t.Errorf("buttons = %q, want %q", got, want)
		}
	})

	t.Run("Escalate", func(t *testing.T) {
		card.ClickAs(t, alice, "Escalate")
		alice.ExpectModal(t, "Escalate").Choose("Escalate to", "Level 2").Submit()
		card.ExpectReply("escalated #")
		card.ExpectText("Escalated to level 2 by <@U1>")
		got := writes(w.pd, "PUT", "/incidents", `"escalation_level":2`)
		if len(got) != 1 || got[0].From != "alice@example.com" {
			t.Fatalf("escalate writes = %+v, want one From alice@example.com", got)
		}
	})

	t.Run("AddNote", func(t *testing.T) {
		card.ClickAs(t, bob, "Add note")
		note := bob.ExpectModal(t, "Add note")
		_, modal := view(t, w.slack, "U2", callback("incident.note"))
		t.Run("OpensOnStrictSlack", func(t *testing.T) {
			// The fake refuses a max_length outside 1–3000 as Slack does;
			// with 25000 this modal never opened on a real workspace.
			for _, c := range w.slack.Calls("views.open") {
				if c.Error != "" {
					t.Errorf("views.open refused: %s", c.Error)
				}
			}
			blocks, _ := modal["blocks"].([]any)
			input, _ := blocks[0].(map[string]any)
			element, _ := input["element"].(map[string]any)
			if got, want := element["max_length"], 3000.0; got != want {
				t.Errorf("note max_length = %v, want %v", got, want)
			}
		})
		t.Run("ErrEmpty", func(t *testing.T) {
			if errs := note.Type("Note", "   ").SubmitRefused(); errs["Note"] == "" {
				t.Errorf("errors = %v, want one on Note", errs)
			}
		})
		note.Type("Note", "Failover to replica started").Submit()
		card.ExpectReply("Failover to replica started")
		notes := w.pd.Notes(inc.ID)
		if len(notes) != 1 || notes[0].UserID != "PU2" || notes[0].Content != "Failover to replica started" {
			t.Errorf("notes = %+v, want one by PU2", notes)
		}
	})

	t.Run("Resolve", func(t *testing.T) {
		card.ClickAs(t, alice, "Resolve")
		card.ExpectText("Resolved by <@U1>")
		if got, want := card.Buttons(), []string{"Open in PagerDuty"}; !slices.Equal(got, want) {
			t.Errorf("buttons after resolve = %q, want only the link", got)
		}
		if got, _ := w.pd.Incident(inc.ID); got.Status != pdfake.StatusResolved {
			t.Errorf("PagerDuty status = %s, want resolved", got.Status)
		}
	})
}

func TestEndToEndIncidentClicksNothingDoubled(t *testing.T) {
	w := incidentWorld(t)
	w.start(t)
	alice := w.slack.User("U1").In("C1")
	carol := w.slack.User("U3").In("C1")
	card := triggerIncident(t, w, alice, "Disk full on web-3")
	inc := incidentByTitle(t, w.pd, "Disk full on web-3")

	t.Run("UnlinkedUser", func(t *testing.T) {
		before := len(w.pd.Writes())
		card.ClickAs(t, carol, "Acknowledge")
		carol.ExpectEphemeral(t, "No PagerDuty user has the email on your Slack profile (carol@example.com)")
		if after := len(w.pd.Writes()); after != before {
			t.Errorf("PagerDuty writes went from %d to %d; an unlinked user must change nothing", before, after)
		}
	})

	t.Run("StaleClick", func(t *testing.T) {
		// Bob acknowledges on his phone; the card does not know yet.
		if err := w.pd.AcknowledgeAs(inc.ID, "PU2"); err != nil {
			t.Fatal(err)
		}
		before := len(writes(w.pd, "PUT", "/incidents", `"acknowledged"`))
		card.ClickAs(t, alice, "Acknowledge")
		alice.ExpectEphemeral(t, "already acknowledged by Bob Ops")
		card.ExpectText("Acknowledged by Bob Ops")
		if after := len(writes(w.pd, "PUT", "/incidents", `"acknowledged"`)); after != before {
			t.Errorf("acknowledge writes %d → %d; a stale click must not write", before, after)
		}
	})

	t.Run("RedeliveredNoteSubmission", func(t *testing.T) {
		card.ClickAs(t, alice, "Add note")
		id, _ := view(t, w.slack, "U1", callback("incident.note"))
		w.slack.Submit(t, "U1", id, map[string]map[string]any{"note": {"text": "Checked the disks"}})
		card.ExpectReply("Checked the disks")
		// Slack delivers the same submission again.
		redeliver(t, w, "view_submission")
		time.Sleep(100 * time.Millisecond) // a second note would follow the ack at once
		if got := len(w.pd.Notes(inc.ID)); got != 1 {
			t.Errorf("notes = %d, want 1", got)
		}
	})

	t.Run("RedeliveredClick", func(t *testing.T) {
		card.ClickAs(t, alice, "Resolve")
		card.ExpectText("Resolved by")
		// Slack delivers the same click again (same action_ts).
		redeliver(t, w, "incident.resolve")
		time.Sleep(100 * time.Millisecond) // a second write would follow the ack at once
		if got := len(writes(w.pd, "PUT", "/incidents", `"resolved"`)); got != 1 {
			t.Errorf("resolve writes = %d, want 1", got)
		}
	})
}

func TestEndToEndSimultaneousAcknowledge(t *testing.T) {
	w := incidentWorld(t)
	w.start(t)
	alice := w.slack.User("U1").In("C1")
	bob := w.slack.User("U2").In("C1")
	card := triggerIncident(t, w, alice, "Payments timing out")
	// Both are linked already, so both clicks reach PagerDuty together.
	bob.Slash(t, "link")
	bob.ExpectEphemeral(t, "is linked to PagerDuty user")
	w.pd.SetDelay(50 * time.Millisecond) // widen the window for a race

	var wg sync.WaitGroup
	for _, p := range []*slackfake.Person{alice, bob} {
		own := w.slack.Channel(t, "C1").ExpectMessage("Payments timing out") // a Card is one person's view
		wg.Go(func() { own.ClickAs(t, p, "Acknowledge") })
	}
	wg.Wait()
	card.ExpectText("Acknowledged by")
	// The one who lost is told who won.
	expectEphemerals(t, w.slack, "was already acknowledged by", 1)
	if got := len(writes(w.pd, "PUT", "/incidents", `"acknowledged"`)); got != 1 {
		t.Errorf("acknowledge writes = %d, want 1", got)
	}
}

// lastInteraction is the payload of the newest interactive envelope
// containing contains.
func lastInteraction(t *testing.T, w *world, contains string) []byte {
	t.Helper()
	var payload []byte
	for _, e := range w.slack.Envelopes() {
		if e.Type == "interactive" && strings.Contains(string(e.Payload), contains) {
			payload = e.Payload
		}
	}
	if payload == nil {
		t.Fatalf("no interactive envelope contains %q", contains)
	}
	return payload
}

// redeliver sends the newest interaction containing contains again, as
// Slack does when it did not see the ack, and waits for the ack.
func redeliver(t *testing.T, w *world, contains string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := w.slack.WaitAck(ctx, w.slack.SendInteraction(json.RawMessage(lastInteraction(t, w, contains)))); err != nil {
		t.Fatal(err)
	}
}
