package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/scheduler"
)

func conversation(id string) map[string]any {
	return map[string]any{"type": "conversations_select", "selected_conversation": id}
}

// taskForm is the remind modal filled in by a person.
func taskForm(title string, fields map[string]map[string]any) map[string]map[string]any {
	form := map[string]map[string]any{
		"title":      {"title": title},
		"channel":    {"channel": conversation("C1")},
		"kind":       {"kind": selected("static_select", "daily")},
		"at":         {"at": map[string]any{"type": "timepicker", "selected_time": "09:00"}},
		"tz":         {"tz": selected("external_select", "Asia/Tokyo")},
		"grace":      {"grace": selected("static_select", "15")},
		"escalation": {"escalation": selected("radio_buttons", "none")},
	}
	for k, v := range fields {
		form[k] = v
	}
	return form
}

func countMessages(s *slackfake.Server, channel, contains string) int {
	n := 0
	for _, m := range s.Messages(channel) {
		if m.ThreadTS == "" && strings.Contains(m.Text, contains) {
			n++
		}
	}
	return n
}

func TestEndToEndScheduledTask(t *testing.T) {
	w := incidentWorld(t)
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	clock := scheduler.NewFakeClock(time.Date(2026, 11, 23, 8, 0, 0, 0, tokyo)) // a Monday, 08:00
	w.env["TOBAN_PD_POLL_INTERVAL"] = "1s"                                      // changes made in PagerDuty reach the card
	w.startWith(t, func(m *Main) { m.Clock = clock })
	alice := w.slack.User("U1").In("C1")
	bob := w.slack.User("U2").In("C1")
	alice.Slash(t, "link")
	alice.ExpectEphemeral(t, "is linked to PagerDuty user")

	alice.Slash(t, "remind")
	id, _ := view(t, w.slack, "U1", callback("task.save"))
	t.Run("ErrBadInput", func(t *testing.T) {
		tests := []struct {
			name   string
			fields map[string]map[string]any
			block  string
		}{
			{"BadCron", map[string]map[string]any{"kind": {"kind": selected("static_select", "cron")}, "cron": {"cron": "61 * * * *"}}, `"cron"`},
			{"OnceInThePast", map[string]map[string]any{"kind": {"kind": selected("static_select", "once")},
				"date": {"date": map[string]any{"type": "datepicker", "selected_date": "2026-11-01"}}}, `"date"`},
			{"NoService", map[string]map[string]any{"escalation": {"escalation": selected("radio_buttons", "incident")}}, `"service"`},
			{"NoChannel", map[string]map[string]any{"channel": {"channel": conversation("")}}, `"channel"`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ack := w.slack.Submit(t, "U1", id, taskForm("Check backups", tt.fields))
				if !strings.Contains(string(ack.Payload), `"response_action":"errors"`) || !strings.Contains(string(ack.Payload), tt.block) {
					t.Errorf("ack = %s, want a field error on %s", ack.Payload, tt.block)
				}
			})
		}
		if n := countMessages(w.slack, "C1", "scheduled"); n != 0 {
			t.Errorf("%d confirmations after invalid input; nothing should be saved", n)
		}
	})

	w.slack.Submit(t, "U1", id, taskForm("Check backups", map[string]map[string]any{
		"escalation": {"escalation": selected("radio_buttons", "incident")},
		"service":    {"service": selected("external_select", "PSVC1")},
	}))
	w.slack.Channel(t, "C1").ExpectMessage("scheduled *Check backups* every day at 09:00")
	clock.BlockUntil(1) // the scheduler waits for the due time

	clock.Advance(time.Hour) // 09:00: due
	card := w.slack.Channel(t, "C1").ExpectMessage("Check backups — due")
	if got, want := card.Buttons(), []string{"Start", "Done", "Skip"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("buttons = %q, want %q (and the Snooze menu)", got, want)
	}

	t.Run("EscalatedOnceWhenNobodyStarts", func(t *testing.T) {
		clock.BlockUntil(2) // tomorrow's due time and this card's grace deadline
		clock.Advance(15 * time.Minute)
		card.ExpectReply("nobody has started it")
		card.ExpectText("Not started in time: escalated")
		clock.Advance(time.Minute)
		var paged []pdfake.Incident
		for _, in := range w.pd.Incidents() {
			if strings.HasPrefix(in.IncidentKey, "toban-task-") {
				paged = append(paged, in)
			}
		}
		if len(paged) != 1 || paged[0].ServiceID != "PSVC1" {
			t.Fatalf("escalation incidents = %+v, want exactly one on PSVC1", paged)
		}
		if got := writes(w.pd, "POST", "/incidents", "Check backups"); len(got) != 1 || got[0].From != "alice@example.com" {
			t.Errorf("POST /incidents = %+v, want one From alice", got)
		}
	})

	t.Run("AcknowledgedInPagerDutyShowsOnTheCard", func(t *testing.T) {
		var paged pdfake.Incident
		for _, in := range w.pd.Incidents() {
			if strings.HasPrefix(in.IncidentKey, "toban-task-") {
				paged = in
			}
		}
		if err := w.pd.AcknowledgeAs(paged.ID, "PU2"); err != nil {
			t.Fatal(err)
		}
		card.ExpectText("acknowledged by Bob Ops")
	})

	t.Run("DoneResolvesTheIncident", func(t *testing.T) {
		card.ClickAs(t, bob, "Start")
		card.ExpectText("Started by <@U2>")
		card.ClickAs(t, alice, "Done")
		card.ExpectText("Done by <@U1>")
		if got := card.Buttons(); len(got) != 0 {
			t.Errorf("buttons after done = %q, want none", got)
		}
		for _, in := range w.pd.Incidents() {
			if strings.HasPrefix(in.IncidentKey, "toban-task-") && in.Status != pdfake.StatusResolved {
				t.Errorf("escalation incident is %s, want resolved", in.Status)
			}
		}
	})
}

