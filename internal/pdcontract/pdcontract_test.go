package pdcontract_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/internal/pdcontract"
)

func request(method, path, from, body string) *http.Request {
	r, _ := http.NewRequest(method, "http://127.0.0.1:1"+path, bytes.NewReader([]byte(body)))
	r.Header.Set("Accept", "application/vnd.pagerduty+json;version=2")
	r.Header.Set("Authorization", "Token token=x")
	r.Header.Set("Content-Type", "application/json")
	if from != "" {
		r.Header.Set("From", from)
	}
	return r
}

const goodOverrides = `{"overrides":[{"start":"2026-12-01T09:00:00Z","end":"2026-12-01T18:00:00Z","user":{"id":"PU1","type":"user_reference"}}]}`

// TestRequests: the contract refuses what PagerDuty's spec does not allow,
// the unknown field above all, and passes what toban sends.
func TestRequests(t *testing.T) {
	v := pdcontract.MustLoad(t)
	for _, tc := range []struct {
		name, method, path, from, body string
		noAuth                         bool
		want                           string // "" for valid
	}{
		{name: "BulkOverrides", method: "POST", path: "/schedules/PS1/overrides", body: goodOverrides},
		{name: "UnknownFieldInOverride", method: "POST", path: "/schedules/PS1/overrides",
			body: strings.Replace(goodOverrides, `"start"`, `"colour":"red","start"`, 1), want: "/overrides/0/colour: field not in"},
		{name: "UnknownTopLevelField", method: "POST", path: "/schedules/PS1/overrides",
			body: `{"override":{"start":"2026-12-01T09:00:00Z","end":"2026-12-01T18:00:00Z","user":{"id":"PU1","type":"user_reference"}}}`,
			want: "/override: field not in"},
		{name: "NoteWithUser", method: "POST", path: "/incidents/PI1/notes", from: "a@example.com",
			body: `{"note":{"content":"x","user":{"summary":"a@example.com"}}}`, want: "/note/user: field not in"},
		{name: "NoteWithoutFrom", method: "POST", path: "/incidents/PI1/notes", body: `{"note":{"content":"x"}}`, want: "header From"},
		{name: "Note", method: "POST", path: "/incidents/PI1/notes", from: "a@example.com", body: `{"note":{"content":"x"}}`},
		{name: "NullPriority", method: "POST", path: "/incidents", from: "a@example.com",
			body: `{"incident":{"type":"incident","title":"t","service":{"id":"S","type":"service_reference"},"priority":null}}`,
			want: "/incident/priority"},
		{name: "StatusUpdate", method: "POST", path: "/incidents/PI1/status_updates", from: "a@example.com", body: `{"message":"x"}`},
		{name: "StatusUpdateWithoutFrom", method: "POST", path: "/incidents/PI1/status_updates", body: `{"message":"x"}`, want: "header From"},
		{name: "ResponderRequestWrapped", method: "POST", path: "/incidents/PI1/responder_requests", from: "a@example.com",
			body: `{"requester_id":"PU1","message":"m","responder_request_targets":[{"responder_request_target":{"id":"PU2","type":"user_reference"}}]}`},
		{name: "ResponderRequestUnknownField", method: "POST", path: "/incidents/PI1/responder_requests", from: "a@example.com",
			body: `{"requester_id":"PU1","message":"m","urgent":true,"responder_request_targets":[{"responder_request_target":{"id":"PU2","type":"user_reference"}}]}`,
			want: "/urgent: field not in"},
		{name: "Snooze", method: "POST", path: "/incidents/PI1/snooze", from: "a@example.com", body: `{"duration":3600}`},
		{name: "SnoozeTooLong", method: "POST", path: "/incidents/PI1/snooze", from: "a@example.com", body: `{"duration":604801}`, want: "/duration"},
		{name: "PriorityByName", method: "PUT", path: "/incidents/PI1", from: "a@example.com", body: `{"incident":{"type":"incident","priority":"P1"}}`},
		{name: "PriorityByReference", method: "PUT", path: "/incidents/PI1", from: "a@example.com",
			body: `{"incident":{"type":"incident","priority":{"id":"PP1","type":"priority_reference"}}}`},
		{name: "Priorities", method: "GET", path: "/priorities?limit=100"},
		{name: "NoAuthorization", method: "GET", path: "/users", noAuth: true, want: "Authorization"},
		{name: "NoSuchOperation", method: "GET", path: "/nope", want: "no such operation"},
		{name: "EventsEnqueue", method: "POST", path: "/v2/enqueue", noAuth: true,
			body: `{"routing_key":"R0123456789012345678901234567890","event_action":"trigger","dedup_key":"k","payload":{"summary":"s","source":"toban","severity":"error"}}`},
		{name: "EventsUnknownField", method: "POST", path: "/v2/enqueue", noAuth: true,
			body: `{"routing_key":"R0123456789012345678901234567890","event_action":"trigger","urgency":"high","payload":{"summary":"s","source":"toban","severity":"error"}}`,
			want: "/urgency: field not in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request(tc.method, tc.path, tc.from, tc.body)
			if tc.noAuth {
				r.Header.Del("Authorization")
			}
			err := v.CheckRequest(r, []byte(tc.body))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("got %v, want valid", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want a violation mentioning %q", err, tc.want)
			}
		})
	}
}

