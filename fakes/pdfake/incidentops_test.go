package pdfake_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/internal/pdcontract"
)

var priorities = []pdfake.Priority{
	{ID: "PP1", Name: "P1", Description: "Critical"},
	{ID: "PP2", Name: "P2", Description: "High"},
}

// opsFake is seed's account with priorities and three incidents: QT
// triggered, QA acknowledged by Alice, QR resolved. With contract, every
// request and answer is checked against PagerDuty's spec; tests of
// requests the spec itself forbids (no From, a duration out of range) go
// without.
func opsFake(t *testing.T, contract bool) (*pdfake.Server, *pagerduty.Client) {
	t.Helper()
	fake, c := newFake(t)
	if contract {
		fake.CheckContract(t, pdcontract.MustLoad(t))
	}
	seed(fake)
	fake.SetPriorities(priorities)
	fake.AddIncident(pdfake.Incident{ID: "QT", Title: "API down", ServiceID: "SVC1"})
	fake.AddIncident(pdfake.Incident{ID: "QA", Title: "Web slow", ServiceID: "SVC2"})
	if err := fake.AcknowledgeAs("QA", "U1"); err != nil {
		t.Fatal(err)
	}
	fake.AddIncident(pdfake.Incident{ID: "QR", Title: "Disk", ServiceID: "SVC1"})
	if err := fake.ResolveAs("QR", "U1"); err != nil {
		t.Fatal(err)
	}
	return fake, c
}

func TestStatusUpdates(t *testing.T) {
	fake, c := opsFake(t, true)
	ctx := context.Background()
	got, err := c.CreateIncidentStatusUpdate(ctx, "QT", aliceEmail, "Failing over the database")
	if err != nil {
		t.Fatal(err)
	}
	if got.Message != "Failing over the database" || got.Sender.ID != "U1" || got.CreatedAt != "2025-03-10T12:00:00Z" || got.ID == "" {
		t.Errorf("got %+v, want the message sent by U1 at now", got)
	}
	recorded := fake.StatusUpdates("QT")
	if len(recorded) != 1 || recorded[0].UserID != "U1" || recorded[0].ID != got.ID {
		t.Errorf("recorded %+v, want the one update by U1", recorded)
	}
	for _, tc := range []struct {
		name, id, from, msg string
		status, code        int
	}{
		{"NoFrom", "QT", "", "x", 400, 2016},
		{"UnknownFrom", "QT", "nobody@example.com", "x", 400, 1008},
		{"Empty", "QT", aliceEmail, " ", 400, 2001},
		{"UnknownIncident", "QNOPE", aliceEmail, "x", 404, 2100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateIncidentStatusUpdate(ctx, tc.id, tc.from, tc.msg)
			ae := apiError(t, err)
			if ae.StatusCode != tc.status || ae.APIError.ErrorObject.Code != tc.code {
				t.Errorf("got %d code %d, want %d code %d", ae.StatusCode, ae.APIError.ErrorObject.Code, tc.status, tc.code)
			}
		})
	}
	if n := len(fake.StatusUpdates("QT")); n != 1 {
		t.Errorf("got %d status updates after refusals, want 1", n)
	}
}

