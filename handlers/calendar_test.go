package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/calendar"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/incidents"
	"github.com/tobanbot/toban/handlers/tasks"
	"github.com/tobanbot/toban/scheduler"
	"github.com/tobanbot/toban/storage"
)

// calendarSlack records what calendar handlers say; the other Slack calls
// are not expected.
type calendarSlack struct {
	allSlack
	mu         sync.Mutex
	posted     []string
	ephemerals []string
}

func (s *calendarSlack) PostMessage(ctx context.Context, channel string, msg chat.Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posted = append(s.posted, channel+": "+msg.Text)
	return "1.1", nil
}

func (s *calendarSlack) PostEphemeral(ctx context.Context, channel, user string, msg chat.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ephemerals = append(s.ephemerals, channel+"/"+user+": "+msg.Text)
	return nil
}

// allSlack is every Slack port the App and its features are given.
type allSlack interface {
	Slack
	incidents.Slack
	tasks.Slack
}

// nullEngine schedules nothing.
type nullEngine struct{}

func (nullEngine) Upsert(scheduler.Task)            {}
func (nullEngine) Remove(string)                    {}
func (nullEngine) NextDue(string) (time.Time, bool) { return time.Time{}, false }
func calendarApp(t *testing.T, now time.Time) (*App, *calendarSlack, *storage.DB) {
	t.Helper()
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "toban.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &calendarSlack{}
	clock := func() time.Time { return now }
	a := &App{Slack: s, Admins: map[string]bool{}}
	a.Incidents = &incidents.Feature{Slack: s, Location: time.UTC, Admins: a.Admins, Now: clock}
	a.Identity = a.Incidents
	a.Tasks = &tasks.Feature{Slack: s, Store: db, Engine: nullEngine{}, Admins: a.Admins, Location: time.UTC, Now: clock, Log: zerolog.Nop()}
	a.Calendar = &calendar.Feature{Slack: s, Store: db, Tasks: db, Form: a.Tasks, Identity: a.Incidents, Engine: nullEngine{},
		Admins: a.Admins, Location: time.UTC, Now: clock, Log: zerolog.Nop()}
	return a, s, db
}

// calendarValues is the attach modal filled in.
func calendarValues(url string) map[string]map[string]slack.BlockAction {
	return map[string]map[string]slack.BlockAction{
		"url":        {"url": {Value: url}},
		"allday":     {"allday": {SelectedTime: "08:00"}},
		"grace":      {"grace": {SelectedOption: slack.OptionBlockObject{Value: "30"}}},
		"escalation": {"escalation": {SelectedOption: slack.OptionBlockObject{Value: "none"}}},
	}
}

func calendarSubmit(values map[string]map[string]slack.BlockAction) slack.InteractionCallback {
	var cb slack.InteractionCallback
	cb.Type = slack.InteractionTypeViewSubmission
	cb.User.ID = "U1"
	cb.View.CallbackID = "calendar.attach"
	cb.View.PrivateMetadata = chat.ModalState{ChannelID: "C1"}.Encode()
	cb.View.State = &slack.ViewState{Values: values}
	return cb
}

