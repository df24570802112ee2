package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/scheduler"
)

// homeWorld is incidentWorld where Alice also holds the DB Ops rota
// tomorrow, and the poller brings PagerDuty's own changes in within a
// second.
func homeWorld(t *testing.T) *world {
	t.Helper()
	w := incidentWorld(t)
	tomorrow := time.Now().Add(24 * time.Hour)
	w.pd.AddSchedule(pdfake.Schedule{ID: "PS2", Name: "DB Primary", TimeZone: "UTC", Shifts: []pdfake.Shift{
		{UserID: "PU1", Start: tomorrow, End: tomorrow.Add(8 * time.Hour)},
	}})
	w.pd.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEP2", Name: "DB Ops", Levels: []pdfake.EscalationLevel{
		{Targets: []pdfake.Target{{Type: pdfake.TargetSchedule, ID: "PS2"}}},
	}})
	w.env["TOBAN_PD_POLL_INTERVAL"] = "1s"
	return w
}

func TestEndToEndAppHome(t *testing.T) {
	w := homeWorld(t)
	// Checkout API pages Web Ops, whose level 1 is Alice now.
	w.pd.AddIncident(pdfake.Incident{Title: "Checkout returns 502", ServiceID: "PSVC1", Urgency: "high"})
	w.start(t)
	alice := w.slack.User("U1").In("C1")

	alice.OpenHome(t)
	home := alice.ExpectHome(t, "Your open incidents", "Checkout returns 502", "Triggered",
		"On call now", "*you* (Primary) until",
		"Your shifts this week", "*Primary*: *now*, until", "*DB Primary*: <!date^",
		"Your tasks today", "Trigger incident", "Remind", "Maintenance")
	if strings.Contains(home.Text(), "Take on-call (Primary)") {
		t.Errorf("Alice is offered to take the pager she holds:\n%s", home.Text())
	}

	t.Run("AcknowledgeFromHome", func(t *testing.T) {
		home.Click(t, "Checkout returns 502", "Acknowledge")
		alice.ExpectHome(t, "Acknowledged by Alice Ops")
		inc := incidentByTitle(t, w.pd, "Checkout returns 502")
		if inc.Status != pdfake.StatusAcknowledged || len(inc.Acknowledgers) != 1 || inc.Acknowledgers[0].UserID != "PU1" {
			t.Fatalf("PagerDuty has %s, acknowledged by %+v; want acknowledged by Alice (PU1)", inc.Status, inc.Acknowledgers)
		}
		acks := writes(w.pd, "PUT", "/incidents", `"acknowledged"`)
		if len(acks) != 1 || acks[0].From != "alice@example.com" {
			t.Fatalf("acknowledge requests = %+v, want one From alice@example.com", acks)
		}
	})

	t.Run("NewIncidentInPagerDutyShowsUp", func(t *testing.T) {
		before := alice.HomePublishes()
		w.pd.AddIncident(pdfake.Incident{Title: "Disk full on db-2", ServiceID: "PSVC2", Urgency: "low"})
		alice.ExpectHome(t, "Disk full on db-2", "Checkout returns 502")
		if after := alice.HomePublishes(); after != before+1 {
			t.Errorf("Home published %d times for one new incident, want once", after-before)
		}
	})

	t.Run("TriggerFromHome", func(t *testing.T) {
		alice.ExpectHome(t, "Trigger incident").Click(t, "", "Trigger incident")
		alice.ExpectModal(t, "Trigger an incident").
			Choose("Service", "Checkout API").
			Type("Title", "Search is slow").
			Choose("Urgency", "High — page now").
			Submit()
		// A Home has no channel: the card goes to Alice's messages with toban.
		w.slack.Channel(t, "U1").ExpectMessage("Search is slow")
		alice.ExpectHome(t, "Search is slow")
	})

	t.Run("RemindAndMaintenanceFromHome", func(t *testing.T) {
		alice.ExpectHome(t, "Remind").Click(t, "", "Remind")
		view(t, w.slack, "U1", callback("task.save"))
		alice.ExpectHome(t, "Maintenance").Click(t, "", "Maintenance")
		alice.ExpectModal(t, "Maintenance window")
	})
}