// TestResponses: an answer missing a field the spec requires, or with a
// status the operation does not document, is a violation.
func TestResponses(t *testing.T) {
	v := pdcontract.MustLoad(t)
	ok := `[{"status":201,"override":{"id":"PO1","start":"2026-12-01T09:00:00Z","end":"2026-12-01T18:00:00Z","user":{"id":"PU1","type":"user_reference"}}}]`
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	r := request("POST", "/schedules/PS1/overrides", "", goodOverrides)
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"Bulk", ok, 201, ""},
		{"RequiredOverrideDropped", `[{"status":201}]`, 201, "override"},
		{"RequiredStartDropped", strings.Replace(ok, `"start":"2026-12-01T09:00:00Z",`, "", 1), 201, "start"},
		{"SingleObjectInsteadOfArray", `{"override":{"id":"PO1"}}`, 201, "array"},
		{"UndocumentedStatus", ok, 200, "status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := v.CheckResponse(r, []byte(goodOverrides), tc.status, h, []byte(tc.body))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("got %v, want valid", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want a violation mentioning %q", err, tc.want)
			}
		})
	}
}

// recorder is a testing.TB stand-in that keeps what CheckContract reports.
type recorder struct {
	errs     []string
	cleanups []func()
}

func (r *recorder) Helper()                      {}
func (r *recorder) Errorf(f string, args ...any) { r.errs = append(r.errs, f) }
func (r *recorder) Cleanup(f func())             { r.cleanups = append(r.cleanups, f) }

// TestFakeFailsTheTest: a fake given the contract fails its test when a
// request breaks it, and not otherwise.
func TestFakeFailsTheTest(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		wantFail   bool
	}{
		{"Valid", goodOverrides, false},
		{"UnknownField", strings.Replace(goodOverrides, `"start"`, `"colour":"red","start"`, 1), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := pdfake.New(pdfake.Options{})
			defer fake.Close()
			fake.AddUser(pdfake.User{ID: "PU1", Name: "Alice", Email: "alice@example.com"})
			fake.AddSchedule(pdfake.Schedule{ID: "PS1", Name: "Primary"})
			rec := &recorder{}
			fake.CheckContract(rec, pdcontract.MustLoad(t))
			r := request("POST", "/schedules/PS1/overrides", "", tc.body)
			r.URL.Host = strings.TrimPrefix(fake.URL(), "http://")
			r.Header.Set("Authorization", "Token token="+fake.Token())
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			for _, f := range rec.cleanups {
				f()
			}
			if got := len(rec.errs) > 0; got != tc.wantFail {
				t.Errorf("test failed = %v (%v), want %v", got, fake.ContractViolations(), tc.wantFail)
			}
		})
	}
}