func TestResponderRequests(t *testing.T) {
	fake, c := opsFake(t, true)
	ctx := context.Background()
	target := func(typ, id string) pagerduty.ResponderRequestTargetWrapper {
		return pagerduty.ResponderRequestTargetWrapper{Target: pagerduty.ResponderRequestTarget{APIObject: pagerduty.APIObject{ID: id, Type: typ}}}
	}
	resp, err := c.ResponderRequestWithContext(ctx, "QT", pagerduty.ResponderRequestOptions{
		From: aliceEmail, RequesterID: "U1", Message: "Join the bridge",
		Targets: []pagerduty.ResponderRequestTargetWrapper{target("user_reference", "U3"), target("escalation_policy_reference", "EP1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	rr := resp.ResponderRequest
	if rr.Message != "Join the bridge" || rr.Requester.ID != "U1" || len(rr.Targets) != 2 {
		t.Fatalf("got %+v, want the request by U1 with two targets", rr)
	}
	if got := rr.Targets[0].Target; got.Type != "user" || got.ID != "U3" || len(got.Responders) != 1 || got.Responders[0].State != "pending" {
		t.Errorf("got first target %+v, want user U3 with one pending responder", got)
	}
	// EP1's first level is SCH1, where Alice is on call now.
	if got := rr.Targets[1].Target; got.Type != "escalation_policy" || len(got.Responders) != 1 || got.Responders[0].User.ID != "U1" {
		t.Errorf("got second target %+v, want EP1 reaching U1", got)
	}
	inc, err := c.GetIncidentWithContext(ctx, "QT")
	if err != nil {
		t.Fatal(err)
	}
	var gotResponders []string
	for _, r := range inc.IncidentResponders {
		gotResponders = append(gotResponders, r.User.ID+":"+r.State+":"+r.Requester.ID)
	}
	if want := "U3:pending:U1,U1:pending:U1"; strings.Join(gotResponders, ",") != want {
		t.Errorf("got incidents_responders %v, want %s", gotResponders, want)
	}
	if len(inc.ResponderRequests) != 1 {
		t.Errorf("got %d responder_requests on the incident, want 1", len(inc.ResponderRequests))
	}
	if err := fake.RespondAs("QT", "U3", true); err != nil {
		t.Fatal(err)
	}
	got, _ := fake.Incident("QT")
	if got.Responders[0].State != pdfake.ResponderJoined {
		t.Errorf("after RespondAs got %+v, want joined", got.Responders[0])
	}

	// Some of these requests break the spec on purpose: no contract.
	_, c = opsFake(t, false)

	for _, tc := range []struct {
		name, id, from, requester, msg string
		targets                        []pagerduty.ResponderRequestTargetWrapper
		status, code                   int
		says                           string
	}{
		{"Resolved", "QR", aliceEmail, "U1", "m", []pagerduty.ResponderRequestTargetWrapper{target("user_reference", "U2")}, 400, 2001, "Already Resolved"},
		{"UnknownUser", "QT", aliceEmail, "U1", "m", []pagerduty.ResponderRequestTargetWrapper{target("user_reference", "NOPE")}, 400, 2001, "not found"},
		{"ScheduleTarget", "QT", aliceEmail, "U1", "m", []pagerduty.ResponderRequestTargetWrapper{target("schedule_reference", "SCH1")}, 400, 2001, "type"},
		{"NoTargets", "QT", aliceEmail, "U1", "m", nil, 400, 2001, "targets"},
		{"NoMessage", "QT", aliceEmail, "U1", "", []pagerduty.ResponderRequestTargetWrapper{target("user_reference", "U2")}, 400, 2001, "Message"},
		{"NoFrom", "QT", "", "U1", "m", []pagerduty.ResponderRequestTargetWrapper{target("user_reference", "U2")}, 400, 2016, "From"},
		{"UnknownIncident", "QNOPE", aliceEmail, "U1", "m", []pagerduty.ResponderRequestTargetWrapper{target("user_reference", "U2")}, 404, 2100, "Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ResponderRequestWithContext(ctx, tc.id, pagerduty.ResponderRequestOptions{
				From: tc.from, RequesterID: tc.requester, Message: tc.msg, Targets: tc.targets})
			ae := apiError(t, err)
			if ae.StatusCode != tc.status || ae.APIError.ErrorObject.Code != tc.code || !strings.Contains(ae.Error(), tc.says) {
				t.Errorf("got %d %v, want %d code %d saying %q", ae.StatusCode, ae, tc.status, tc.code, tc.says)
			}
		})
	}
}

// snooze posts like go-pagerduty's SnoozeIncidentWithContext, which sends
// no From header, adding one when from is not empty.
func snooze(t *testing.T, fake *pdfake.Server, id, from string, seconds int) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", fake.URL()+"/incidents/"+id+"/snooze",
		strings.NewReader(`{"duration":`+itoa(seconds)+`}`))
	req.Header.Set("Authorization", "Token token="+fake.Token())
	req.Header.Set("Accept", "application/vnd.pagerduty+json;version=2")
	req.Header.Set("Content-Type", "application/json")
	if from != "" {
		req.Header.Set("From", from)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, b.String()
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestSnooze(t *testing.T) {
	t.Run("Contract", func(t *testing.T) {
		fake, _ := opsFake(t, true)
		if resp, body := snooze(t, fake, "QA", aliceEmail, 600); resp.StatusCode != 201 {
			t.Errorf("got %d %s, want 201", resp.StatusCode, body)
		}
		if resp, body := snooze(t, fake, "QT", aliceEmail, 600); resp.StatusCode != 400 {
			t.Errorf("got %d %s, want 400", resp.StatusCode, body)
		}
	})
	// Some of these requests break the spec on purpose: no contract.
	fake, c := opsFake(t, false)
	for _, tc := range []struct {
		name, id, from string
		seconds        int
		status         int
		says           string
	}{
		{"Acknowledged", "QA", aliceEmail, 3600, 201, `"type":"unacknowledge","at":"2025-03-10T13:00:00Z"`},
		{"Triggered", "QT", aliceEmail, 3600, 400, "must be acknowledged"},
		{"Resolved", "QR", aliceEmail, 3600, 400, "Already Resolved"},
		{"NoFrom", "QA", "", 3600, 400, `"code":2016`},
		{"TooLong", "QA", aliceEmail, 604801, 400, "between 1 and 604800"},
		{"Zero", "QA", aliceEmail, 0, 400, "between 1 and 604800"},
		{"Unknown", "QNOPE", aliceEmail, 60, 404, "Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := snooze(t, fake, tc.id, tc.from, tc.seconds)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.says) {
				t.Errorf("got %d %s, want %d containing %q", resp.StatusCode, body, tc.status, tc.says)
			}
		})
	}
	if got, _ := fake.Incident("QA"); !got.SnoozedUntil.Equal(now.Add(time.Hour)) {
		t.Errorf("got SnoozedUntil %v, want %v", got.SnoozedUntil, now.Add(time.Hour))
	}
	// go-pagerduty's own call sends no From: PagerDuty refuses it.
	_, err := c.SnoozeIncidentWithContext(context.Background(), "QA", 60)
	if ae := apiError(t, err); ae.StatusCode != 400 || ae.APIError.ErrorObject.Code != 2016 {
		t.Errorf("go-pagerduty snooze got %v, want 400 code 2016", err)
	}
	// A status change ends the snooze.
	if err := fake.EscalateTo("QA", 2, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := fake.Incident("QA"); !got.SnoozedUntil.IsZero() {
		t.Errorf("after escalation got SnoozedUntil %v, want zero", got.SnoozedUntil)
	}
}

