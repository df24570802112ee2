package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/report"
	"github.com/tobanbot/toban/scheduler"
)

var tokyoZone, _ = time.LoadLocation("Asia/Tokyo")

// reportWeekStart is Monday 2 March 2026, 00:00 in Tokyo.
var reportWeekStart = time.Date(2026, 3, 2, 0, 0, 0, 0, tokyoZone)

// seedReportWeek puts 127 incidents with known timestamps into PagerDuty,
// all created in the week from reportWeekStart (Tokyo), plus two just
// outside it:
//
// Checkout API (PSVC1), i = 1…120, created at Monday 00:00 + i·50 min:
// acknowledged by Alice i minutes after creation unless i is a multiple of
// 20; resolved by Bob 3·i minutes after creation for i ≤ 110 (111…120 are
// open); escalated to level 2 (by timeout) 30 s after creation when i is a
// multiple of 10.
//
// Billing (PSVC2), k = 0…6, created Tuesday 10:00 + k hours, acknowledged
// after 30, 90, 45, 600, 120, 75 and 3600 s, resolved after 10·(k+1)
// minutes; the last one escalated twice.
func seedReportWeek(t *testing.T, pd *pdfake.Server) {
	t.Helper()
	add := func(in pdfake.Incident, escalations ...time.Duration) {
		got := pd.AddIncident(in)
		for _, after := range escalations {
			if err := pd.AddEscalation(got.ID, 2, "", in.CreatedAt.Add(after)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 1; i <= 120; i++ {
		c := reportWeekStart.Add(time.Duration(i) * 50 * time.Minute)
		in := pdfake.Incident{Title: fmt.Sprintf("checkout errors %d", i), ServiceID: "PSVC1", CreatedAt: c, Status: pdfake.StatusTriggered}
		if i%20 != 0 {
			in.Status, in.Acknowledgers = pdfake.StatusAcknowledged, []pdfake.Ack{{UserID: "PU1", At: c.Add(time.Duration(i) * time.Minute)}}
		}
		if i <= 110 {
			in.Status, in.ResolvedBy, in.ResolvedAt = pdfake.StatusResolved, "PU2", c.Add(time.Duration(3*i)*time.Minute)
		}
		var esc []time.Duration
		if i%10 == 0 {
			esc = append(esc, 30*time.Second)
		}
		add(in, esc...)
	}
	for k, ack := range []int{30, 90, 45, 600, 120, 75, 3600} {
		c := reportWeekStart.Add(34*time.Hour + time.Duration(k)*time.Hour)
		var esc []time.Duration
		if k == 6 {
			esc = []time.Duration{10 * time.Second, 20 * time.Second}
		}
		add(pdfake.Incident{Title: fmt.Sprintf("billing lag %d", k), ServiceID: "PSVC2", CreatedAt: c, Status: pdfake.StatusResolved,
			Acknowledgers: []pdfake.Ack{{UserID: "PU1", At: c.Add(time.Duration(ack) * time.Second)}},
			ResolvedBy:    "PU1", ResolvedAt: c.Add(time.Duration(10*(k+1)) * time.Minute)}, esc...)
	}
	// Outside the week: Sunday night, and Monday 00:30 in Tokyo — which is
	// still Sunday 15:30 in UTC, inside the week there.
	for _, c := range []time.Time{reportWeekStart.Add(-30 * time.Minute), reportWeekStart.AddDate(0, 0, 7).Add(30 * time.Minute)} {
		add(pdfake.Incident{Title: "outside", ServiceID: "PSVC2", CreatedAt: c, Status: pdfake.StatusResolved, ResolvedAt: c.Add(time.Minute)})
	}
}

// wantReportCSV is the service sheet of seedReportWeek, worked out by hand
// (see TestComputeFixture in the report package for the working): seconds
// of mean, nearest-rank median and p90.
var wantReportCSV = []map[string]string{
	{"row": "service", "service_id": "PSVC1", "service": "Checkout API", "incidents": "120", "escalations": "12", "acknowledged": "114",
		"resolved": "110", "open": "10", "resolved_unacknowledged": "5",
		"mtta_seconds": "3600", "median_tta_seconds": "3540", "p90_tta_seconds": "6480",
		"mttr_seconds": "9990", "median_ttr_seconds": "9900", "p90_ttr_seconds": "17820", "mtta": "1h 00m", "p90_ttr": "4h 57m"},
	{"row": "service", "service_id": "PSVC2", "service": "Billing", "incidents": "7", "escalations": "2", "acknowledged": "7",
		"resolved": "7", "open": "0", "resolved_unacknowledged": "0",
		"mtta_seconds": "651.429", "median_tta_seconds": "90", "p90_tta_seconds": "3600",
		"mttr_seconds": "2400", "median_ttr_seconds": "2400", "p90_ttr_seconds": "4200", "median_tta": "1m 30s"},
	{"row": "total", "service_id": "", "service": "Total", "incidents": "127", "escalations": "14", "acknowledged": "121",
		"resolved": "117", "open": "10", "resolved_unacknowledged": "5",
		"mtta_seconds": "3429.421", "median_tta_seconds": "3420", "p90_tta_seconds": "6420",
		"mttr_seconds": "9535.897", "median_ttr_seconds": "9360", "p90_ttr_seconds": "17820", "mttr": "2h 38m",
		"period_start": "2026-03-02T00:00:00+09:00", "period_end": "2026-03-09T00:00:00+09:00"},
}

// checkReportCSV parses the service sheet back and compares every figure.
func checkReportCSV(t *testing.T, data []byte) {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v\n%s", err, data)
	}
	if !slices.Equal(rows[0], report.Header) || rows[0][0] != "row" || rows[0][22] != "p90_ttr" {
		t.Fatalf("header = %v, want %v", rows[0], report.Header)
	}
	if len(rows) != 1+len(wantReportCSV) {
		t.Fatalf("%d rows, want header + %d:\n%s", len(rows), len(wantReportCSV), data)
	}
	for i, want := range wantReportCSV {
		for col, v := range want {
			if got := rows[i+1][slices.Index(report.Header, col)]; got != v {
				t.Errorf("%s %s = %q, want %q", want["service"], col, got, v)
			}
		}
	}
}

// waitFiles waits until Slack holds n files shared in channel.
func waitFiles(t *testing.T, s *slackfake.Server, channel string, n int) []slackfake.File {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var shared []slackfake.File
		for _, f := range s.Files() {
			if f.Channel == channel {
				shared = append(shared, f)
			}
		}
		if len(shared) >= n {
			return shared
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d files shared in %s, want %d", len(shared), channel, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func checkChart(t *testing.T, data []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("chart is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != report.ChartWidth || b.Dy() != report.ChartHeight {
		t.Errorf("chart is %dx%d, want %dx%d", b.Dx(), b.Dy(), report.ChartWidth, report.ChartHeight)
	}
	if n := colours(img); n < 50 {
		t.Errorf("chart has %d colours: it looks empty", n)
	}
}

func colours(img image.Image) int {
	seen := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[r>>8<<16|g>>8<<8|bl>>8] = true
		}
	}
	return len(seen)
}

func TestEndToEndReport(t *testing.T) {
	w := incidentWorld(t)
	w.env["TOBAN_TIMEZONE"] = "Asia/Tokyo"
	seedReportWeek(t, w.pd)
	clock := scheduler.NewFakeClock(time.Date(2026, 3, 11, 10, 0, 0, 0, tokyoZone)) // Wednesday of the week after
	w.startWith(t, func(m *Main) { m.Clock = clock })
	alice := w.slack.User("U1").In("C1")

	t.Run("ErrBadArgumentsAreUsageOnly", func(t *testing.T) {
		for _, text := range []string{"report 2026-03-02", "report last-week --pdf", "report 2026-03-09 2026-03-02"} {
			ack := alice.Slash(t, text)
			if !strings.Contains(string(ack.Payload), "Usage: `/toban report") {
				t.Errorf("/toban %s: ack = %s, want usage", text, ack.Payload)
			}
		}
		w.slack.Channel(t, "C1").ExpectNoMessage("Incident report")
	})

	w.pd.ClearRequests()
	ack := alice.Slash(t, "report last-week --incidents")
	if !strings.Contains(string(ack.Payload), "Reading PagerDuty") {
		t.Errorf("ack = %s", ack.Payload)
	}
	msg := w.slack.Channel(t, "C1").ExpectMessage("Incident report — last week")
	t.Run("Table", func(t *testing.T) {
		text := msg.Text()
		for _, want := range []string{"Mon 2 Mar – Sun 8 Mar 2026 (Asia/Tokyo)", "*127* incidents", "*14* escalations", "all services",
			"Checkout API  120", "10 still open: counted, but not in MTTR", "5 resolved without acknowledgement", "nearest-rank"} {
			if !strings.Contains(text, want) {
				t.Errorf("report lacks %q:\n%s", want, text)
			}
		}
	})
	files := waitFiles(t, w.slack, "C1", 3)
	byName := map[string][]byte{}
	for _, f := range files {
		byName[f.Name] = f.Content
	}
	t.Run("CSV", func(t *testing.T) {
		checkReportCSV(t, byName["incident-report_2026-03-02_2026-03-08.csv"])
	})
	t.Run("IncidentsCSV", func(t *testing.T) {
		rows, err := csv.NewReader(bytes.NewReader(byName["incident-report_2026-03-02_2026-03-08_incidents.csv"])).ReadAll()
		if err != nil || len(rows) != 128 || !slices.Equal(rows[0], report.IncidentHeader) {
			t.Fatalf("incidents sheet: %d rows, %v", len(rows), err)
		}
		if rows[1][4] != "checkout errors 1" || rows[1][5] != "2026-03-02T00:50:00+09:00" || rows[1][9] != "60" {
			t.Errorf("first incident row = %v", rows[1])
		}
	})
	t.Run("Chart", func(t *testing.T) {
		checkChart(t, byName["incident-report_2026-03-02_2026-03-08.png"])
	})
	t.Run("PagedThroughPagerDuty", func(t *testing.T) {
		if n := len(w.pd.RequestsTo("GET", "/incidents")); n < 2 {
			t.Errorf("%d incident pages for 127 incidents, want 2 or more", n)
		}
		if n := len(w.pd.RequestsTo("GET", "/log_entries")); n < 2 {
			t.Errorf("%d log entry pages, want 2 or more", n)
		}
	})
}

func TestEndToEndScheduledReportFiresOnce(t *testing.T) {
	w := incidentWorld(t)
	w.env["TOBAN_TIMEZONE"] = "Asia/Tokyo"
	seedReportWeek(t, w.pd)
	clock := scheduler.NewFakeClock(time.Date(2026, 3, 6, 15, 0, 0, 0, tokyoZone)) // Friday
	w.startWith(t, func(m *Main) { m.Clock = clock })
	alice := w.slack.User("U1").In("C1")

	alice.Slash(t, "report schedule")
	id, _ := view(t, w.slack, "U1", callback("report.schedule"))
	form := map[string]map[string]any{
		"period":   {"period": selected("static_select", "last-week")},
		"services": {"service": map[string]any{"type": "multi_external_select", "selected_options": []any{}}},
		"weekday":  {"weekday": selected("static_select", "mon")},
		"time":     {"time": map[string]any{"type": "timepicker", "selected_time": ""}},
	}
	t.Run("ErrNoTime", func(t *testing.T) {
		ack := w.slack.Submit(t, "U1", id, form)
		if !strings.Contains(string(ack.Payload), `"response_action":"errors"`) || !strings.Contains(string(ack.Payload), `"time"`) {
			t.Errorf("ack = %s, want an error on time", ack.Payload)
		}
	})
	form["time"]["time"] = map[string]any{"type": "timepicker", "selected_time": "09:00"}
	w.slack.Submit(t, "U1", id, form)
	w.slack.Channel(t, "C1").ExpectMessage("scheduled the incident report of *last week* for this channel's subscribed services (else all), every Monday at 09:00 (Asia/Tokyo)")

	clock.Advance(2*24*time.Hour + 17*time.Hour) // Monday 9 March, 08:00: not yet
	alice.Slash(t, "help")                       // a round trip: anything due would have fired by now
	w.slack.Channel(t, "C1").ExpectNoMessage("Incident report —")

	clock.Advance(time.Hour) // 09:00
	w.slack.Channel(t, "C1").ExpectMessage("Incident report — last week").ExpectText("Mon 2 Mar – Sun 8 Mar 2026 (Asia/Tokyo)")
	files := waitFiles(t, w.slack, "C1", 2)
	for _, f := range files {
		if strings.HasSuffix(f.Name, ".csv") {
			checkReportCSV(t, f.Content)
		} else {
			checkChart(t, f.Content)
		}
	}
	clock.Advance(10 * time.Minute)
	clock.BlockUntil(1) // the report engine sleeps until next Monday
	if n := countMessages(w.slack, "C1", "Incident report"); n != 1 {
		t.Errorf("%d reports posted, want exactly 1", n)
	}
	if n := len(w.slack.Files()); n != 2 {
		t.Errorf("%d files, want 2", n)
	}
}

func TestReportCLI(t *testing.T) {
	w := incidentWorld(t)
	seedReportWeek(t, w.pd)
	env := map[string]string{}
	for k, v := range w.env {
		if !strings.HasPrefix(k, "SLACK_") { // a report needs no Slack
			env[k] = v
		}
	}
	env["TOBAN_TIMEZONE"] = "Asia/Tokyo"
	runCLI := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"report"}, args...), envOf(env), &out, &errb)
		return code, out.String(), errb.String()
	}
	t.Run("CSV", func(t *testing.T) {
		code, out, errs := runCLI("--since", "2026-03-02", "--until", "2026-03-08", "--format", "csv")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		checkReportCSV(t, []byte(out))
	})
	t.Run("JSONOneService", func(t *testing.T) {
		chart := filepath.Join(t.TempDir(), "chart.png")
		code, out, errs := runCLI("--since", "2026-03-02T00:00:00+09:00", "--until", "2026-03-09T00:00:00+09:00",
			"--service", "billing", "--format", "json", "--incidents", "--chart", chart)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var got struct {
			Services []struct {
				Service string `json:"service"`
				TTA     struct {
					P90 float64 `json:"p90_seconds"`
				} `json:"time_to_acknowledge"`
			} `json:"services"`
			Incidents []json.RawMessage `json:"incidents"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		if len(got.Services) != 1 || got.Services[0].Service != "Billing" || got.Services[0].TTA.P90 != 3600 || len(got.Incidents) != 7 {
			t.Errorf("json = %s", out)
		}
		data, err := os.ReadFile(chart)
		if err != nil {
			t.Fatal(err)
		}
		checkChart(t, data)
	})
	t.Run("Table", func(t *testing.T) {
		code, out, _ := runCLI("--since", "2026-03-02", "--until", "2026-03-08")
		if code != 0 || !strings.Contains(out, "Total         127   14    10") || !strings.Contains(out, "(Asia/Tokyo)") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		tests := []struct {
			args []string
			code int
			want string
		}{
			{[]string{"--format", "xml"}, 2, "--format must be table, csv or json"},
			{[]string{"--until", "2026-03-08"}, 2, "--until needs --since"},
			{[]string{"--since", "2026-03-08", "--until", "2026-03-01"}, 2, "ends (2026-03-01) before it starts"},
			{[]string{"--since", "March"}, 2, "is neither a date"},
			{[]string{"--period", "fortnight"}, 2, "is not a period"},
			// Not a usage error: exit 1, no usage text.
			{[]string{"--since", "2026-03-02", "--service", "Payments"}, 1, `no PagerDuty service is called "Payments"`},
			{[]string{"extra"}, 2, `unexpected argument "extra"`},
		}
		for _, tt := range tests {
			code, _, errs := runCLI(tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.want) || strings.Contains(errs, "usage: toban report") != (tt.code == 2) {
				t.Errorf("%v: exit %d, %q; want %d and %q (usage only for exit 2)", tt.args, code, errs, tt.code, tt.want)
			}
		}
		delete(env, "PAGERDUTY_TOKEN")
		if code, _, errs := runCLI(); code != 1 || !strings.Contains(errs, "PAGERDUTY_TOKEN is not set") {
			t.Errorf("without a token: exit %d, %q", code, errs)
		}
	})
}
