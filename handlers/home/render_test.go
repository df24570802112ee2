package home

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/identity"
	"github.com/tobanbot/toban/internal/blockkit"
	goldenfile "github.com/tobanbot/toban/internal/golden"
)

var (
	testNow     = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	testButtons = Buttons{Acknowledge: "incident.acknowledge", Resolve: "incident.resolve", TakeOnCall: "oncall.take.shift", TaskStart: "task.start", TaskDone: "task.done"}
	alicePD     = domain.Person{ID: "PU1", Name: "Alice Ops", Email: "alice@example.com"}
	bobPD       = domain.Person{ID: "PU2", Name: "Bob Ops", Email: "bob@example.com"}
)

func basePage() page {
	return page{UserID: "U1", Now: testNow, DayStart: testNow.Truncate(24 * time.Hour), DayEnd: testNow.Truncate(24 * time.Hour).Add(24 * time.Hour), PagerDuty: true}
}

// checked renders p, holds it to Slack's limits and returns it.
func checked(t *testing.T, p page) slack.HomeTabViewRequest {
	t.Helper()
	v := render(p, testButtons, true)
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := blockkit.CheckView(raw); err != nil {
		t.Fatalf("Slack would refuse this Home: %v", err)
	}
	return v
}

func text(v slack.HomeTabViewRequest) string {
	raw, _ := json.Marshal(v) // slack-go's own marshalling escapes <, > and &
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(raw))
}

func TestRenderGolden(t *testing.T) {
	linked := basePage()
	linked.Person = alicePD
	linked.Incidents = []domain.Incident{
		{ID: "PINC1", Number: 41, Title: "Checkout returns 502 <sometimes>", ServiceName: "Checkout API", Urgency: "high",
			Status: domain.StatusTriggered, CreatedAt: testNow.Add(-10 * time.Minute), URL: "https://acme.pagerduty.com/incidents/PINC1", Assignees: []domain.Person{alicePD}},
		{ID: "PINC2", Number: 42, Title: "Disk full on db-2", ServiceName: "Billing", Urgency: "low",
			Status: domain.StatusAcknowledged, CreatedAt: testNow.Add(-time.Hour), Assignees: []domain.Person{alicePD},
			Acknowledgements: []domain.Acknowledgement{{By: alicePD, At: testNow.Add(-30 * time.Minute)}}},
	}
	linked.OnCall = []domain.OnCall{
		{EscalationPolicyName: "Web Ops", Level: 1, ScheduleName: "Primary", User: bobPD, Start: testNow.Add(-time.Hour), End: testNow.Add(7 * time.Hour)},
		{EscalationPolicyName: "Web Ops", Level: 1, ScheduleName: "Primary", User: alicePD, Start: testNow.Add(7 * time.Hour), End: testNow.Add(15 * time.Hour)},
		{EscalationPolicyName: "Web Ops", Level: 2, User: alicePD},
		{EscalationPolicyName: "Web Ops", Level: 1, ScheduleName: "Primary", User: alicePD, Start: testNow.Add(31 * time.Hour), End: testNow.Add(39 * time.Hour)},
		{EscalationPolicyName: "DB Ops", Level: 1, ScheduleName: "DB Primary", User: alicePD, Start: testNow.Add(7 * time.Hour), End: testNow.Add(15 * time.Hour)},
	}
	linked.Tasks = []taskItem{
		{Title: "Check backups", ChannelID: "C1", Due: testNow.Add(-time.Hour), Occurrence: "t_1@1", State: domain.OccPosted},
		{Title: "Rotate logs", ChannelID: "C1", Due: testNow.Add(-30 * time.Minute), Occurrence: "t_2@1", State: domain.OccStarted, StartedBy: "U1"},
		{Title: "Monthly report", ChannelID: "C2", Due: testNow.Add(6 * time.Hour)},
	}

	notLinked := basePage()
	notLinked.NotLinked = &identity.NotLinkedError{Email: "alice@example.org"}
	notLinked.OnCall = linked.OnCall[:1]

	empty := basePage()
	empty.Person = alicePD

	noPD := basePage()
	noPD.PagerDuty = false

	for name, p := range map[string]page{"home_linked": linked, "home_not_linked": notLinked, "home_empty": empty, "home_no_pagerduty": noPD} {
		t.Run(name, func(t *testing.T) {
			goldenfile.JSON(t, name, checked(t, p))
		})
	}

	t.Run("Reads", func(t *testing.T) {
		got := text(checked(t, linked))
		for _, want := range []string{
			"#41 Checkout returns 502 &lt;sometimes&gt;", "Acknowledged by Alice Ops <!date^", "incident.acknowledge", "incident.resolve",
			"Bob Ops (Primary) until <!date^", "next: *you* from", "Take on-call", "oncall.take.shift",
			"*Primary*: <!date^", "Check backups", "task.start", "Started by <@U1>", "Its card is posted at the due time.",
			"toban.run:trigger", "toban.run:remind", "toban.run:maintenance",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("Home lacks %q", want)
			}
		}
		// Alice holds DB Primary later, not now (a gap): she may take it;
		// she cannot take Web Ops' level 2, which has no schedule.
		if n := strings.Count(got, `"action_id":"oncall.take.shift"`); n != 2 {
			t.Errorf("Take on-call buttons = %d, want 2 (Primary and DB Primary)", n)
		}
		// An acknowledged incident has no Acknowledge button.
		if n := strings.Count(got, `"action_id":"incident.acknowledge"`); n != 1 {
			t.Errorf("Acknowledge buttons = %d, want 1", n)
		}
		// Her shifts: two of Primary, one of DB Primary; the level she
		// always holds is listed too.
		if n := strings.Count(got, "• *Primary*: "); n != 2 || !strings.Contains(got, "• *DB Primary*: ") || !strings.Contains(got, "• *Web Ops, level 2*: always") {
			t.Errorf("shift lines = %d, want 2:\n%s", n, got)
		}
	})
	t.Run("NotLinkedReads", func(t *testing.T) {
		got := text(checked(t, notLinked))
		for _, want := range []string{"No PagerDuty user has the email on your Slack profile (alice@example.org)", "Link account", ActionLink, "Link your account (above)"} {
			if !strings.Contains(got, want) {
				t.Errorf("Home lacks %q", want)
			}
		}
		if strings.Contains(got, "oncall.take.shift") {
			t.Errorf("a person who is not linked is offered Take on-call")
		}
	})
	t.Run("SameInputSameHash", func(t *testing.T) {
		first, again := viewHash(checked(t, linked)), viewHash(checked(t, linked))
		if first != again {
			t.Error("a Home renders differently twice")
		}
		if viewHash(checked(t, linked)) == viewHash(checked(t, empty)) {
			t.Error("different Homes share a hash")
		}
	})
}

