package incidents

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

func cardFixture(status domain.Status) cardView {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	created := time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC) // 10:00 in Tokyo
	alice := domain.Person{ID: "PALICE", Name: "Alice Ops", Email: "alice@example.com"}
	bob := domain.Person{ID: "PBOB", Name: "Bob <Ops>"}
	inc := domain.Incident{
		ID: "Q1", Number: 42, Title: "DB down: <primary> & replica", ServiceID: "PSVC", ServiceName: "Checkout API",
		Urgency: "high", Status: status, Assignees: []domain.Person{alice}, CreatedAt: created,
		URL: "https://acme.pagerduty.com/incidents/Q1", EscalationPolicyName: "Web Ops",
	}
	v := cardView{Incident: inc, Location: tokyo, Now: created.Add(2 * time.Hour),
		SlackUsers: map[string]string{"PALICE": "U1"}}
	if status != domain.StatusTriggered {
		v.Incident.Acknowledgements = []domain.Acknowledgement{{By: alice, At: created.Add(2 * time.Minute)}}
		v.Activities = []domain.Activity{{IncidentID: "Q1", Kind: activityEscalated, SlackUserID: "U2", Detail: "level 2", At: created.Add(5 * time.Minute)}}
	}
	if status == domain.StatusResolved {
		v.Incident.LastStatusChangeBy = bob
		v.Incident.LastStatusChangeAt = created.Add(30 * time.Minute)
	}
	return v
}

func buttonLabels(m chat.Message) []string {
	var out []string
	for _, b := range m.Blocks {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, e := range a.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					out = append(out, btn.Text.Text)
				}
			}
		}
	}
	return out
}

func TestIncidentCard(t *testing.T) {
	tests := []struct {
		status      domain.Status
		wantButtons []string
		wantText    []string
	}{
		{domain.StatusTriggered, []string{"Acknowledge", "Resolve", "Escalate", "Add note", "Open in PagerDuty"},
			[]string{"[#42] DB down: &lt;primary&gt; &amp; replica", "Checkout API", "<@U1>", "10:00"}},
		{domain.StatusAcknowledged, []string{"Resolve", "Escalate", "Add note", "Open in PagerDuty"},
			[]string{"Acknowledged by <@U1> <!date^1795222920^{date_short_pretty} at {time}|10:02>", "Escalated to level 2 by <@U2> <!date^1795223100^{date_short_pretty} at {time}|10:05>"}},
		{domain.StatusResolved, []string{"Open in PagerDuty"},
			[]string{"Resolved by Bob &lt;Ops&gt; <!date^1795224600^{date_short_pretty} at {time}|10:30>"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			msg := renderCard(cardFixture(tt.status))
			golden(t, "card_"+string(tt.status), chat.AckMessage(msg))
			if got := buttonLabels(msg); !slices.Equal(got, tt.wantButtons) {
				t.Errorf("buttons = %q, want %q", got, tt.wantButtons)
			}
			body := messageText(msg)
			for _, want := range tt.wantText {
				if !strings.Contains(body, want) {
					t.Errorf("card lacks %q", want)
				}
			}
		})
	}
	t.Run("MoreActions", func(t *testing.T) {
		// Changed from the "More actions…" menu: priority, snooze, a
		// reassignment and responders show on the card.
		v := cardFixture(domain.StatusAcknowledged)
		v.Incident.Priority = domain.Priority{ID: "PP1", Name: "P1"}
		v.Incident.SnoozedUntil = v.Now.Add(time.Hour)
		at := v.Incident.CreatedAt.Add(10 * time.Minute)
		v.Activities = append(v.Activities,
			domain.Activity{IncidentID: "Q1", Kind: domain.ActivityReassigned, SlackUserID: "U2", Detail: "to Bob Ops", At: at},
			domain.Activity{IncidentID: "Q1", Kind: domain.ActivitySnoozed, SlackUserID: "U2", Detail: "for 1 h", At: at.Add(time.Minute)},
			domain.Activity{IncidentID: "Q1", Kind: domain.ActivityPriority, SlackUserID: "U2", Detail: "P1", At: at.Add(2 * time.Minute)},
			domain.Activity{IncidentID: "Q1", Kind: domain.ActivityResponders, SlackUserID: "U2", Detail: "Bob Ops, Carol", At: at.Add(3 * time.Minute)})
		msg := renderCard(v)
		golden(t, "card_more_actions", chat.AckMessage(msg))
		body := messageText(msg)
		for _, want := range []string{"*Priority*\nP1", "*Snoozed until*\n<!date^1795233600^",
			"Reassigned to Bob Ops by <@U2>", "Snoozed for 1 h by <@U2>", "Priority set to P1 by <@U2>", "Bob Ops, Carol asked to help by <@U2>"} {
			if !strings.Contains(body, want) {
				t.Errorf("card lacks %q:\n%s", want, body)
			}
		}
		v.Compact = true
		if body := messageText(renderCard(v)); !strings.Contains(body, "P1 · Checkout API") {
			t.Errorf("compact card lacks the priority:\n%s", body)
		}
	})
	t.Run("Compact", func(t *testing.T) {
		v := cardFixture(domain.StatusTriggered)
		v.Compact = true
		golden(t, "card_compact", chat.AckMessage(renderCard(v)))
	})
}

func TestFormatTime(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		t    time.Time
		want string
	}{
		{now.Add(-2 * time.Hour), "10:00"},
		{now.Add(-24 * time.Hour), "Nov 20 12:00"},
		{now.AddDate(-1, 0, 0), "Nov 21 2025 12:00"},
		{time.Time{}, "unknown time"},
	}
	for _, tt := range tests {
		if got := chat.FormatTime(now, tt.t); got != tt.want {
			t.Errorf("formatTime(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}

// messageText flattens the text a person reads on a message.
func messageText(m chat.Message) string { return chat.ReadText(m) }