func ackJSON(t *testing.T, res chat.Response) string {
	t.Helper()
	if res.Ack == nil {
		return ""
	}
	b, err := json.Marshal(res.Ack)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const oneEventICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Rotate keys\r\nDTSTART:20260303T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

func TestCalendarModal(t *testing.T) {
	f := &calendar.Feature{Form: &tasks.Feature{Location: time.UTC}, Location: time.UTC}
	golden(t, "calendar_modal", f.Modal("C1"))
}

func TestCalendarInput(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(map[string]map[string]slack.BlockAction)
		pd     bool
		wantOK string // a field with an error, "" for none
	}{
		{"Valid", func(v map[string]map[string]slack.BlockAction) {}, false, ""},
		{"Webcal", func(v map[string]map[string]slack.BlockAction) {
			v["url"]["url"] = slack.BlockAction{Value: "webcal://example.com/x.ics"}
		}, false, ""},
		{"ErrNoURL", func(v map[string]map[string]slack.BlockAction) { v["url"]["url"] = slack.BlockAction{} }, false, "url"},
		{"ErrNotHTTP", func(v map[string]map[string]slack.BlockAction) {
			v["url"]["url"] = slack.BlockAction{Value: "ftp://x/y"}
		}, false, "url"},
		{"ErrOnCallWithoutSchedule", func(v map[string]map[string]slack.BlockAction) {
			v["escalation"]["escalation"] = slack.BlockAction{SelectedOption: slack.OptionBlockObject{Value: "oncall"}}
		}, true, "schedule"},
		{"ErrIncidentWithoutPagerDuty", func(v map[string]map[string]slack.BlockAction) {
			v["escalation"]["escalation"] = slack.BlockAction{SelectedOption: slack.OptionBlockObject{Value: "incident"}}
			v["service"] = map[string]slack.BlockAction{"service": {SelectedOption: slack.OptionBlockObject{Value: "PSVC1"}}}
		}, false, "escalation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := &tasks.Feature{}
			if tt.pd {
				form.PagerDuty = noPagerDuty{}
			}
			v := calendarValues("https://example.com/cal.ics")
			tt.edit(v)
			c, errs := (&calendar.Feature{Form: form}).ReadForm(v)
			switch {
			case tt.wantOK == "" && len(errs) > 0:
				t.Errorf("errors %v, want none", errs)
			case tt.wantOK != "" && errs[tt.wantOK] == "":
				t.Errorf("errors %v, want one on %s", errs, tt.wantOK)
			case tt.wantOK == "" && (c.AllDayAt != "08:00" || c.GraceMinutes != 30 || !strings.HasPrefix(c.URL, "https://")):
				t.Errorf("calendar = %+v", c)
			}
		})
	}
}

func TestCalendarSubmission(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok.ics", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(oneEventICS)) })
	mux.HandleFunc("/gone.ics", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) })
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<!DOCTYPE html><html>Sign in</html>")) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

	t.Run("ErrFieldErrorsFromTheFetch", func(t *testing.T) {
		a, s, db := calendarApp(t, now)
		for path, want := range map[string]string{"/gone.ics": "HTTP 404", "/page": "web page, not a calendar"} {
			res := a.calendarSubmission(context.Background(), calendarSubmit(calendarValues(srv.URL+path)))
			if ack := ackJSON(t, res); !strings.Contains(ack, `"url":`) || !strings.Contains(ack, want) || res.Then != nil {
				t.Errorf("%s: ack = %s; want a field error on url saying %q, nothing after", path, ack, want)
			}
		}
		if cals, _ := db.AllCalendars(context.Background()); len(cals) != 0 || len(s.posted) != 0 {
			t.Errorf("calendars %v, posts %q; want nothing saved or said", cals, s.posted)
		}
	})

	t.Run("Attached", func(t *testing.T) {
		a, s, db := calendarApp(t, now)
		res := a.calendarSubmission(context.Background(), calendarSubmit(calendarValues(srv.URL+"/ok.ics")))
		if ack := ackJSON(t, res); ack != "" || res.Then == nil {
			t.Fatalf("ack = %s, want none and work after", ack)
		}
		if err := res.Then(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(s.posted) != 1 || !strings.Contains(s.posted[0], "C1: :date: <@U1> attached a calendar (127.0.0.1): 1 upcoming event") {
			t.Errorf("posted %q", s.posted)
		}
		cals, _ := db.AllCalendars(context.Background())
		if len(cals) != 1 || cals[0].AllDayAt != "08:00" || cals[0].GraceMinutes != 30 {
			t.Fatalf("calendars = %+v", cals)
		}
		tasks, _ := db.CalendarTasks(context.Background(), cals[0].ID)
		if len(tasks) != 1 || tasks[0].Title != "Rotate keys" || tasks[0].GraceMinutes != 30 {
			t.Errorf("tasks = %+v", tasks)
		}
		again := a.calendarSubmission(context.Background(), calendarSubmit(calendarValues(srv.URL+"/ok.ics")))
		if ack := ackJSON(t, again); !strings.Contains(ack, "already attached") {
			t.Errorf("second attach ack = %s, want already attached", ack)
		}
	})

	t.Run("SlowCalendarAcceptedThenChecked", func(t *testing.T) {
		release := make(chan struct{})
		var calls sync.Mutex
		first := true
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Lock()
			wasFirst := first
			first = false
			calls.Unlock()
			if wasFirst {
				select { // the ack path gives up first
				case <-release:
				case <-r.Context().Done():
				}
				return
			}
			w.WriteHeader(http.StatusForbidden)
		}))
		defer slow.Close()
		a, s, db := calendarApp(t, now)
		a.Calendar.AckFetch = 50 * time.Millisecond
		res := a.calendarSubmission(context.Background(), calendarSubmit(calendarValues(slow.URL+"/secret.ics")))
		close(release)
		if ack := ackJSON(t, res); ack != "" || res.Then == nil {
			t.Fatalf("ack = %s, want the slow calendar accepted", ack)
		}
		if err := res.Then(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(s.ephemerals) != 1 || !strings.Contains(s.ephemerals[0], "C1/U1: :warning: I did not attach the calendar from 127.0.0.1: The calendar server refused access (HTTP 403)") {
			t.Errorf("ephemerals = %q, want the problem told to U1", s.ephemerals)
		}
		if cals, _ := db.AllCalendars(context.Background()); len(cals) != 0 || len(s.posted) != 0 {
			t.Errorf("calendars %v, posts %q; want nothing attached", cals, s.posted)
		}
	})
}