// TestRenderCapped: a person with everything at once still gets a Home
// Slack accepts (100 blocks), told how much was left out.
func TestRenderCapped(t *testing.T) {
	p := basePage()
	p.Person = alicePD
	for i := 0; i < 60; i++ {
		p.Incidents = append(p.Incidents, domain.Incident{ID: fmt.Sprintf("PINC%d", i), Number: i, Title: strings.Repeat("x", 400),
			Status: domain.StatusTriggered, CreatedAt: testNow, Assignees: []domain.Person{alicePD}})
		p.Tasks = append(p.Tasks, taskItem{Title: fmt.Sprintf("task %d", i), ChannelID: "C1", Due: testNow, Occurrence: fmt.Sprintf("t_%d@1", i), State: domain.OccPosted})
	}
	for i := 0; i < 40; i++ {
		for l := 1; l <= 3; l++ {
			p.OnCall = append(p.OnCall, domain.OnCall{EscalationPolicyName: fmt.Sprintf("Policy %02d", i), Level: l, ScheduleName: fmt.Sprintf("S%d-%d", i, l),
				User: bobPD, Start: testNow.Add(-time.Hour), End: testNow.Add(time.Hour)})
		}
		p.OnCall = append(p.OnCall, domain.OnCall{EscalationPolicyName: "Mine", Level: 1, ScheduleName: fmt.Sprintf("M%d", i),
			User: alicePD, Start: testNow.Add(time.Duration(i+1) * time.Hour), End: testNow.Add(time.Duration(i+2) * time.Hour)})
	}
	v := checked(t, p)
	if n := len(v.Blocks.BlockSet); n > maxBlocks {
		t.Fatalf("%d blocks; Slack refuses more than %d", n, maxBlocks)
	}
	got := text(v)
	for _, want := range []string{"…and 50 more: `/toban incidents mine`", "…and 35 more: `/toban oncall`", "…and 50 more: `/toban reminders`", "…and 30 more: PagerDuty shows them all."} {
		if !strings.Contains(got, want) {
			t.Errorf("capped Home lacks %q", want)
		}
	}
	goldenfile.JSON(t, "home_capped", v)
}