func TestPriorities(t *testing.T) {
	fake, c := opsFake(t, true)
	ctx := context.Background()
	got, err := c.ListPrioritiesWithContext(ctx, pagerduty.ListPrioritiesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got.Priorities {
		names = append(names, p.ID+"="+p.Name+"/"+p.Description)
	}
	if want := "PP1=P1/Critical,PP2=P2/High"; strings.Join(names, ",") != want {
		t.Errorf("got %v, want %s", names, want)
	}
	fake.SetPrioritiesEnabled(false)
	got, err = c.ListPrioritiesWithContext(ctx, pagerduty.ListPrioritiesOptions{})
	if err != nil || len(got.Priorities) != 0 {
		t.Errorf("with priorities off got %+v, %v; want none", got, err)
	}
}

func TestUpdateIncidentPriorityAndReassign(t *testing.T) {
	fake, c := opsFake(t, true)
	ctx := context.Background()
	manage := func(from string, m pagerduty.ManageIncidentsOptions) (*pagerduty.ListIncidentsResponse, error) {
		return c.ManageIncidentsWithContext(ctx, from, []pagerduty.ManageIncidentsOptions{m})
	}
	resp, err := manage(aliceEmail, pagerduty.ManageIncidentsOptions{ID: "QT", Priority: &pagerduty.APIReference{ID: "PP2", Type: "priority_reference"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := resp.Incidents[0].Priority; p == nil || p.ID != "PP2" || p.Name != "P2" {
		t.Errorf("got priority %+v, want PP2 P2", p)
	}
	if got, _ := fake.Incident("QT"); got.PriorityID != "PP2" {
		t.Errorf("got PriorityID %q, want PP2", got.PriorityID)
	}
	resp, err = manage(aliceEmail, pagerduty.ManageIncidentsOptions{ID: "QT", Assignments: []pagerduty.Assignee{{Assignee: pagerduty.APIObject{ID: "U4", Type: "user_reference"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if a := resp.Incidents[0].Assignments; len(a) != 1 || a[0].Assignee.ID != "U4" {
		t.Errorf("got assignments %+v, want U4", a)
	}
	for _, tc := range []struct {
		name string
		id   string
		m    pagerduty.ManageIncidentsOptions
		says string
	}{
		{"UnknownPriority", "QT", pagerduty.ManageIncidentsOptions{ID: "QT", Priority: &pagerduty.APIReference{ID: "PNOPE", Type: "priority_reference"}}, "Priority not found"},
		{"ResolvedPriority", "QR", pagerduty.ManageIncidentsOptions{ID: "QR", Priority: &pagerduty.APIReference{ID: "PP1", Type: "priority_reference"}}, "Already Resolved"},
		{"ResolvedReassign", "QR", pagerduty.ManageIncidentsOptions{ID: "QR", Assignments: []pagerduty.Assignee{{Assignee: pagerduty.APIObject{ID: "U4", Type: "user_reference"}}}}, "Already Resolved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := manage(aliceEmail, tc.m)
			if ae := apiError(t, err); ae.StatusCode != 400 || !strings.Contains(ae.Error(), tc.says) {
				t.Errorf("got %v, want 400 saying %q", err, tc.says)
			}
		})
	}
	fake.SetPrioritiesEnabled(false)
	_, err = manage(aliceEmail, pagerduty.ManageIncidentsOptions{ID: "QT", Priority: &pagerduty.APIReference{ID: "PP1", Type: "priority_reference"}})
	if ae := apiError(t, err); ae.StatusCode != 400 {
		t.Errorf("with priorities off got %v, want 400", err)
	}
}

// TestPutIncidentPriority: PUT /incidents/{id} takes the priority as a
// reference or by name, and reassigns to an escalation policy.
func TestPutIncidentPriority(t *testing.T) {
	fake, _ := opsFake(t, true)
	put := func(body string) (int, string) {
		req, _ := http.NewRequest("PUT", fake.URL()+"/incidents/QT", strings.NewReader(body))
		req.Header.Set("Authorization", "Token token="+fake.Token())
		req.Header.Set("Accept", "application/vnd.pagerduty+json;version=2")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("From", aliceEmail)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 8192)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	for _, tc := range []struct {
		name, body, wantPriority string
		wantAssignees            []string
	}{
		{"ByReference", `{"incident":{"type":"incident","priority":{"id":"PP2","type":"priority_reference"}}}`, "PP2", []string{"U1"}},
		{"ByName", `{"incident":{"type":"incident","priority":"P1"}}`, "PP1", []string{"U1"}},
		{"ToPolicy", `{"incident":{"type":"incident_reference","escalation_policy":{"id":"EP1","type":"escalation_policy_reference"}}}`, "PP1", []string{"U1"}},
		{"ToUsers", `{"incident":{"type":"incident","assignments":[{"assignee":{"id":"U4","type":"user_reference"}}]}}`, "PP1", []string{"U4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := put(tc.body); status != 200 {
				t.Fatalf("got %d %s, want 200", status, body)
			}
			got, _ := fake.Incident("QT")
			if got.PriorityID != tc.wantPriority || strings.Join(got.AssigneeIDs, ",") != strings.Join(tc.wantAssignees, ",") {
				t.Errorf("got priority %q assignees %v, want %q %v", got.PriorityID, got.AssigneeIDs, tc.wantPriority, tc.wantAssignees)
			}
		})
	}
}

// TestExpireSnoozes: when the fake's clock passes a snooze's end,
// ExpireSnoozes re-triggers the incident as PagerDuty does, with snooze
// and unacknowledge log entries that fit the spec.
func TestExpireSnoozes(t *testing.T) {
	clock := now
	fake := pdfake.New(pdfake.Options{Now: func() time.Time { return clock }})
	t.Cleanup(fake.Close)
	fake.CheckContract(t, pdcontract.MustLoad(t))
	seed(fake)
	fake.AddIncident(pdfake.Incident{ID: "QA", Title: "Web slow", ServiceID: "SVC2"})
	if err := fake.AcknowledgeAs("QA", "U1"); err != nil {
		t.Fatal(err)
	}
	if resp, body := snooze(t, fake, "QA", aliceEmail, 3600); resp.StatusCode != 201 {
		t.Fatalf("snooze: %d %s", resp.StatusCode, body)
	}
	for _, step := range []struct {
		advance time.Duration
		want    string
		status  string
	}{
		{59 * time.Minute, "", pdfake.StatusAcknowledged},
		{time.Minute, "QA", pdfake.StatusTriggered},
		{time.Hour, "", pdfake.StatusTriggered},
	} {
		clock = clock.Add(step.advance)
		got := strings.Join(fake.ExpireSnoozes(), ",")
		in, _ := fake.Incident("QA")
		if got != step.want || in.Status != step.status {
			t.Errorf("at +%s got %q, %s; want %q, %s", clock.Sub(now), got, in.Status, step.want, step.status)
		}
	}
	resp, err := newClient(fake, fake.Token()).ListIncidentLogEntriesWithContext(context.Background(), "QA", pagerduty.ListIncidentLogEntriesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range resp.LogEntries {
		types = append(types, e.Type)
	}
	if want := "unacknowledge_log_entry,snooze_log_entry,acknowledge_log_entry"; !strings.HasPrefix(strings.Join(types, ","), want) {
		t.Errorf("log entries newest first %v, want them to start %s", types, want)
	}
}

// What people do in PagerDuty's web app: a status update (a resolved
// incident takes one too) and a responder request.
func TestActAsInWebApp(t *testing.T) {
	fake, _ := opsFake(t, false)
	su, err := fake.PostStatusUpdateAs("QR", "U2", "Resolved: the disk was replaced")
	if err != nil {
		t.Fatal(err)
	}
	if got := fake.StatusUpdates("QR"); len(got) != 1 || got[0].ID != su.ID || got[0].UserID != "U2" {
		t.Errorf("status updates = %+v, want U2's", got)
	}
	if _, err := fake.PostStatusUpdateAs("QNOPE", "U2", "x"); !errors.Is(err, pdfake.ErrNotFound) {
		t.Errorf("status update on a missing incident = %v, want ErrNotFound", err)
	}
	if _, err := fake.RequestRespondersAs("QT", "U1", "Join the bridge", "U3"); err != nil {
		t.Fatal(err)
	}
	if got := fake.ResponderRequests("QT"); len(got) != 1 || got[0].RequesterID != "U1" || len(got[0].Targets) != 1 || got[0].Targets[0].ID != "U3" {
		t.Errorf("responder requests = %+v, want U1 asking U3", got)
	}
	if _, err := fake.RequestRespondersAs("QR", "U1", "Too late", "U3"); err == nil {
		t.Error("a responder request on a resolved incident was accepted")
	}
}
