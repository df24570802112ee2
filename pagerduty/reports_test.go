package pagerduty_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/pagerduty"
	"github.com/tobanbot/toban/report"
)

// reportFixture seeds n incidents, created 10 minutes apart from start, on
// SVC1 (even i) and SVC2 (odd i), and returns what a report should read:
//
//   - acknowledged by Alice i%17+1 minutes after creation, except when
//     i%9 == 0 (never);
//   - resolved by Bob 3·(i%23+5) minutes after creation, except when
//     i%13 == 0 (still open: acknowledged if it was, else triggered);
//   - escalated to level 2 after 30 s when i%5 == 0, and also to level 3
//     after 45 s when i%25 == 0.
func reportFixture(t *testing.T, fake *pdfake.Server, start time.Time, n int) []report.Incident {
	t.Helper()
	var want []report.Incident
	for i := range n {
		created := start.Add(time.Duration(i) * 10 * time.Minute)
		svc, name := "SVC1", "API"
		if i%2 == 1 {
			svc, name = "SVC2", "Web"
		}
		in := pdfake.Incident{Title: fmt.Sprintf("incident %d", i), ServiceID: svc, CreatedAt: created, Status: pdfake.StatusTriggered}
		exp := report.Incident{Title: in.Title, ServiceID: svc, ServiceName: name, Created: created}
		if i%9 != 0 {
			exp.Acknowledged = created.Add(time.Duration(i%17+1) * time.Minute)
			in.Acknowledgers = []pdfake.Ack{{UserID: "U1", At: exp.Acknowledged}}
			in.Status = pdfake.StatusAcknowledged
		}
		if i%13 != 0 {
			exp.Resolved = created.Add(time.Duration(3*(i%23+5)) * time.Minute)
			in.Status, in.ResolvedAt, in.ResolvedBy = pdfake.StatusResolved, exp.Resolved, "U2"
		}
		got := fake.AddIncident(in)
		if i%5 == 0 {
			exp.Escalations++
			if err := fake.AddEscalation(got.ID, 2, "", created.Add(30*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		if i%25 == 0 {
			exp.Escalations++
			if err := fake.AddEscalation(got.ID, 3, "U1", created.Add(45*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		exp.ID, exp.Number = got.ID, got.Number
		exp.URL = "https://pdfake.pagerduty.com/incidents/" + got.ID
		want = append(want, exp)
	}
	return want
}

// sameIncidents compares what was read with what was seeded.
func sameIncidents(t *testing.T, got, want []report.Incident) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("read %d incidents, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Number != w.Number || g.Title != w.Title || g.ServiceID != w.ServiceID || g.ServiceName != w.ServiceName ||
			!g.Created.Equal(w.Created) || !g.Acknowledged.Equal(w.Acknowledged) || !g.Resolved.Equal(w.Resolved) ||
			g.Escalations != w.Escalations || g.URL != w.URL {
			t.Errorf("incident %d:\ngot  %+v\nwant %+v", i, g, w)
		}
	}
}

func requestsTo(fake *pdfake.Server, prefix string) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Method == http.MethodGet && strings.HasPrefix(r.Path, prefix) && r.Status == http.StatusOK {
			n++
		}
	}
	return n
}

func TestReportIncidents(t *testing.T) {
	start := now.Add(-3 * 24 * time.Hour)
	until := start.Add(250 * 10 * time.Minute)
	tests := []struct {
		name               string
		incidentOffset     int
		logOffset          int
		window             time.Duration
		minIncidentListing int
		laterStarts        int // listings that start after the range does
	}{
		{"Paginated", 0, 0, 0, 3, 0},
		{"OffsetCapsSplitTheRange", 120, 300, 0, 3, 2},
		{"LongRangeInPieces", 0, 0, 7 * time.Hour, 6, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pagerduty.ReportLimits(t, tt.incidentOffset, tt.logOffset, tt.window)
			e := seeded(t)
			want := reportFixture(t, e.fake, start, 250)
			// Outside the range: one before, one at until.
			e.fake.AddIncident(pdfake.Incident{Title: "before", ServiceID: "SVC1", CreatedAt: start.Add(-time.Second)})
			e.fake.AddIncident(pdfake.Incident{Title: "at until", ServiceID: "SVC1", CreatedAt: until})
			e.fake.ClearRequests()
			got, err := e.c.ReportIncidents(context.Background(), start, until, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameIncidents(t, got, want)
			if n := requestsTo(e.fake, "/incidents"); n < tt.minIncidentListing {
				t.Errorf("%d incident pages, want at least %d", n, tt.minIncidentListing)
			}
			later := 0
			for _, r := range e.fake.RequestsTo("GET", "/incidents") {
				if r.Query.Get("since") != start.Format(time.RFC3339) {
					later++
				}
			}
			if later != tt.laterStarts {
				t.Errorf("%d listings start later than the range, want %d", later, tt.laterStarts)
			}
			narrowed := slices.ContainsFunc(e.fake.RequestsTo("GET", "/log_entries"), func(r pdfake.Request) bool { return r.Query.Get("until") != "" })
			if narrowed != (tt.logOffset > 0) {
				t.Errorf("log reading narrowed with until: %v, want %v", narrowed, tt.logOffset > 0)
			}
			if n := requestsTo(e.fake, "/log_entries"); n < 2 {
				t.Errorf("%d bulk log pages, want several", n)
			}
			if n := len(e.fake.RequestsTo("GET", "/incidents/")); n != 0 {
				t.Errorf("%d per-incident requests, want bulk log reading only", n)
			}
		})
	}
}

func TestReportIncidentsPerIncidentWhenCheaper(t *testing.T) {
	pagerduty.ReportLimits(t, 0, 0, 0)
	e := seeded(t)
	start := now.Add(-3 * 24 * time.Hour)
	reportFixture(t, e.fake, start, 250) // about 1,200 log entries in the account
	// A third service with three incidents: three logs beat twelve pages.
	e.fake.AddService(pdfake.Service{ID: "SVC3", Name: "Search", EscalationPolicyID: "EP1"})
	var want []report.Incident
	for k := range 3 {
		c := start.Add(time.Duration(k)*time.Hour + 5*time.Minute)
		in := e.fake.AddIncident(pdfake.Incident{Title: "search slow", ServiceID: "SVC3", CreatedAt: c,
			Status: pdfake.StatusResolved, ResolvedAt: c.Add(time.Hour), Acknowledgers: []pdfake.Ack{{UserID: "U1", At: c.Add(time.Minute)}}})
		want = append(want, report.Incident{ID: in.ID, Number: in.Number, Title: in.Title, ServiceID: "SVC3", ServiceName: "Search",
			Created: c, Acknowledged: c.Add(time.Minute), Resolved: c.Add(time.Hour), URL: "https://pdfake.pagerduty.com/incidents/" + in.ID})
	}
	e.fake.ClearRequests()
	got, err := e.c.ReportIncidents(context.Background(), start, now, []string{"SVC3"})
	if err != nil {
		t.Fatal(err)
	}
	sameIncidents(t, got, want)
	if n := requestsTo(e.fake, "/log_entries"); n != 1 {
		t.Errorf("%d bulk log pages, want 1 (to learn the total)", n)
	}
	if n := len(e.fake.RequestsTo("GET", "/incidents/")); n != 3 {
		t.Errorf("%d per-incident log requests, want 3", n)
	}
	if q := e.fake.RequestsTo("GET", "/incidents")[0].Query; !slices.Equal(q["service_ids[]"], []string{"SVC3"}) {
		t.Errorf("incident listing query %v, want service_ids[]=SVC3", q)
	}
}

func TestReportIncidentsManyServicesFilteredHere(t *testing.T) {
	pagerduty.ReportLimits(t, 0, 0, 0)
	e := seeded(t)
	start := now.Add(-3 * 24 * time.Hour)
	all := reportFixture(t, e.fake, start, 40)
	ids := []string{"SVC2"}
	for i := range 60 {
		ids = append(ids, fmt.Sprintf("PX%02d", i)) // services without incidents
	}
	got, err := e.c.ReportIncidents(context.Background(), start, now, ids)
	if err != nil {
		t.Fatal(err)
	}
	var want []report.Incident
	for _, in := range all {
		if in.ServiceID == "SVC2" {
			want = append(want, in)
		}
	}
	sameIncidents(t, got, want)
	if q := e.fake.RequestsTo("GET", "/incidents")[0].Query; len(q["service_ids[]"]) != 0 {
		t.Errorf("61 service IDs went into the URL: %v", q)
	}
}

func TestReportIncidentsRateLimited(t *testing.T) {
	pagerduty.ReportLimits(t, 0, 0, 0)
	e := seeded(t)
	start := now.Add(-24 * time.Hour)
	want := reportFixture(t, e.fake, start, 30)
	// More 429s than the transport retries (4 attempts): the report waits
	// ratelimit-reset and asks again.
	e.fake.FailNextMatching("GET", "/log_entries", 6, http.StatusTooManyRequests)
	got, err := e.c.ReportIncidents(context.Background(), start, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameIncidents(t, got, want)
	waits := e.Waits()
	if len(waits) < 6 {
		t.Errorf("waits = %v, want one per 429", waits)
	}
	for _, w := range waits {
		if w != time.Second {
			t.Errorf("waited %v, want ratelimit-reset (1s)", w)
		}
	}
}

func TestReportIncidentsErrors(t *testing.T) {
	pagerduty.ReportLimits(t, 0, 0, 0)
	e := seeded(t)
	if _, err := e.c.ReportIncidents(context.Background(), now.Add(-time.Hour), now, []string{"../x"}); err == nil {
		t.Error("a malformed service ID was sent")
	}
	got, err := e.c.ReportIncidents(context.Background(), now.Add(-time.Hour), now, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("empty account = %v, %v; want nothing", got, err)
	}
	e.fake.FailNextMatching("GET", "/incidents", 10, http.StatusUnauthorized)
	if _, err := e.c.ReportIncidents(context.Background(), now.Add(-time.Hour), now, nil); err == nil || !strings.Contains(err.Error(), "list incidents") {
		t.Errorf("err = %v, want the listing's failure", err)
	}
}
