package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
)

// The card's "More actions…" menu: each action opens its modal, writes
// PagerDuty as the person who chose it, shows on the card and is said
// once in the card's thread.
func TestEndToEndIncidentMoreActions(t *testing.T) {
	w := incidentWorld(t)
	w.pd.SetPriorities([]pdfake.Priority{{ID: "PP1", Name: "P1", Description: "Critical"}, {ID: "PP2", Name: "P2"}, {ID: "PP3", Name: "P3"}})
	w.start(t)
	alice := w.slack.User("U1").In("C1")
	carol := w.slack.User("U3").In("C1") // in Slack, not in PagerDuty

	card := triggerIncident(t, w, alice, "Checkout latency")
	inc := incidentByTitle(t, w.pd, "Checkout latency")
	const menu = "More actions…"
	var thread []string

	t.Run("ErrSnoozeWhileTriggered", func(t *testing.T) {
		card.ChooseAs(t, alice, menu, "Snooze…")
		alice.ExpectEphemeral(t, "is triggered, not acknowledged: PagerDuty snoozes only acknowledged incidents. Acknowledge it first")
		if got := w.pd.RequestsTo("POST", "/incidents/"+inc.ID+"/snooze"); len(got) != 0 {
			t.Errorf("snooze requests = %d, want none", len(got))
		}
	})

	t.Run("Reassign", func(t *testing.T) {
		card.ChooseAs(t, alice, menu, "Reassign…")
		// She types "bob" and picks Bob from what PagerDuty has.
		alice.ExpectModal(t, "Reassign").Choose("Reassign to", "Bob Ops").Submit()
		card.ExpectText("Reassigned to Bob Ops by <@U1>")
		if !strings.Contains(card.Text(), "*Assigned to*\nBob Ops") {
			t.Errorf("card does not show Bob as the assignee:\n%s", card.Text())
		}
		if got, _ := w.pd.Incident(inc.ID); !slices.Equal(got.AssigneeIDs, []string{"PU2"}) {
			t.Errorf("PagerDuty assignees = %q, want Bob (PU2)", got.AssigneeIDs)
		}
		if got := writes(w.pd, "PUT", "/incidents", `"PU2"`); len(got) != 1 || got[0].From != "alice@example.com" {
			t.Errorf("reassign writes = %+v, want one From alice@example.com", got)
		}
		thread = append(thread, "<@U1> reassigned #"+strconv.Itoa(inc.Number)+" to Bob Ops.")
		expectThread(t, card, thread...)
	})

	t.Run("ReassignToPolicy", func(t *testing.T) {
		card.ChooseAs(t, alice, menu, "Reassign…")
		alice.ExpectModal(t, "Reassign").Choose("Reassign to", "Web Ops").Submit()
		// Web Ops' first level is the Primary schedule: Alice now.
		card.ExpectText("Reassigned to Web Ops by <@U1>")
		if got, _ := w.pd.Incident(inc.ID); !slices.Equal(got.AssigneeIDs, []string{"PU1"}) {
			t.Errorf("PagerDuty assignees = %q, want Alice (PU1) from Web Ops' first level", got.AssigneeIDs)
		}
		thread = append(thread, "<@U1> reassigned #"+strconv.Itoa(inc.Number)+" to the escalation policy Web Ops (now <@U1>).")
		expectThread(t, card, thread...)
	})

	t.Run("Snooze", func(t *testing.T) {
		card.ClickAs(t, alice, "Acknowledge")
		card.ExpectText("Acknowledged by <@U1>")
		card.ChooseAs(t, alice, menu, "Snooze…")
		alice.ExpectModal(t, "Snooze").Choose("Snooze for", "2 h").Submit()
		card.ExpectText("Snoozed until")
		card.ExpectText("Snoozed for 2 h by <@U1>")
		got := w.pd.RequestsTo("POST", "/incidents/"+inc.ID+"/snooze")
		if len(got) != 1 || got[0].From != "alice@example.com" || !strings.Contains(string(got[0].Body), `"duration":7200`) {
			t.Errorf("snooze requests = %+v, want one of 7200 s From alice@example.com", got)
		}
		thread = append(thread, ":zzz: <@U1> snoozed #"+strconv.Itoa(inc.Number)+" for 2 h, until <!date^")
		expectThread(t, card, thread...)
	})

	t.Run("ChangePriority", func(t *testing.T) {
		card.ChooseAs(t, alice, menu, "Change priority…")
		modal := alice.ExpectModal(t, "Change priority").Choose("Priority", "P1")
		modal.Submit()
		// Her second click on Submit reaches toban too: it acts once.
		w.slack.Submit(t, "U1", modal.ID(), map[string]map[string]any{"priority": {"priority": selected("static_select", "PP1")}})
		card.ExpectText("Priority set to P1 by <@U1>")
		if !strings.Contains(card.Text(), "*Priority*\nP1") {
			t.Errorf("card does not show the priority:\n%s", card.Text())
		}
		if got, _ := w.pd.Incident(inc.ID); got.PriorityID != "PP1" {
			t.Errorf("PagerDuty priority = %q, want PP1", got.PriorityID)
		}
		if got := writes(w.pd, "PUT", "/incidents", `"PP1"`); len(got) != 1 || got[0].From != "alice@example.com" {
			t.Errorf("priority writes = %+v, want one From alice@example.com", got)
		}
		thread = append(thread, "<@U1> changed priority of #"+strconv.Itoa(inc.Number)+" to P1.")
		expectThread(t, card, thread...)
	})

	t.Run("AddResponders", func(t *testing.T) {
		card.ChooseAs(t, alice, menu, "Add responders…")
		alice.ExpectModal(t, "Add responders").
			Choose("Who should help", "Bob Ops").
			Type("Message", "Can you look at the replica?").
			Submit()
		card.ExpectText("Bob Ops asked to help by <@U1>")
		reqs := w.pd.ResponderRequests(inc.ID)
		if len(reqs) != 1 || reqs[0].RequesterID != "PU1" || reqs[0].Message != "Can you look at the replica?" {
			t.Errorf("responder requests = %+v, want one by PU1 with the message", reqs)
		}
		if got := w.pd.RequestsTo("POST", "/incidents/"+inc.ID+"/responder_requests"); len(got) != 1 || got[0].From != "alice@example.com" {
			t.Errorf("responder requests sent = %+v, want one From alice@example.com", got)
		}
		thread = append(thread, ":sos: <@U1> asked Bob Ops to help on #"+strconv.Itoa(inc.Number)+": > Can you look at the replica?")
		expectThread(t, card, thread...)
	})

	t.Run("ErrPagerDutyRefusesTheAssignee", func(t *testing.T) {
		card.ChooseAs(t, alice, menu, "Reassign…")
		modal := alice.ExpectModal(t, "Reassign")
		// Someone PagerDuty does not know (deleted since the type-ahead).
		w.slack.Submit(t, "U1", modal.ID(), map[string]map[string]any{
			"target": {"incidentaction.target": selected("external_select", "user:PGONE")}})
		alice.ExpectEphemeral(t, `:warning: PagerDuty refused the request: Invalid Input Provided (User "PGONE" not found)`)
		if got, _ := w.pd.Incident(inc.ID); !slices.Equal(got.AssigneeIDs, []string{"PU1"}) {
			t.Errorf("PagerDuty assignees = %q, want Alice still", got.AssigneeIDs)
		}
		expectThread(t, card, thread...)
	})

	t.Run("ErrNotLinked", func(t *testing.T) {
		before := len(w.pd.Writes())
		card.ChooseAs(t, carol, menu, "Reassign…")
		carol.ExpectEphemeral(t, "No PagerDuty user has the email on your Slack profile (carol@example.com)")
		if len(w.pd.Writes()) != before {
			t.Error("someone not linked changed PagerDuty")
		}
	})

	t.Run("ErrResolvedWhileTheModalWasOpen", func(t *testing.T) {
		card.ChooseAs(t, alice, menu, "Change priority…")
		modal := alice.ExpectModal(t, "Change priority").Choose("Priority", "P3")
		// Bob resolves it on his phone meanwhile.
		if err := w.pd.ResolveAs(inc.ID, "PU2"); err != nil {
			t.Fatal(err)
		}
		modal.Submit()
		alice.ExpectEphemeral(t, "was already resolved by Bob Ops")
		if got := writes(w.pd, "PUT", "/incidents", `"PP3"`); len(got) != 0 {
			t.Errorf("priority written on a resolved incident: %+v", got)
		}
		expectThread(t, card, thread...)
	})

	t.Run("DoubleSubmitActedOnce", func(t *testing.T) {
		if got := writes(w.pd, "PUT", "/incidents", `"PP1"`); len(got) != 1 {
			t.Errorf("priority P1 written %d times for one modal, want once", len(got))
		}
	})
}

