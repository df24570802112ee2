package demo

import (
	"fmt"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
)

// Channels of the demo workspace.
const (
	ChannelOps    = "C0OPS"    // #ops: where people type, tasks and reports land
	ChannelAlerts = "C0ALERTS" // #alerts: subscribed to every service
)

// Person is one member of the demo team, in Slack and in PagerDuty under
// the same email, so that toban links them by itself as it does in a
// real workspace.
type Person struct {
	SlackID, PDID, Handle, Name, Email, Role string
}

// Team is the demo team. Alice is an admin and the person the page acts
// as first.
var Team = []Person{
	{"U0ALICE", "PALICE", "alice", "Alice Chen", "alice@acme.example", "SRE lead (admin)"},
	{"U0BOB", "PBOB", "bob", "Bob Martin", "bob@acme.example", "SRE"},
	{"U0CAROL", "PCAROL", "carol", "Carol Diaz", "carol@acme.example", "SRE"},
	{"U0DAN", "PDAN", "dan", "Dan Okafor", "dan@acme.example", "payments engineer"},
	{"U0ERIN", "PERIN", "erin", "Erin Lee", "erin@acme.example", "payments engineer"},
}

// Services of the demo PagerDuty account.
var Services = []pdfake.Service{
	{ID: "PCHECKOUT", Name: "Checkout API", EscalationPolicyID: "PEPPLATFORM"},
	{ID: "PPAYMENTS", Name: "Payments", EscalationPolicyID: "PEPPAYMENTS"},
	{ID: "PSEARCH", Name: "Search", EscalationPolicyID: "PEPPLATFORM"},
}

// personBySlack finds a team member by Slack user ID.
func personBySlack(id string) (Person, bool) {
	for _, p := range Team {
		if p.SlackID == id {
			return p, true
		}
	}
	return Person{}, false
}

// seedFakes fills the Slack workspace and the PagerDuty account: people,
// channels, services, two schedules (one with a gap tomorrow evening),
// escalation policies, and last week's incidents for the report. now is
// the demo clock's start.
func seedFakes(s *slackfake.Server, pd *pdfake.Server, now time.Time) {
	for _, p := range Team {
		s.AddUser(slackfake.User{ID: p.SlackID, Name: p.Handle, RealName: p.Name, Email: p.Email, TZ: "UTC"})
		pd.AddUser(pdfake.User{ID: p.PDID, Name: p.Name, Email: p.Email})
	}
	s.AddChannel(ChannelOps, "ops")
	s.AddChannel(ChannelAlerts, "alerts")

	day := now.UTC().Truncate(24 * time.Hour)
	// Platform: 12-hour shifts, Alice → Bob → Carol, for two weeks; a
	// week back too, so that history has owners.
	var platform []pdfake.Shift
	rot := []string{"PALICE", "PBOB", "PCAROL"}
	for i := -14; i < 28; i++ {
		start := day.Add(time.Duration(i) * 12 * time.Hour)
		platform = append(platform, pdfake.Shift{UserID: rot[(i%3+3)%3], Start: start, End: start.Add(12 * time.Hour)})
	}
	// Payments: daily shifts, Dan and Erin, with nobody on call tomorrow
	// from 18:00 to midnight: the gap toban warns about.
	var payments []pdfake.Shift
	gapStart := day.Add(24*time.Hour + 18*time.Hour)
	for i := -7; i < 14; i++ {
		start := day.Add(time.Duration(i) * 24 * time.Hour)
		end := start.Add(24 * time.Hour)
		who := []string{"PDAN", "PERIN"}[(i%2+2)%2]
		if start.Equal(gapStart.Truncate(24 * time.Hour)) {
			end = gapStart
		}
		payments = append(payments, pdfake.Shift{UserID: who, Start: start, End: end})
	}
	pd.AddSchedule(pdfake.Schedule{ID: "PSPLATFORM", Name: "Platform primary", TimeZone: "UTC", Shifts: platform})
	pd.AddSchedule(pdfake.Schedule{ID: "PSPAYMENTS", Name: "Payments primary", TimeZone: "UTC", Shifts: payments})
	pd.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEPPLATFORM", Name: "Platform", Levels: []pdfake.EscalationLevel{
		{Targets: []pdfake.Target{{Type: pdfake.TargetSchedule, ID: "PSPLATFORM"}}, DelayMinutes: 15},
		{Targets: []pdfake.Target{{Type: pdfake.TargetUser, ID: "PALICE"}}, DelayMinutes: 15},
	}})
	pd.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEPPAYMENTS", Name: "Payments", Levels: []pdfake.EscalationLevel{
		{Targets: []pdfake.Target{{Type: pdfake.TargetSchedule, ID: "PSPAYMENTS"}}, DelayMinutes: 15},
		{Targets: []pdfake.Target{{Type: pdfake.TargetUser, ID: "PALICE"}}, DelayMinutes: 15},
	}})
	for i, sv := range Services {
		sv.IntegrationKey = fmt.Sprintf("demo-routing-key-%d", i+1)
		pd.AddService(sv)
	}
	seedHistory(pd, now)
}

// seedHistory adds last week's resolved incidents, so that the weekly
// report has numbers and a chart.
func seedHistory(pd *pdfake.Server, now time.Time) {
	titles := map[string][]string{
		"PCHECKOUT": {"Checkout 5xx above 2%", "Cart service timeouts", "Checkout p99 above 3s", "TLS handshake errors at the edge"},
		"PPAYMENTS": {"Card authorisations failing for one acquirer", "Refund queue stuck"},
		"PSEARCH":   {"Search index 20 min behind", "Autocomplete returning empty", "Search cluster yellow"},
	}
	acker := map[string]string{"PCHECKOUT": "PBOB", "PPAYMENTS": "PDAN", "PSEARCH": "PCAROL"}
	// Spread over last week (Monday to Sunday), which the report shows.
	day := now.UTC().Truncate(24 * time.Hour)
	lastMonday := day.AddDate(0, 0, -int(day.Weekday()+6)%7-7)
	n := 0
	for _, sv := range Services {
		for i, title := range titles[sv.ID] {
			n++
			created := lastMonday.Add(time.Duration(n*17+3) * time.Hour).Add(time.Duration(i*37) * time.Minute)
			ack := created.Add(time.Duration(2+n*3) * time.Minute)
			res := ack.Add(time.Duration(20+n*11) * time.Minute)
			pd.AddIncident(pdfake.Incident{
				Title: title, ServiceID: sv.ID, Urgency: []string{"high", "low"}[n%2], Status: pdfake.StatusResolved,
				CreatedAt: created, Acknowledgers: []pdfake.Ack{{UserID: acker[sv.ID], At: ack}},
				ResolvedBy: acker[sv.ID], ResolvedAt: res,
			})
		}
	}
}

// openIncidents are triggered once toban has subscribed #alerts, so that
// their cards appear there as they would in a real feed.
var openIncidents = []pdfake.Incident{
	{Title: "Checkout API p99 latency above 2 s", ServiceID: "PCHECKOUT", Urgency: "high", Details: "p99 2.4 s for 10 min on eu-west-1; error rate 0.3%"},
	{Title: "Payments webhook backlog growing", ServiceID: "PPAYMENTS", Urgency: "low", Details: "queue depth 12,400 and rising"},
	{Title: "Search indexer lagging 15 min", ServiceID: "PSEARCH", Urgency: "high", Details: "indexer consumer lag 15m12s"},
}