func TestRefreshCalendars(t *testing.T) {
	var mu sync.Mutex
	status, body := http.StatusInternalServerError, oneEventICS
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/flaky.ics" && status != http.StatusOK {
			w.WriteHeader(status)
			return
		}
		w.Write([]byte(body))
	}))
	defer srv.Close()
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	a, s, db := calendarApp(t, now)
	add := func(path string) domain.Calendar {
		c, err := db.AddCalendar(ctx, domain.Calendar{ChannelID: "C1", URL: srv.URL + path, CreatedBy: "U1"})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	flaky, steady := add("/flaky.ics"), add("/steady.ics")

	for range 2 { // failing twice is told once
		a.Calendar.Refresh(ctx)
	}
	if got, _ := db.Calendar(ctx, flaky.ID); !strings.Contains(got.LastError, "HTTP 500") {
		t.Errorf("flaky calendar's error = %q, want HTTP 500", got.LastError)
	}
	if tasks, _ := db.CalendarTasks(ctx, steady.ID); len(tasks) != 1 {
		t.Errorf("steady calendar has %d tasks, want 1 despite the other failing", len(tasks))
	}
	mu.Lock()
	status = http.StatusOK
	body = strings.Replace(oneEventICS, "SUMMARY:Rotate keys", "SUMMARY:Rotate all keys", 1)
	mu.Unlock()
	for range 2 { // recovering twice is told once
		a.Calendar.Refresh(ctx)
	}
	want := []string{
		"C1: :warning: I can't read the calendar from 127.0.0.1: The calendar server is failing (HTTP 500). Its tasks stay as they were; I keep trying.",
		"C1: :white_check_mark: The calendar from 127.0.0.1 can be read again; its tasks are up to date.",
	}
	if strings.Join(s.posted, "\n") != strings.Join(want, "\n") {
		t.Errorf("posted:\n%s\nwant:\n%s", strings.Join(s.posted, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range []domain.Calendar{flaky, steady} {
		tasks, _ := db.CalendarTasks(ctx, c.ID)
		if len(tasks) != 1 || tasks[0].Title != "Rotate all keys" {
			t.Errorf("tasks of %s = %+v, want the renamed event", c.ID, tasks)
		}
	}
}