// An account with priorities turned off has none to choose: the person
// is told so instead of getting an empty menu.
func TestEndToEndIncidentPrioritiesOff(t *testing.T) {
	w := incidentWorld(t)
	w.pd.SetPrioritiesEnabled(false)
	w.start(t)
	alice := w.slack.User("U1").In("C1")
	card := triggerIncident(t, w, alice, "Disk full")

	card.ChooseAs(t, alice, "More actions…", "Change priority…")
	alice.ExpectEphemeral(t, "This PagerDuty account has no incident priorities")
	if got := w.slack.Calls("views.open"); len(got) != 1 { // the trigger modal only
		t.Errorf("views.open calls = %d, want only the trigger modal's", len(got))
	}
}

// A reassignment made from the card comes back as PagerDuty's
// incident.reassigned webhook: the channel, subscribed to reassignments,
// reads it once.
func TestEndToEndIncidentReassignEchoedOnce(t *testing.T) {
	w, r := feedWorld(t)
	alice := w.slack.User("U1").In("C1")
	inc := w.pd.AddIncident(pdfake.Incident{Title: "Search index stale", ServiceID: "PSVC1", Urgency: "high", EscalationPolicyID: "PEP1"})
	if code := deliver(t, r, hookSecret, pagerDutyEvent("EvS1", "incident.triggered", inc, "triggered", time.Now())); code/100 != 2 {
		t.Fatalf("delivery answered %d", code)
	}
	card := w.slack.Channel(t, "C1").ExpectMessage("Search index stale")

	card.ChooseAs(t, alice, "More actions…", "Reassign…")
	alice.ExpectModal(t, "Reassign").Choose("Reassign to", "Bob Ops").Submit()
	card.ExpectText("Reassigned to Bob Ops by <@U1>")
	expectThread(t, card, "<@U1> reassigned #"+strconv.Itoa(inc.Number)+" to Bob Ops.")

	// The echo, then a note: the feed handles them in order, so once the
	// note is in the thread, a doubled reassignment would be too.
	echo := pagerDutyEvent("EvS2", "incident.reassigned", inc, "triggered", time.Now())
	note := noteEvent("EvS3", inc, "Index rebuild started", time.Now().Add(time.Second))
	for _, ev := range []map[string]any{echo, note} {
		if code := deliver(t, r, hookSecret, ev); code/100 != 2 {
			t.Fatalf("delivery answered %d", code)
		}
	}
	card.ExpectReply("Index rebuild started")
	expectThread(t, card, "<@U1> reassigned #"+strconv.Itoa(inc.Number)+" to Bob Ops.", "Index rebuild started")
}