func TestEndToEndAppHomeTakeOnCall(t *testing.T) {
	w := homeWorld(t)
	w.start(t)
	bob := w.slack.User("U2").In("C1")

	bob.OpenHome(t)
	home := bob.ExpectHome(t, "Alice Ops (Primary) until", "Take on-call (Primary)", "*Web Ops, level 2*: always")
	home.Click(t, "Alice Ops (Primary)", "Take on-call (Primary)")
	// A Home has no channel to answer in: the confirmation comes as a
	// direct message.
	confirm := w.slack.Channel(t, "U2").ExpectMessage("Take on-call for Primary?")
	confirm.ClickAs(t, bob, "Take on-call")
	w.slack.Channel(t, "U2").ExpectMessage("takes *Primary*")
	confirm.ExpectText("Done")
	if got := w.pd.Overrides("PS1"); len(got) != 1 || got[0].UserID != "PU2" {
		t.Fatalf("overrides = %+v, want one for Bob", got)
	}
	// The take wakes the Home loop: Bob's Home shows him on call.
	bob.ExpectHome(t, "*you* (Primary) until", "*Primary*: *now*, until")
}

func TestEndToEndAppHomeTasks(t *testing.T) {
	w := incidentWorld(t)
	// Alice's Slack profile is in Tokyo: her "today" is Tokyo's.
	w.slack.AddUser(slackfake.User{ID: "U1", Name: "alice", RealName: "Alice", Email: "alice@example.com", TZ: "Asia/Tokyo"})
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	clock := scheduler.NewFakeClock(time.Date(2026, 11, 23, 8, 0, 0, 0, tokyo)) // a Monday, 08:00
	w.startWith(t, func(m *Main) { m.Clock = clock })
	alice := w.slack.User("U1").In("C1")

	alice.Slash(t, "remind")
	id, _ := view(t, w.slack, "U1", callback("task.save"))
	w.slack.Submit(t, "U1", id, taskForm("Check backups", nil))
	w.slack.Channel(t, "C1").ExpectMessage("scheduled *Check backups* every day at 09:00")

	alice.OpenHome(t)
	alice.ExpectHome(t, "Your tasks today", "Check backups* — due <!date^", "Its card is posted at the due time.")

	clock.BlockUntil(1)
	clock.Advance(time.Hour) // 09:00: due
	card := w.slack.Channel(t, "C1").ExpectMessage("Check backups — due")
	home := alice.ExpectHome(t, "Check backups", "Start", "Done")

	home.Click(t, "Check backups", "Start")
	card.ExpectText("Started by <@U1>")
	home = alice.ExpectHome(t, "Started by <@U1>")
	if strings.Contains(home.Text(), "Start\n") {
		t.Errorf("Home still offers Start after starting:\n%s", home.Text())
	}
	home.Click(t, "Check backups", "Done")
	card.ExpectText("Done by <@U1>")
	alice.ExpectHome(t, "Done by <@U1>")
}

// Two replicas share the database: whichever one the feed hands a new
// incident to, the replica holding the Home lease re-publishes Alice's
// Home, once.
func TestReplicasAppHomeRefreshedOnce(t *testing.T) {
	onBothBackends(t, func(t *testing.T, db func(*world)) {
		w := replicaWorld(t, 10, nil)
		db(w)
		w.env["TOBAN_PD_POLL_INTERVAL"] = "1s"
		a, _ := w.startReplica(t, nil)
		b, _ := w.startReplica(t, nil)
		a.waitReady(t, http.StatusOK)
		b.waitReady(t, http.StatusOK)
		alice := w.slack.User("U1").In("C1")

		alice.OpenHome(t)
		alice.ExpectHome(t, "Nothing assigned to you is open.")
		before := alice.HomePublishes()
		w.pd.AddIncident(pdfake.Incident{Title: "Checkout returns 502", ServiceID: "PSVC1", Urgency: "high"})
		alice.ExpectHome(t, "Checkout returns 502")
		// Long enough for a second replica's loop, or a loop woken twice,
		// to publish again.
		time.Sleep(2 * time.Second)
		if n := alice.HomePublishes() - before; n != 1 {
			t.Errorf("Home published %d times for one new incident, want once", n)
		}
	})
}
