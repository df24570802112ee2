package reports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	goldenfile "github.com/tobanbot/toban/internal/golden"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/report"
	"github.com/tobanbot/toban/scheduler"
	"github.com/tobanbot/toban/storage"
)

var reportTokyo, _ = time.LoadLocation("Asia/Tokyo")

// reportWeek is Monday 2 March 2026 to Monday 9 March, in Tokyo.
var reportWeek = report.Period{Name: report.LastWeek, Since: time.Date(2026, 3, 2, 0, 0, 0, 0, reportTokyo), Until: time.Date(2026, 3, 9, 0, 0, 0, 0, reportTokyo)}

// reportIncidents is three incidents of two services in reportWeek.
func reportIncidents() []report.Incident {
	c := reportWeek.Since.Add(10 * time.Hour)
	return []report.Incident{
		{ID: "P1", Number: 1, ServiceID: "PSVC1", ServiceName: "Checkout API", Created: c, Acknowledged: c.Add(2 * time.Minute), Resolved: c.Add(time.Hour), Escalations: 1},
		{ID: "P2", Number: 2, ServiceID: "PSVC1", ServiceName: "Checkout API", Created: c.Add(24 * time.Hour), Acknowledged: c.Add(24*time.Hour + 10*time.Minute)},
		{ID: "P3", Number: 3, ServiceID: "PSVC2", ServiceName: "Billing", Created: c.Add(48 * time.Hour), Resolved: c.Add(49 * time.Hour)},
	}
}

// reportPD is a PagerDuty with services and report data.
type reportPD struct {
	mu    sync.Mutex
	calls [][]string // service IDs asked for
	err   error
}

func (p *reportPD) Services(ctx context.Context, query string, limit int) ([]domain.Service, error) {
	return []domain.Service{{ID: "PSVC1", Name: "Checkout API"}, {ID: "PSVC2", Name: "Billing"}, {ID: "PSVC3", Name: "Billing Batch"}}, nil
}

func (p *reportPD) AllServices(ctx context.Context) ([]domain.Service, error) {
	all, err := p.Services(ctx, "", 0)
	sort.Slice(all, func(i, j int) bool { return strings.ToLower(all[i].Name) < strings.ToLower(all[j].Name) })
	return all, err
}

func (p *reportPD) ReportIncidents(ctx context.Context, since, until time.Time, serviceIDs []string) ([]report.Incident, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, serviceIDs)
	return reportIncidents(), p.err
}

// reportSlack records what the report handlers send to Slack.
type reportSlack struct {
	Slack
	mu       sync.Mutex
	posts    []chat.Message
	files    []string
	respond  []chat.Message
	views    []slack.ModalViewRequest
	foundTS  string
	failFile bool
}

func (s *reportSlack) PostMessage(ctx context.Context, channel string, msg chat.Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posts = append(s.posts, msg)
	return "1.000" + string(rune('0'+len(s.posts))), nil
}

func (s *reportSlack) UploadFile(ctx context.Context, channel, filename, title string, content []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failFile {
		return errors.New("upload refused")
	}
	s.files = append(s.files, channel+"/"+filename)
	return nil
}

func (s *reportSlack) Respond(ctx context.Context, url string, msg chat.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respond = append(s.respond, msg)
	return nil
}

func (s *reportSlack) OpenView(ctx context.Context, triggerID string, v slack.ModalViewRequest) (string, error) {
	s.views = append(s.views, v)
	return "V1", nil
}

func (s *reportSlack) FindMessage(ctx context.Context, channelID string, since time.Time, eventType, key string) (string, bool, error) {
	return s.foundTS, s.foundTS != "", nil
}

// fakeEngine records what the handlers schedule.
type fakeEngine struct {
	mu    sync.Mutex
	tasks map[string]scheduler.Task
}

func (e *fakeEngine) Upsert(t scheduler.Task) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tasks[t.ID] = t
}
func (e *fakeEngine) Remove(id string) { e.mu.Lock(); delete(e.tasks, id); e.mu.Unlock() }
func (e *fakeEngine) NextDue(id string) (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tasks[id]
	if !ok {
		return time.Time{}, false
	}
	return t.Rule.Next(time.Date(2026, 3, 4, 12, 0, 0, 0, reportTokyo))
}

// golden compares v with testdata/name.golden.json (-update rewrites it).
func golden(t *testing.T, name string, v any) {
	t.Helper()
	goldenfile.JSON(t, name, v)
}

func messageText(m chat.Message) string { return chat.ReadText(m) }

