package demo

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// Bad input from the page gets a 400 naming the problem and changes
// nothing: no envelope is sent, PagerDuty and the clock stay as they are.
func TestHandlerRefusesBadInput(t *testing.T) {
	d := New(time.Now, zerolog.Nop())
	defer d.Close()
	h := d.Handler()
	incidents := len(d.PD.Incidents())
	before := d.Clock.Now()

	tests := []struct{ path, body, want string }{
		{"/api/slash", `{"user":"U0ALICE","channel":"C0OPS"`, "not the JSON expected"},
		{"/api/slash", `{"user":"UNOBODY","channel":"C0OPS","text":"/toban"}`, "not a member of the demo team"},
		{"/api/slash", `{"user":"U0ALICE","channel":"CNOPE","text":"/toban"}`, "no such channel"},
		{"/api/action", `{"user":"U0ALICE","channel":"C0OPS","ts":"1.2","action":{"type":"bomb","action_id":"a","block_id":"b"}}`, "known type"},
		{"/api/action", `{"user":"U0ALICE","channel":"C0OPS","ts":"1.2","action":{"type":"button","action_id":"a","block_id":"b"}}`, "no message"},
		{"/api/action", `{"user":"U0ALICE","action":{"type":"button","action_id":"a","block_id":"b"}}`, "a message (channel and ts) or a view_id"},
		{"/api/submit", `{"user":"U0ALICE","view_id":"VNOPE","values":{}}`, "no view VNOPE"},
		{"/api/suggest", `{"user":"U0ALICE","view_id":"VNOPE","block_id":"b","action_id":"a","value":"x"}`, "no view VNOPE"},
		{"/api/close", `{"user":"U0ALICE","view_id":"VNOPE"}`, "no view VNOPE"},
		{"/api/clock", `{"minutes":-5}`, "forward by 1 minute to 31 days"},
		{"/api/clock", `{"minutes":99999999}`, "forward by 1 minute to 31 days"},
		{"/api/pd/trigger", `{"service":"PNOPE","title":"x","urgency":"high"}`, "needs a demo service"},
		{"/api/pd/trigger", `{"service":"PSEARCH","title":"  ","urgency":"high"}`, "a title"},
		{"/api/pd/trigger", `{"service":"PSEARCH","title":"x","urgency":"meh"}`, "urgency"},
		{"/api/pd/change", `{"incident":"QNOPE","action":"acknowledge","user":"U0ALICE"}`, "PagerDuty refused"},
		{"/api/pd/change", `{"incident":"QNOPE","action":"snooze","user":"U0ALICE"}`, "acknowledge or resolve"},
		{"/api/pd/storm", `{"service":"PNOPE"}`, "no such demo service"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(tt.body)))
		var out struct{ Error string }
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		if rec.Code != http.StatusBadRequest || !strings.Contains(out.Error, tt.want) {
			t.Errorf("POST %s %s = %d %q, want 400 mentioning %q", tt.path, tt.body, rec.Code, out.Error, tt.want)
		}
	}
	if n := len(d.Slack.Envelopes()); n != 0 {
		t.Errorf("%d envelopes sent for bad input", n)
	}
	if n := len(d.PD.Incidents()); n != incidents {
		t.Errorf("incidents = %d, want %d", n, incidents)
	}
	if d.Clock.Now().Sub(before) > time.Minute {
		t.Error("the clock jumped on a refused request")
	}
}

func TestStateAndPage(t *testing.T) {
	d := New(time.Now, zerolog.Nop())
	defer d.Close()
	h := d.Handler()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "DEMO") {
		t.Errorf("GET / = %d, want the page saying it is a demo", rec.Code)
	}
	for _, asset := range []string{"/app.js", "/blockkit.js", "/mrkdwn.js", "/style.css"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, asset, nil))
		if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "https://") && asset == "/style.css" {
			t.Errorf("GET %s = %d (or it loads something from the internet)", asset, rec.Code)
		}
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/state?as=U0BOB", nil))
	var st state
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if st.Me != "U0BOB" || len(st.Team) != 5 || len(st.PagerDuty.Services) != 3 || st.Modals == nil {
		t.Errorf("state = me %s, %d people, %d services, modals %v", st.Me, len(st.Team), len(st.PagerDuty.Services), st.Modals)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/state?as=UNOBODY", nil))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("state of a stranger = %d, want 400", rec.Code)
	}
}
