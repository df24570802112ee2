package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/slackfake"
)

// envelopesWithID returns the deliveries of one envelope_id, in order.
func envelopesWithID(s *slackfake.Server, id string) []slackfake.Envelope {
	var out []slackfake.Envelope
	for _, e := range s.Envelopes() {
		if e.ID == id {
			out = append(out, e)
		}
	}
	return out
}

// oncallReads counts toban's GET /oncalls (the background poller reads
// other paths at its own pace).
func oncallReads(w *world) int {
	n := 0
	for _, r := range w.pd.Requests() {
		if r.Method == "GET" && r.Path == "/oncalls" {
			n++
		}
	}
	return n
}

// countAnswers counts p's ephemerals containing text.
func countAnswers(p *slackfake.Person, text string) int {
	n := 0
	for _, m := range p.Ephemerals() {
		if strings.Contains(m.Text, text) {
			n++
		}
	}
	return n
}

// waitAnswers waits until p has n ephemerals containing text.
func waitAnswers(t *testing.T, p *slackfake.Person, text string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for countAnswers(p, text) < n {
		if time.Now().After(deadline) {
			t.Fatalf("answers containing %q = %d, want %d", text, countAnswers(p, text), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// callErrors lists the Slack error of each call ("" for success).
func callErrors(calls []slackfake.Call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.Error
	}
	return out
}

// expectRedelivered asserts Slack lost the first ack of id and sent it
// again with the same envelope_id and retry_attempt 1, acked once.
func expectRedelivered(t *testing.T, s *slackfake.Server, id string) {
	t.Helper()
	got := envelopesWithID(s, id)
	if len(got) != 2 || got[1].RetryAttempt != 1 || got[1].RetryReason != "timeout" || !got[1].Acked {
		t.Fatalf("deliveries of %s = %+v, want the original and one acked retry_attempt 1", id, got)
	}
	if n := s.AckCount(id); n != 1 {
		t.Errorf("acks Slack saw = %d, want 1", n)
	}
}

// A slash command or click whose ack Slack did not see comes again with
// the same envelope_id: toban answers it exactly once and does not run
// its handler twice.
func TestEndToEndRedeliveredEnvelopeAnsweredOnce(t *testing.T) {
	w := incidentWorld(t)
	w.start(t)
	alice := w.slack.User("U1").In("C1")

	t.Run("SlashAnsweredLater", func(t *testing.T) {
		// /toban oncall acks empty and answers by response_url after
		// reading PagerDuty. Two normal runs first (the first fills
		// toban's caches), to count the reads of one.
		alice.Slash(t, "oncall")
		waitAnswers(t, alice, "Level 1", 1)
		before := oncallReads(w)
		alice.Slash(t, "oncall")
		waitAnswers(t, alice, "Level 1", 2)
		perRun := oncallReads(w) - before
		if perRun == 0 {
			t.Fatal("/toban oncall read no on-call entries from PagerDuty")
		}

		before = oncallReads(w)
		w.slack.LoseNextAck("slash_commands")
		ack := alice.Slash(t, "oncall")
		expectRedelivered(t, w.slack, ack.EnvelopeID)
		waitAnswers(t, alice, "Level 1", 3)
		time.Sleep(200 * time.Millisecond) // a second run would be right behind
		if got := oncallReads(w) - before; got != perRun {
			t.Errorf("GET /oncalls = %d, want %d (the handler ran once)", got, perRun)
		}
		if got := countAnswers(alice, "Level 1"); got != 3 {
			t.Errorf("oncall answers = %d, want 3 (one per command)", got)
		}
	})

	t.Run("SlashAnswerInAck", func(t *testing.T) {
		// /toban help answers in the ack: the redelivery's ack re-sends
		// the recorded answer, which Slack never got.
		want := alice.Slash(t, "help")
		if len(want.Payload) == 0 {
			t.Fatal("help answered nothing in its ack")
		}
		shown := len(alice.Ephemerals())
		w.slack.LoseNextAck("slash_commands")
		ack := alice.Slash(t, "help")
		expectRedelivered(t, w.slack, ack.EnvelopeID)
		if string(ack.Payload) != string(want.Payload) {
			t.Errorf("redelivery ack = %s, want the recorded answer %s", ack.Payload, want.Payload)
		}
		time.Sleep(100 * time.Millisecond)
		if got := len(alice.Ephemerals()) - shown; got != 1 {
			t.Errorf("answers shown = %d, want 1", got)
		}
	})

	t.Run("SlashOpeningModal", func(t *testing.T) {
		before := len(w.slack.Calls("views.open"))
		w.slack.LoseNextAck("slash_commands")
		ack := alice.Slash(t, "trigger")
		expectRedelivered(t, w.slack, ack.EnvelopeID)
		view(t, w.slack, "U1", callback("incident.trigger"))
		time.Sleep(100 * time.Millisecond)
		if got := callErrors(w.slack.Calls("views.open")[before:]); len(got) != 1 || got[0] != "" {
			t.Errorf("views.open errors = %q, want one call that succeeded (a rerun would spend the trigger twice)", got)
		}
		for _, m := range alice.Ephemerals() {
			if strings.Contains(m.Text, "trigger") && strings.Contains(strings.ToLower(m.Text), "could not") {
				t.Errorf("an error answer was shown: %q", m.Text)
			}
		}
	})

	t.Run("Click", func(t *testing.T) {
		card := triggerIncident(t, w, alice, "Disk full")
		before := len(w.slack.Calls("views.open"))
		w.slack.LoseNextAck("interactive")
		ack := card.ClickAs(t, alice, "Add note")
		expectRedelivered(t, w.slack, ack.EnvelopeID)
		view(t, w.slack, "U1", callback("incident.note"))
		time.Sleep(100 * time.Millisecond)
		if got := callErrors(w.slack.Calls("views.open")[before:]); len(got) != 1 || got[0] != "" {
			t.Errorf("views.open errors = %q, want one call that succeeded", got)
		}
	})
}

// A redelivery that comes after toban restarted is recognised from
// SQLite: the handler does not run again.
func TestEndToEndRedeliveryAfterRestartAnsweredOnce(t *testing.T) {
	w := incidentWorld(t)
	first := w.start(t)
	alice := w.slack.User("U1").In("C1")
	ack := alice.Slash(t, "oncall")
	waitAnswers(t, alice, "Level 1", 1)
	reads := oncallReads(w)
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}

	w.start(t)
	if !w.slack.Redeliver(ack.EnvelopeID) {
		t.Fatalf("the fake does not know envelope %s", ack.EnvelopeID)
	}
	deadline := time.Now().Add(10 * time.Second)
	for w.slack.AckCount(ack.EnvelopeID) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the redelivery was not acked")
		}
		time.Sleep(5 * time.Millisecond)
	}
	got := envelopesWithID(w.slack, ack.EnvelopeID)
	if len(got) != 2 || got[1].RetryAttempt != 1 {
		t.Fatalf("deliveries = %+v, want the original and retry_attempt 1", got)
	}
	time.Sleep(200 * time.Millisecond) // a rerun would be right behind
	if got := oncallReads(w) - reads; got != 0 {
		t.Errorf("GET /oncalls after the redelivery = %d, want 0 (the handler ran before the restart)", got)
	}
	if got := countAnswers(alice, "Level 1"); got != 1 {
		t.Errorf("oncall answers = %d, want 1", got)
	}
}