func TestEndToEndTaskClicksRecordOnce(t *testing.T) {
	w := incidentWorld(t)
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	clock := scheduler.NewFakeClock(time.Date(2026, 11, 23, 8, 59, 0, 0, tokyo))
	w.startWith(t, func(m *Main) { m.Clock = clock })
	alice := w.slack.User("U1").In("C1")
	bob := w.slack.User("U2").In("C1")
	alice.Slash(t, "remind")
	id, _ := view(t, w.slack, "U1", callback("task.save"))
	w.slack.Submit(t, "U1", id, taskForm("Renew certificates", nil))
	w.slack.Channel(t, "C1").ExpectMessage("scheduled *Renew certificates*")
	clock.BlockUntil(1) // the scheduler waits for the due time
	clock.Advance(time.Minute)
	card := w.slack.Channel(t, "C1").ExpectMessage("Renew certificates — due")

	card.ClickAs(t, alice, "Start")
	card.ExpectText("Started by <@U1>")
	startClick := string(lastInteraction(t, w, "task.start"))
	t.Run("Redelivered", func(t *testing.T) {
		before := card.Refresh().Text()
		ack(t, w.slack, w.slack.SendInteraction(json.RawMessage(startClick)))
		alice.ExpectEphemeral(t, "Already started by <@U1>")
		if got := card.Refresh().Text(); got != before {
			t.Errorf("card changed on a redelivered click:\n%s", got)
		}
	})
	t.Run("LateSecondClick", func(t *testing.T) {
		// Bob clicked Start on his screen a moment after Alice did.
		var late map[string]any
		if err := json.Unmarshal([]byte(strings.ReplaceAll(startClick, `"U1"`, `"U2"`)), &late); err != nil {
			t.Fatal(err)
		}
		delete(late, "response_url") // his click's own URL is not in the fake; toban falls back to chat.postEphemeral
		ack(t, w.slack, w.slack.SendInteraction(late))
		bob.ExpectEphemeral(t, "Already started by <@U1>")
	})

	card.ClickAs(t, bob, "Skip")
	skip, _ := view(t, w.slack, "U2", callback("task.skip"))
	t.Run("ErrEmptyReason", func(t *testing.T) {
		got := w.slack.Submit(t, "U2", skip, map[string]map[string]any{"reason": {"reason": " "}})
		if !strings.Contains(string(got.Payload), `"reason"`) {
			t.Errorf("ack = %s, want a field error on reason", got.Payload)
		}
	})
	w.slack.Submit(t, "U2", skip, map[string]map[string]any{"reason": {"reason": "customer postponed"}})
	card.ExpectText("Skipped by <@U2>: customer postponed")
	if got := card.Buttons(); len(got) != 0 {
		t.Errorf("buttons after skip = %q, want none", got)
	}
}

func ack(t *testing.T, s *slackfake.Server, envelopeID string) slackfake.Ack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := s.WaitAck(ctx, envelopeID)
	if err != nil {
		t.Fatalf("envelope %s not acked: %v", envelopeID, err)
	}
	return a
}

// A card that reached Slack just before toban died is found again after the
// restart, through its metadata, instead of being posted twice.
func TestEndToEndTaskCardExactlyOnceAfterCrash(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	start := time.Date(2026, 11, 23, 8, 59, 0, 0, tokyo)
	clock := scheduler.NewFakeClock(start)
	w := incidentWorldAt(t, clock.Now)
	first := w.startWith(t, func(m *Main) { m.Clock = clock })
	alice := w.slack.User("U1").In("C1")
	alice.Slash(t, "remind")
	id, _ := view(t, w.slack, "U1", callback("task.save"))
	w.slack.Submit(t, "U1", id, taskForm("Rotate logs", nil))
	w.slack.Channel(t, "C1").ExpectMessage("scheduled *Rotate logs*")
	clock.BlockUntil(1) // the scheduler waits for the due time

	// Slack takes the card, but toban never learns its ts: the process
	// dies right after the post.
	w.slack.FailAfterPost("chat.postMessage", 1)
	clock.Advance(time.Minute)
	w.slack.Channel(t, "C1").ExpectMessage("Rotate logs — due")
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}

	w.startWith(t, func(m *Main) { m.Clock = clock }) // the same machine, restarted
	time.Sleep(200 * time.Millisecond)                // recovery runs at start; a second card would be posted by now
	if n := countMessages(w.slack, "C1", "Rotate logs — due"); n != 1 {
		t.Fatalf("cards for the occurrence = %d, want exactly 1", n)
	}
	card := w.slack.Channel(t, "C1").ExpectMessage("Rotate logs — due")
	card.ClickAs(t, alice, "Start")
	card.ExpectText("Started by <@U1>") // the recovered card is the live one
}

// advanceUntil moves the fake clock by d, then a minute at a time (at
// most 10), until channel shows a top-level message containing text. A
// runner re-arms its timer only after finishing its previous round, so a
// test cannot know that the timer exists when it advances.
func advanceUntil(t *testing.T, w *world, clock *scheduler.FakeClock, d time.Duration, channel, text string) {
	t.Helper()
	clock.Advance(d)
	for range 10 {
		// A loaded machine (CI running beside other work) can take
		// seconds to act on one tick; moving the clock on sooner would
		// change the scenario under the test's feet.
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			for _, m := range w.slack.Messages(channel) {
				if strings.Contains(m.Text, text) {
					return
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		clock.Advance(time.Minute)
	}
	w.slack.Channel(t, channel).ExpectMessage(text) // fails with what the channel has
}