// jsonEscaped is s as it appears inside a JSON string.
func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// slash answers cmd as the router would: the words after /toban report
// go to Command.
func slash(f *Feature, cmd slack.SlashCommand) chat.Response {
	c, err := chat.SplitCommand(cmd.Text)
	if err != nil || c.Name != "report" {
		panic(fmt.Sprintf("not a report command: %q", cmd.Text))
	}
	return f.Command(c.Args, chat.Invocation{UserID: cmd.UserID, ChannelID: cmd.ChannelID, ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID})
}

// interact answers cb as the router would: a submission to Submission,
// a click on the feature's buttons to Click.
func interact(ctx context.Context, f *Feature, cb slack.InteractionCallback) chat.Response {
	if cb.Type == slack.InteractionTypeViewSubmission {
		return f.Submission(ctx, cb)
	}
	return f.Click(cb, cb.ActionCallback.BlockActions[0])
}

func reportApp(t *testing.T) (*Feature, *reportSlack, *reportPD, *storage.DB) {
	t.Helper()
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "toban.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, pd := &reportSlack{}, &reportPD{}
	now := time.Date(2026, 3, 11, 9, 0, 0, 0, reportTokyo) // a Wednesday
	a := &Feature{Slack: s, Source: pd, Services: pd, Subscriptions: db, Clicks: db, Uploader: s, Store: db, Location: reportTokyo, Admins: map[string]bool{"UADMIN": true},
		Now: func() time.Time { return now }, Log: zerolog.Nop()}
	return a, s, pd, db
}

func TestReportCommand(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		wantAck  string
		wantThen bool
	}{
		{"Default", "report", "incident report of last week", true},
		{"Named", "report month Billing", "incident report of this month", true},
		{"Dates", "report 2026-02-01 2026-02-28 --incidents", "2026-02-01 to 2026-02-28", true},
		{"Help", "report help", "Usage: `/toban report", false},
		{"ErrOneDate", "report 2026-02-01", "give two dates", false},
		{"ErrBadDate", "report 2026-02-31 2026-03-01", "is not a date", false},
		{"ErrOption", "report week --csv", "I don't know the option --csv", false},
		{"ErrTooLong", "report 2020-01-01 2026-01-01", "at most 366 days", false},
		{"Schedule", "report schedule", "", true},
		{"Schedules", "report schedules", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, s, _, _ := reportApp(t)
			res := slash(a, slack.SlashCommand{Text: tt.text, UserID: "U1", ChannelID: "C1", ResponseURL: "https://r"})
			ack, _ := json.Marshal(res.Ack)
			if tt.wantAck == "" && res.Ack != nil || !strings.Contains(string(ack), jsonEscaped(tt.wantAck)) {
				t.Errorf("ack = %s, want %q", ack, tt.wantAck)
			}
			if (res.Then != nil) != tt.wantThen {
				t.Errorf("slow work = %v, want %v", res.Then != nil, tt.wantThen)
			}
			if !tt.wantThen && (len(s.posts) > 0 || len(s.files) > 0) {
				t.Error("bad arguments posted something")
			}
		})
	}
}

