package taskfile

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/scheduler"
)

var now = time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// rowKey is everything about a row but its line, with the rule canonical.
func rowKey(r Row) string {
	return fmt.Sprintf("id=%q %q %q %q %s grace=%s esc=%s:%q", r.ID, r.Title, r.Description, r.Channel, r.Rule.Encode(), r.Grace, r.EscalationKind, r.EscalationTarget)
}

func sameRows(t *testing.T, got, want []Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range got {
		if g, w := rowKey(got[i]), rowKey(want[i]); g != w {
			t.Errorf("row %d:\n got %s\nwant %s", i+1, g, w)
		}
	}
}

func sampleRows(t testing.TB) []Row {
	berlin, tokyo := mustZone(t, "Europe/Berlin"), mustZone(t, "Asia/Tokyo")
	return []Row{
		{ID: "t_abcdefgh2345", Title: "Check backups", Description: "Runbook: https://wiki.example.com/backups", Channel: "C0123ABCD",
			Rule: scheduler.Rule{Kind: scheduler.KindDaily, At: "09:00", Location: berlin}, EscalationKind: EscalationNone},
		{Title: "Rotate keys, then tell #security", Description: "Line one\nline two, with \"quotes\"\n\ttabbed", Channel: "#ops",
			Rule:  scheduler.Rule{Kind: scheduler.KindWeekly, At: "10:30", Weekdays: []time.Weekday{time.Monday, time.Wednesday}, Location: tokyo},
			Grace: 90 * time.Minute, EscalationKind: EscalationOnCall, EscalationTarget: "Primary: Ops"},
		{Title: "Month-end report", Channel: "G01", Rule: scheduler.Rule{Kind: scheduler.KindMonthlyLast, At: "18:00", Location: time.UTC},
			Grace: 0, EscalationKind: EscalationIncident, EscalationTarget: "PXYZ123"},
		{Title: "yes", Channel: "C02", Rule: scheduler.Rule{Kind: scheduler.KindMonthlyDay, Day: 15, At: "18:00", Location: berlin},
			Grace: 2 * time.Hour, EscalationKind: EscalationNone},
		{Title: "2026", Description: "- not a list\n# not a comment", Channel: "C03",
			Rule: scheduler.Rule{Kind: scheduler.KindOnce, Date: "2026-12-01", At: "10:00", Location: berlin}, Grace: 15 * time.Minute, EscalationKind: EscalationNone},
		{Title: "Weekday standup", Channel: "C03", Rule: scheduler.Rule{Kind: scheduler.KindCron, Cron: "0 9 * * 1-5", Location: tokyo}, EscalationKind: EscalationNone},
		{Title: "Daily check", Channel: "C04", Rule: scheduler.Rule{Kind: scheduler.KindWeekdays, At: "07:05", Location: time.UTC}, EscalationKind: EscalationNone},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, format := range []string{FormatYAML, FormatCSV} {
		t.Run(format, func(t *testing.T) {
			rows := sampleRows(t)
			var buf bytes.Buffer
			if err := Write(&buf, format, rows); err != nil {
				t.Fatalf("Write: %v", err)
			}
			for _, parseAs := range []string{format, ""} { // explicit, then sniffed
				got, errs := Parse(bytes.NewReader(buf.Bytes()), parseAs, mustZone(t, "America/New_York"), now)
				if len(errs) > 0 {
					t.Fatalf("Parse(%q) of\n%s\nerrors: %v", parseAs, buf.String(), errs)
				}
				sameRows(t, got, rows)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	rows := sampleRows(t)[:2]
	var csvOut, yamlOut bytes.Buffer
	if err := Write(&csvOut, FormatCSV, rows); err != nil {
		t.Fatal(err)
	}
	wantCSV := `id,title,description,channel,schedule,timezone,grace,escalation
t_abcdefgh2345,Check backups,Runbook: https://wiki.example.com/backups,C0123ABCD,daily 09:00,Europe/Berlin,,none
,"Rotate keys, then tell #security","Line one
line two, with ""quotes""
	tabbed",#ops,"weekly mon,wed 10:30",Asia/Tokyo,90m,oncall:Primary: Ops
`
	if got := csvOut.String(); got != wantCSV {
		t.Errorf("CSV:\n%s\nwant:\n%s", got, wantCSV)
	}
	if err := Write(&yamlOut, FormatYAML, rows[:1]); err != nil {
		t.Fatal(err)
	}
	wantYAML := `tasks:
  - id: t_abcdefgh2345
    title: Check backups
    description: 'Runbook: https://wiki.example.com/backups'
    channel: C0123ABCD
    schedule: daily 09:00
    timezone: Europe/Berlin
`
	if got := yamlOut.String(); got != wantYAML {
		t.Errorf("YAML:\n%s\nwant:\n%s", got, wantYAML)
	}
	badRule := []Row{{Title: "x", Channel: "C1", Rule: scheduler.Rule{Kind: "hourly"}}}
	if err := Write(&yamlOut, FormatCSV, badRule); err == nil {
		t.Error("Write of a rule of unknown kind: no error")
	}
	if err := Write(&yamlOut, "xlsx", rows); err == nil {
		t.Error("Write as xlsx: no error")
	}
}

func TestParseCSV(t *testing.T) {
	in := "\xEF\xBB\xBFTitle, Schedule ,channel,Grace,escalation,description\n" +
		"Check backups,daily 9:00,C0OPS,15,incident:Database,\"first, line\nsecond line\"\n" +
		",,,,,\n" + // a spreadsheet's empty row
		"\n" +
		"\"Say \"\"hi\"\"\",weekly mon 09:00,#Team-Ops,1h,oncall:Primary,\n"
	rows, errs := Parse(strings.NewReader(in), "", nil, now)
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := []Row{
		{Line: 2, Title: "Check backups", Description: "first, line\nsecond line", Channel: "C0OPS",
			Rule: scheduler.Rule{Kind: scheduler.KindDaily, At: "09:00", Location: time.UTC}, Grace: 15 * time.Minute,
			EscalationKind: EscalationIncident, EscalationTarget: "Database"},
		{Line: 6, Title: `Say "hi"`, Channel: "#team-ops", Rule: scheduler.Rule{Kind: scheduler.KindWeekly, At: "09:00", Weekdays: []time.Weekday{time.Monday}, Location: time.UTC},
			Grace: time.Hour, EscalationKind: EscalationOnCall, EscalationTarget: "Primary"},
	}
	sameRows(t, rows, want)
	for i := range rows {
		if rows[i].Line != want[i].Line {
			t.Errorf("row %d: Line = %d, want %d", i+1, rows[i].Line, want[i].Line)
		}
	}

	semicolons := "title;channel;schedule;timezone\nCheck;C1;weekly mon,tue 09:00;Asia/Tokyo\n"
	rows, errs = Parse(strings.NewReader(semicolons), "", nil, now)
	if len(errs) > 0 || len(rows) != 1 || rows[0].Rule.Location.String() != "Asia/Tokyo" || len(rows[0].Rule.Weekdays) != 2 {
		t.Errorf("semicolon CSV = %+v, %v; want one row in Asia/Tokyo on two days", rows, errs)
	}
}

func TestFiftyRowCSVWithOneBadRow(t *testing.T) {
	var b strings.Builder
	b.WriteString("title,description,channel,schedule,timezone,grace,escalation\n")
	line := 1
	for i := 1; i <= 50; i++ {
		desc := "plain"
		if i%10 == 0 {
			desc = "\"two\nlines\"" // moves every later row down a line
		}
		sched := "daily 09:00"
		if i == 37 {
			sched = "daily 9h"
		}
		fmt.Fprintf(&b, "Task %d,%s,C0OPS,%s,Europe/Berlin,15m,oncall:Primary\n", i, desc, sched)
		line++
		if i == 37 {
			break
		}
		if i%10 == 0 {
			line++
		}
	}
	wantLine := line
	for i := 38; i <= 50; i++ {
		fmt.Fprintf(&b, "Task %d,,C0OPS,weekdays 09:00,,,\n", i)
	}
	rows, errs := Parse(strings.NewReader(b.String()), FormatCSV, nil, now)
	if len(errs) != 1 || errs[0].Line != wantLine || errs[0].Field != "schedule" {
		t.Fatalf("errors = %v; want one, for the schedule on line %d", errs, wantLine)
	}
	if want := fmt.Sprintf(`line %d: schedule: "9h" is not a time of day`, wantLine); !strings.HasPrefix(errs[0].Error(), want) {
		t.Errorf("Error() = %q, want it to start with %q", errs[0].Error(), want)
	}
	if len(rows) != 49 {
		t.Errorf("valid rows = %d, want 49", len(rows))
	}
}

func TestParseErrors(t *testing.T) {
	const header = "title,channel,schedule,timezone,grace,escalation\n"
	tests := []struct {
		name, format, in string
		line             int
		field, msg       string
	}{
		{"EmptyTitle", FormatCSV, header + " ,C1,daily 09:00,,,\n", 2, "title", "A title is required"},
		{"LongTitle", FormatCSV, header + strings.Repeat("x", 201) + ",C1,daily 09:00,,,\n", 2, "title", "keep it to 200"},
		{"NoChannel", FormatCSV, header + "T,,daily 09:00,,,\n", 2, "channel", "A channel is required"},
		{"BadChannel", FormatCSV, header + "T,ops,daily 09:00,,,\n", 2, "channel", "is not a channel"},
		{"BadChannelName", FormatCSV, header + "T,#ops room,daily 09:00,,,\n", 2, "channel", "is not a channel name"},
		{"NoSchedule", FormatCSV, header + "T,C1,,,,\n", 2, "schedule", "A schedule is required"},
		{"BadSchedule", FormatCSV, header + "T,C1,every day,,,\n", 2, "schedule", `"every" is not a kind of schedule`},
		{"PastOnce", FormatCSV, header + "T,C1,once 2026-05-04 07:59,,,\n", 2, "schedule", "is in the past"},
		{"NeverCron", FormatCSV, header + "T,C1,cron 0 9 30 2 *,,,\n", 2, "schedule", "never matches"},
		{"BadZone", FormatCSV, header + "T,C1,daily 09:00,Mars/Olympus,,\n", 2, "timezone", "is not a time zone"},
		{"LocalZone", FormatCSV, header + "T,C1,daily 09:00,Local,,\n", 2, "timezone", "depends on the server"},
		{"BadGrace", FormatCSV, header + "T,C1,daily 09:00,,soon,\n", 2, "grace", "is not a grace period"},
		{"NegativeGrace", FormatCSV, header + "T,C1,daily 09:00,,-5m,\n", 2, "grace", "between 0 and 24h"},
		{"GraceOverADay", FormatCSV, header + "T,C1,daily 09:00,,25h,\n", 2, "grace", "between 0 and 24h"},
		{"GraceSeconds", FormatCSV, header + "T,C1,daily 09:00,,90s,\n", 2, "grace", "whole minutes"},
		{"GraceMissing", FormatCSV, header + "T,C1,daily 09:00,,,oncall:Primary\n", 2, "grace", "how long to wait"},
		{"BadEscalation", FormatCSV, header + "T,C1,daily 09:00,,5,page:me\n", 2, "escalation", "is not an escalation"},
		{"EscalationNoTarget", FormatCSV, header + "T,C1,daily 09:00,,5,incident:\n", 2, "escalation", "Name the PagerDuty service"},
		{"DuplicateTitle", FormatCSV, header + "Backups,C1,daily 09:00,,,\nother,C1,daily 09:00,,,\nBACKUPS ,C1,weekdays 10:00,,,\n", 4, "title", "Line 2 already has a task titled"},
		{"UnknownColumn", FormatCSV, "title,channel,schedule,owner\nT,C1,daily 09:00,me\n", 1, "owner", "Unknown column"},
		{"MissingColumn", FormatCSV, "title,schedule\nT,daily 09:00\n", 1, "channel", "no channel column"},
		{"ExtraValue", FormatCSV, header + "T,C1,daily 09:00,,,,surprise\n", 2, "", "has 7 values but the header 6 columns"},
		{"UnquotedComma", FormatCSV, header + "T,C1,weekly mon,wed 09:00,,,\n", 2, "schedule", "write it like weekly"},
		{"UnquotedCommaHint", FormatCSV, header + "T,C1,weekly mon,wed 09:00,,,\n", 2, "", "in double quotes"},
		{"BareQuote", FormatCSV, header + "T,C1,daily 09:00,,,\nSay \"hi\",C1,daily 09:00,,,\n", 3, "", "not valid CSV"},
		{"UTF16", "", "\xFF\xFEt\x00", 0, "", "UTF-16"},
		{"NotUTF8", FormatCSV, header + "T,C1,daily 09:00,,,\nCaf\xE9,C1,daily 09:00,,,\n", 3, "", "not UTF-8"},
		{"UnknownFormat", "xlsx", "", 0, "", "not a task file format"},
		{"YAMLSyntax", FormatYAML, "- title: T\n  channel: C1\n schedule: daily 09:00\n", 3, "", "not valid YAML"},
		{"YAMLNotAList", FormatYAML, "title: T\n", 1, "", "Expected a list of tasks"},
		{"YAMLItemNotMapping", FormatYAML, "- title: T\n  channel: C1\n  schedule: daily 09:00\n- just text\n", 4, "", "Each task must be"},
		{"YAMLUnknownField", FormatYAML, "tasks:\n  - title: T\n    channel: C1\n    schedule: daily 09:00\n  - titel: U\n    channel: C1\n    schedule: daily 09:00\n", 5, "titel", "Unknown field"},
		{"YAMLListValue", FormatYAML, "- title: T\n  channel: [C1, C2]\n  schedule: daily 09:00\n", 1, "channel", "single value"},
		{"YAMLTwice", FormatYAML, "- title: T\n  title: U\n  channel: C1\n  schedule: daily 09:00\n", 1, "title", "given twice"},
		{"BadID", FormatCSV, "id," + header + "t 1,T,C1,daily 09:00,,,\n", 2, "id", "is not a task ID"},
		{"DuplicateID", FormatCSV, "id," + header + "t_a,T,C1,daily 09:00,,,\nt_a,U,C1,daily 09:00,,,\n", 3, "id", "Line 2 already updates task t_a"},
		{"PastOnceNewTask", FormatCSV, "id," + header + ",T,C1,once 2026-05-04 07:59,,,\n", 2, "schedule", "is in the past"},
		{"YAMLTwoDocuments", FormatYAML, "- title: T\n---\n- title: U\n", 2, "", "more than one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := Parse(strings.NewReader(tt.in), tt.format, time.UTC, now)
			for _, e := range errs {
				if e.Line == tt.line && e.Field == tt.field && strings.Contains(e.Msg, tt.msg) {
					return
				}
			}
			t.Errorf("errors = %q; want one on line %d, field %q, containing %q", errs, tt.line, tt.field, tt.msg)
		})
	}
}

func TestParseYAML(t *testing.T) {
	in := `# Ops tasks
- title: Check backups
  channel: C0OPS
  schedule: daily 09:00
  grace: 15
  escalation: oncall:Primary
- &weekly
  title: Weekly review
  description: |
    See https://wiki.example.com/review
    and update the board.
  channel: '#ops'
  schedule: weekly fri 16:00
  timezone: Asia/Tokyo
- title: ~
  channel: C0OPS
  schedule: daily 10:00
`
	rows, errs := Parse(strings.NewReader(in), "", mustZone(t, "Europe/Berlin"), now)
	if len(errs) != 1 || errs[0].Line != 15 || errs[0].Field != "title" {
		t.Errorf("errors = %v; want the empty title on line 15", errs)
	}
	want := []Row{
		{Line: 2, Title: "Check backups", Channel: "C0OPS", Rule: scheduler.Rule{Kind: scheduler.KindDaily, At: "09:00", Location: mustZone(t, "Europe/Berlin")},
			Grace: 15 * time.Minute, EscalationKind: EscalationOnCall, EscalationTarget: "Primary"},
		{Line: 7, Title: "Weekly review", Description: "See https://wiki.example.com/review\nand update the board.", Channel: "#ops",
			Rule: scheduler.Rule{Kind: scheduler.KindWeekly, At: "16:00", Weekdays: []time.Weekday{time.Friday}, Location: mustZone(t, "Asia/Tokyo")}, EscalationKind: EscalationNone},
	}
	sameRows(t, rows, want)
	for i := range rows {
		if rows[i].Line != want[i].Line {
			t.Errorf("row %d: Line = %d, want %d", i+1, rows[i].Line, want[i].Line)
		}
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "\xEF\xBB\xBF", "tasks: []\n", "tasks:\n", "# nothing\n", "title,channel,schedule\n"} {
		rows, errs := Parse(strings.NewReader(in), "", nil, now)
		if len(rows) != 0 || len(errs) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want nothing", in, rows, errs)
		}
	}
	var buf bytes.Buffer
	for _, format := range []string{FormatYAML, FormatCSV} {
		buf.Reset()
		if err := Write(&buf, format, nil); err != nil {
			t.Fatal(err)
		}
		if rows, errs := Parse(&buf, "", nil, now); len(rows) != 0 || len(errs) != 0 {
			t.Errorf("%s round trip of no rows = %v, %v; want nothing", format, rows, errs)
		}
	}
}

// TestIDColumn: the id column is optional, so files written before it
// existed still import; a row with an ID may keep a once schedule that has
// passed (an exported past task), a new row may not.
func TestIDColumn(t *testing.T) {
	tests := []struct {
		name, in string
		wantIDs  []string
	}{
		{"OldFileWithoutID", "title,channel,schedule\nT,C1,daily 09:00\n", []string{""}},
		{"IDAndNew", "id,title,channel,schedule\nt_abc,T,C1,daily 09:00\n ,U,C1,daily 09:00\n", []string{"t_abc", ""}},
		{"IDLastColumn", "title,channel,schedule,ID\nT,C1,daily 09:00, t_abc \n", []string{"t_abc"}},
		{"PastOnceKept", "id,title,channel,schedule\nt_abc,T,C1,once 2026-05-01 10:00\n", []string{"t_abc"}},
		{"YAML", "- id: t_abc\n  title: T\n  channel: C1\n  schedule: daily 09:00\n- title: U\n  channel: C1\n  schedule: daily 09:00\n", []string{"t_abc", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, errs := Parse(strings.NewReader(tt.in), "", time.UTC, now)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantIDs) {
				t.Errorf("IDs = %q, want %q", got, tt.wantIDs)
			}
		})
	}
}

func TestRowError(t *testing.T) {
	tests := []struct {
		e    RowError
		want string
	}{
		{RowError{Line: 7, Field: "schedule", Msg: "Bad."}, "line 7: schedule: Bad."},
		{RowError{Line: 7, Msg: "Bad."}, "line 7: Bad."},
		{RowError{Field: "format", Msg: "Bad."}, "format: Bad."},
		{RowError{Msg: "Bad."}, "Bad."},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	var csvSeed, yamlSeed bytes.Buffer
	Write(&csvSeed, FormatCSV, sampleRows(f))
	Write(&yamlSeed, FormatYAML, sampleRows(f))
	for _, seed := range []string{
		csvSeed.String(), yamlSeed.String(), "", "\xEF\xBB\xBF", "title,channel,schedule\n\"a\nb\",C1,daily 09:00\n",
		"- &a {title: T, channel: C1, schedule: daily 09:00}\n- *a\n", "tasks: *x\n", "title;channel;schedule\n\"\n",
		"- title: T\n  channel: C1\n  schedule: cron 0 0 31 2 *\n", "- [a, b]\n- 1\n- {title: {a: b}}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, errs := Parse(bytes.NewReader(data), "", time.UTC, now)
		for _, e := range errs {
			if e.Line < 0 || e.Msg == "" {
				t.Fatalf("bad RowError %+v", e)
			}
		}
		if len(errs) > 0 {
			return
		}
		for _, format := range []string{FormatCSV, FormatYAML} {
			var buf bytes.Buffer
			if err := Write(&buf, format, rows); err != nil {
				t.Fatalf("Write %s of parsed rows: %v", format, err)
			}
			again, errs := Parse(&buf, format, time.UTC, now)
			if len(errs) > 0 || len(again) != len(rows) {
				t.Fatalf("%s round trip: %d rows, errors %v; want %d rows\n%s", format, len(again), errs, len(rows), buf.String())
			}
			for i := range rows {
				if rowKey(again[i]) != rowKey(rows[i]) {
					t.Fatalf("%s round trip row %d:\n got %s\nwant %s", format, i+1, rowKey(again[i]), rowKey(rows[i]))
				}
			}
		}
	})
}
