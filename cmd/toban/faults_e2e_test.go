package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/poller"
	"github.com/tobanbot/toban/scheduler"
)

// PagerDuty failing while people click, while toban polls its log and
// while a task escalates: retried within limits, the person told, nothing
// half-done, nothing doubled.

// within waits up to d for cond, for waits longer than the Slack fake's
// helpers allow (PagerDuty's 429s ask for a second each).
func within(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// answered returns the requests that got a status in [lo, hi].
func answered(reqs []pdfake.Request, lo, hi int) []pdfake.Request {
	var out []pdfake.Request
	for _, r := range reqs {
		if r.Status >= lo && r.Status <= hi {
			out = append(out, r)
		}
	}
	return out
}

// replies counts the messages in card's thread containing text.
func replies(s *slackfake.Server, channel string, card *slackfake.Card, text string) int {
	n := 0
	for _, m := range s.Messages(channel) {
		if m.ThreadTS == card.TS() && m.TS != card.TS() && strings.Contains(m.Text, text) {
			n++
		}
	}
	return n
}

func TestFaultPagerDutyRateLimitsAClick(t *testing.T) {
	t.Parallel() // mostly waiting on PagerDuty; overlaps with the other fault tests
	w := incidentWorld(t)
	w.start(t)
	alice := w.slack.User("U1").In("C1")
	bob := w.slack.User("U2").In("C1")
	card := triggerIncident(t, w, alice, "Queue backlog growing")
	inc := incidentByTitle(t, w.pd, "Queue backlog growing")

	// PagerDuty answers the write 429 three times (ratelimit-reset: 1 s),
	// then takes it: four attempts, within TOBAN_PAGERDUTY_TIMEOUT.
	w.pd.FailNextMatching(http.MethodPut, "/incidents", 3, http.StatusTooManyRequests)
	card.ClickAs(t, bob, "Acknowledge")
	within(t, 15*time.Second, "the card to show the acknowledgement", func() bool {
		return strings.Contains(card.Refresh().Text(), "Acknowledged by <@U2>")
	})

	attempts := writes(w.pd, http.MethodPut, "/incidents", `"acknowledged"`)
	if got := len(answered(attempts, 429, 429)); got != 3 {
		t.Errorf("429 answers = %d, want 3", got)
	}
	if got := answered(attempts, 200, 299); len(got) != 1 || got[0].From != "bob@example.com" {
		t.Errorf("accepted acknowledge writes = %+v, want one From bob@example.com", got)
	}
	if got, _ := w.pd.Incident(inc.ID); got.Status != pdfake.StatusAcknowledged || len(got.Acknowledgers) != 1 {
		t.Errorf("PagerDuty has %s with %d acknowledgements, want acknowledged once", got.Status, len(got.Acknowledgers))
	}
	for _, e := range bob.Ephemerals() {
		if strings.Contains(e.Text, "rate-limiting") || strings.Contains(e.Text, "went wrong") {
			t.Errorf("Bob was told %q; the retries should have been invisible", e.Text)
		}
	}
}

func TestFaultPagerDutyTimesOutDuringAClick(t *testing.T) {
	t.Parallel() // mostly waiting on PagerDuty; overlaps with the other fault tests
	w := incidentWorld(t)
	w.env["TOBAN_PAGERDUTY_TIMEOUT"] = "1s"
	r := w.start(t)
	alice := w.slack.User("U1").In("C1")
	bob := w.slack.User("U2").In("C1")
	card := triggerIncident(t, w, alice, "Cache hit rate dropping")
	inc := incidentByTitle(t, w.pd, "Cache hit rate dropping")
	bob.Slash(t, "link")
	bob.ExpectEphemeral(t, "is linked to PagerDuty user")

	ctx := context.Background()
	actsBefore, err := r.main.db.Activities(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	shown := card.Refresh().Message()
	w.pd.SetDelay(1500 * time.Millisecond) // longer than TOBAN_PAGERDUTY_TIMEOUT
	card.ClickAs(t, bob, "Acknowledge")
	bob.ExpectEphemeral(t, "did not answer in time")
	w.pd.SetDelay(0)

	t.Run("NothingHalfDone", func(t *testing.T) {
		if got := answered(w.pd.RequestsTo(http.MethodPut, "/incidents"), 1, 599); len(got) != 0 {
			t.Errorf("PagerDuty answered %d writes, want none", len(got))
		}
		if got, _ := w.pd.Incident(inc.ID); got.Status != pdfake.StatusTriggered {
			t.Errorf("PagerDuty status = %s, want triggered", got.Status)
		}
		now := card.Refresh().Message()
		if now.Updated != shown.Updated || now.Text != shown.Text || string(now.Blocks) != string(shown.Blocks) {
			t.Errorf("the card changed (updates %d → %d):\n%s", shown.Updated, now.Updated, card.Text())
		}
		acts, err := r.main.db.Activities(ctx, inc.ID)
		if err != nil || len(acts) != len(actsBefore) {
			t.Errorf("activities %d → %d (%v); a failed click must record none", len(actsBefore), len(acts), err)
		}
		cards, err := r.main.db.CardsForIncident(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cards {
			if c.Dirty() {
				t.Errorf("card %s/%s left dirty (version %d, rendered %d)", c.ChannelID, c.TS, c.Version, c.Rendered)
			}
		}
	})

	t.Run("ClickAgainOnceItAnswers", func(t *testing.T) {
		card.ClickAs(t, bob, "Acknowledge")
		card.ExpectText("Acknowledged by <@U2>")
		if got := answered(writes(w.pd, http.MethodPut, "/incidents", `"acknowledged"`), 200, 299); len(got) != 1 {
			t.Errorf("accepted acknowledge writes = %d, want 1", len(got))
		}
	})
}

func TestFaultPollerDuringPagerDutyErrors(t *testing.T) {
	t.Parallel() // mostly waiting on PagerDuty; overlaps with the other fault tests
	w := incidentWorld(t)
	w.env["TOBAN_ADMINS"] = "U1"
	w.env["TOBAN_PD_POLL_INTERVAL"] = "1s"
	r := w.start(t)
	subscribeChannel(t, w, "PSVC1")
	inc := w.pd.AddIncident(pdfake.Incident{Title: "Consumer lag on orders", ServiceID: "PSVC1", Urgency: "high", EscalationPolicyID: "PEP1"})
	card := w.slack.Channel(t, "C1").ExpectMessage("Consumer lag on orders")

	ctx := context.Background()
	cursor := func() string {
		c, err := r.main.db.Cursor(ctx, poller.CursorName)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	failed := func() int {
		return len(answered(w.pd.RequestsTo(http.MethodGet, "/log_entries"), 500, 500))
	}
	// PagerDuty answers 500 until the test ends the outage.
	w.pd.FailNextMatching(http.MethodGet, "/log_entries", 1000, http.StatusInternalServerError)
	within(t, 5*time.Second, "a poll to hit the outage", func() bool { return failed() >= 1 })
	before := cursor() // polls run one at a time: the last good one is done
	// Bob works the incident on his phone meanwhile.
	if err := w.pd.AcknowledgeAs(inc.ID, "PU2"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.pd.AddNoteAs(inc.ID, "PU2", "Restarted the consumer"); err != nil {
		t.Fatal(err)
	}
	// One poll is four attempts (the 5xx of a GET is retried).
	within(t, 5*time.Second, "a whole poll to fail", func() bool { return failed() >= 5 })
	if after := cursor(); after != before {
		t.Errorf("cursor moved from %s to %s while polls failed", before, after)
	}
	if strings.Contains(card.Refresh().Text(), "Acknowledged") {
		t.Error("the card changed while PagerDuty's log was unreadable")
	}
	w.pd.ClearFaults()

	card.ExpectText("Acknowledged by Bob Ops")
	card.ExpectReply("Restarted the consumer")
	// Later polls read the same entries again (their overlap); nothing is
	// applied twice.
	good := len(answered(w.pd.RequestsTo(http.MethodGet, "/log_entries"), 200, 200))
	within(t, 5*time.Second, "another poll", func() bool {
		return len(answered(w.pd.RequestsTo(http.MethodGet, "/log_entries"), 200, 200)) > good
	})
	if n := replies(w.slack, "C1", card, "Restarted the consumer"); n != 1 {
		t.Errorf("note replies = %d, want 1", n)
	}
	if n := countMessages(w.slack, "C1", "Consumer lag on orders"); n != 1 {
		t.Errorf("cards = %d, want 1", n)
	}
}

func TestFaultEscalationWhilePagerDutyFails(t *testing.T) {
	t.Parallel() // mostly waiting on PagerDuty; overlaps with the other fault tests
	w := incidentWorld(t)
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	clock := scheduler.NewFakeClock(time.Date(2026, 11, 23, 8, 59, 0, 0, tokyo))
	w.startWith(t, func(m *Main) { m.Clock = clock })
	alice := w.slack.User("U1").In("C1")
	alice.Slash(t, "link")
	alice.ExpectEphemeral(t, "is linked to PagerDuty user")
	alice.Slash(t, "remind")
	id, _ := view(t, w.slack, "U1", callback("task.save"))
	w.slack.Submit(t, "U1", id, taskForm("Check replication", map[string]map[string]any{
		"escalation": {"escalation": selected("radio_buttons", "incident")},
		"service":    {"service": selected("external_select", "PSVC1")},
	}))
	w.slack.Channel(t, "C1").ExpectMessage("scheduled *Check replication*")
	clock.BlockUntil(1)        // the scheduler waits for the due time
	clock.Advance(time.Minute) // 09:00: due
	card := w.slack.Channel(t, "C1").ExpectMessage("Check replication — due")

	creates := func(lo, hi int) int {
		return len(answered(w.pd.RequestsTo(http.MethodPost, "/incidents"), lo, hi))
	}
	// A POST may have been applied, so the client never repeats it on a
	// 500: toban postpones the escalation a minute instead, twice.
	w.pd.FailNextMatching(http.MethodPost, "/incidents", 2, http.StatusInternalServerError)
	clock.BlockUntil(2) // tomorrow's due time and the grace deadline
	clock.Advance(15 * time.Minute)
	for attempt := 1; attempt <= 2; attempt++ {
		within(t, 5*time.Second, "an escalation attempt", func() bool { return creates(500, 500) >= attempt })
		clock.BlockUntil(2) // the escalation re-armed for a minute later
		if n := replies(w.slack, "C1", card, "nobody has started it"); n != 0 {
			t.Fatalf("reminder posted while the incident could not be opened (%d)", n)
		}
		clock.Advance(time.Minute)
	}
	card.ExpectReply("nobody has started it")
	card.ExpectText("Not started in time: escalated")

	clock.BlockUntil(1)
	clock.Advance(time.Hour) // nothing is left to retry
	var paged []pdfake.Incident
	for _, in := range w.pd.Incidents() {
		if strings.HasPrefix(in.IncidentKey, "toban-task-") {
			paged = append(paged, in)
		}
	}
	if len(paged) != 1 || paged[0].ServiceID != "PSVC1" {
		t.Errorf("escalation incidents = %+v, want exactly one on PSVC1", paged)
	}
	if got, want := creates(1, 599), 3; got != want {
		t.Errorf("POST /incidents answered %d times, want %d (two 500s, one 201)", got, want)
	}
	if n := replies(w.slack, "C1", card, "nobody has started it"); n != 1 {
		t.Errorf("reminders in the thread = %d, want 1", n)
	}
}