func TestReportCommandPosts(t *testing.T) {
	ctx := context.Background()
	t.Run("SubscribedServicesByDefault", func(t *testing.T) {
		a, s, pd, db := reportApp(t)
		if err := db.Subscribe(ctx, domain.Subscription{ChannelID: "C1", ServiceID: "PSVC2", ServiceName: "Billing", Urgencies: []string{"high"}}); err != nil {
			t.Fatal(err)
		}
		res := slash(a, slack.SlashCommand{Text: "report --incidents", UserID: "U1", ChannelID: "C1", ResponseURL: "https://r"})
		if err := res.Then(ctx); err != nil {
			t.Fatal(err)
		}
		if len(pd.calls) != 1 || strings.Join(pd.calls[0], ",") != "PSVC2" {
			t.Errorf("asked PagerDuty for %v, want the subscribed PSVC2", pd.calls)
		}
		if len(s.posts) != 1 || !strings.Contains(messageText(s.posts[0]), "services this channel is subscribed to") {
			t.Fatalf("posts = %+v", s.posts)
		}
		want := "C1/incident-report_2026-03-02_2026-03-08.csv C1/incident-report_2026-03-02_2026-03-08_incidents.csv C1/incident-report_2026-03-02_2026-03-08.png"
		if got := strings.Join(s.files, " "); got != want {
			t.Errorf("files = %s, want %s", got, want)
		}
	})
	t.Run("NamedServices", func(t *testing.T) {
		a, _, pd, _ := reportApp(t)
		res := slash(a, slack.SlashCommand{Text: `report week checkout API "Billing Batch"`, UserID: "U1", ChannelID: "C1", ResponseURL: "https://r"})
		if err := res.Then(ctx); err != nil {
			t.Fatal(err)
		}
		if len(pd.calls) != 1 || strings.Join(pd.calls[0], ",") != "PSVC1,PSVC3" {
			t.Errorf("asked for %v, want PSVC1,PSVC3", pd.calls)
		}
	})
	t.Run("ErrUnknownServiceIsUsage", func(t *testing.T) {
		a, s, pd, _ := reportApp(t)
		res := slash(a, slack.SlashCommand{Text: "report week Bill", UserID: "U1", ChannelID: "C1", ResponseURL: "https://r"})
		if err := res.Then(ctx); err != nil {
			t.Fatal(err)
		}
		if len(s.posts) != 0 || len(pd.calls) != 0 || len(s.respond) != 1 || !strings.Contains(s.respond[0].Text, "matches several services (Billing, Billing Batch)") ||
			!strings.Contains(s.respond[0].Text, "Usage") {
			t.Errorf("posts %d, PagerDuty calls %d, answers %+v; want only an answer with usage", len(s.posts), len(pd.calls), s.respond)
		}
	})
	t.Run("ErrUploadIsTold", func(t *testing.T) {
		a, s, _, _ := reportApp(t)
		s.failFile = true
		res := slash(a, slack.SlashCommand{Text: "report", UserID: "U1", ChannelID: "C1", ResponseURL: "https://r"})
		if err := res.Then(ctx); err == nil || len(s.posts) != 1 {
			t.Errorf("err = %v with %d posts; want the table posted and the upload failure returned", err, len(s.posts))
		}
	})
}

func TestResolveServices(t *testing.T) {
	all := []domain.Service{{ID: "PSVC1", Name: "Checkout API"}, {ID: "PSVC2", Name: "Billing"}, {ID: "PSVC3", Name: "Billing Batch"}, {ID: "PSVC4", Name: "Search"}}
	tests := []struct {
		words   []string
		want    string
		wantErr string
	}{
		{[]string{"Checkout", "API"}, "PSVC1", ""},
		{[]string{"billing"}, "PSVC2", ""},
		{[]string{"Billing", "Batch", "search"}, "PSVC3,PSVC4", ""},
		{[]string{"PSVC4", "checkout"}, "PSVC4,PSVC1", ""},
		{[]string{"sear", "Search"}, "PSVC4", ""},
		{[]string{"Bill"}, "", "matches several services"},
		{[]string{"Payments"}, "", `No PagerDuty service is called "Payments"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.words, "_"), func(t *testing.T) {
			got, err := resolveServices(all, tt.words)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			var ids []string
			for _, s := range got {
				ids = append(ids, s.ID)
			}
			if err != nil || strings.Join(ids, ",") != tt.want {
				t.Errorf("got %v, %v; want %s", ids, err, tt.want)
			}
		})
	}
}

func TestReportMessageGolden(t *testing.T) {
	r := report.Compute(report.Input{Period: reportWeek, Incidents: reportIncidents()})
	golden(t, "report_message", chat.AckMessage(reportMessage(r, "all services")))
	empty := report.Compute(report.Input{Period: reportWeek, Services: []report.Service{{ID: "PSVC2", Name: "Billing"}}})
	golden(t, "report_empty", chat.AckMessage(reportMessage(empty, "Billing")))
	golden(t, "report_schedule_modal", reportScheduleModal("C1", reportTokyo))
}

func TestReportMessageManyServices(t *testing.T) {
	var in []report.Incident
	for i := range 300 {
		in = append(in, report.Incident{ID: "P", ServiceID: string(rune('A'+i%26)) + string(rune('a'+i/26)), ServiceName: strings.Repeat("x", 40),
			Created: reportWeek.Since.Add(time.Duration(i) * time.Minute)})
	}
	msg := reportMessage(report.Compute(report.Input{Period: reportWeek, Incidents: in}), "all services")
	if len(msg.Blocks) > 50 {
		t.Errorf("%d blocks, Slack allows 50", len(msg.Blocks))
	}
	for _, b := range msg.Blocks {
		if s, ok := b.(*slack.SectionBlock); ok && len(s.Text.Text) > 3000 {
			t.Errorf("a section of %d characters, Slack allows 3000", len(s.Text.Text))
		}
	}
	if !strings.Contains(messageText(msg), "… 270 more") {
		t.Errorf("the table does not sum up the services beyond %d", reportTableRows)
	}
}
