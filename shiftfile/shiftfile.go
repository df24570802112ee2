// Package shiftfile reads on-call shifts from a CSV file (exported from
// the team's rota spreadsheet) and turns them into PagerDuty schedule
// overrides, all or nothing: every row is checked first, and a file with
// one bad row changes nothing.
//
// A file has a header naming its columns, in any order:
//
//	schedule,email,start,end,timezone
//	Primary,bob@example.com,2026-12-01 09:00,2026-12-01 18:00,Asia/Tokyo
//	PABC123,carol@example.com,2026-12-01T18:00:00+09:00,2026-12-02T09:00:00+09:00,
//
// schedule is a schedule's name or ID; email the PagerDuty user's email;
// start and end are RFC 3339 times, or "2026-12-01 09:00" read in the
// row's timezone (an IANA name or an offset like +09:00), else in the
// default zone given to Parse. Comma, semicolon and tab separators work.
//
// It owns the file format. It may import domain, internal/csvrows and
// internal/csvsep; never an adapter or a feature.
package shiftfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tobanbot/toban/internal/csvrows"
	"github.com/tobanbot/toban/internal/csvsep"
)

// MaxBytes and MaxRows bound what Parse accepts: a rota, not a data dump.
const (
	MaxBytes = 2 << 20
	MaxRows  = 5000
)

// maxSyntaxErrors bounds the CSV syntax errors reported before giving up.
const maxSyntaxErrors = 50

// Row is one shift as the file says it.
type Row struct {
	// Line is the file line the row starts on (the header is line 1).
	Line     int
	Schedule string // name or ID, as written
	Email    string
	Start    time.Time
	End      time.Time
	// Zone is the zone the row's times are written in: its timezone column,
	// else the default zone naive times were read in; nil when the times
	// carry their own offsets and no timezone column says more.
	Zone *time.Location
}

// RowError is one problem, with the line it is on (0 for the whole file).
type RowError struct {
	Line int
	Msg  string
}

// Error returns, for example, "line 7: end 08:00 is before start 09:00".
func (e RowError) Error() string {
	if e.Line > 0 {
		return "line " + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return e.Msg
}

// columns maps accepted header names to the column they mean.
var columns = map[string]string{
	"schedule": "schedule", "schedule name": "schedule", "schedule id": "schedule", "rota": "schedule",
	"email": "email", "user": "email", "user email": "email", "user_email": "email", "e-mail": "email",
	"start": "start", "from": "start", "starts": "start",
	"end": "end", "until": "end", "to": "end", "ends": "end",
	"timezone": "timezone", "time zone": "timezone", "time_zone": "timezone", "tz": "timezone", "zone": "timezone",
}

// Parse reads a shift file. Rows whose naive times have no zone of their
// own are read in defaultZone; with a nil defaultZone they are errors.
// Every problem is reported, each with its line (a row's problems joined on
// one); rows are returned only when there is none. Check also looks the rows
// up in PagerDuty, in the same pass.
func Parse(r io.Reader, defaultZone *time.Location) ([]Row, []RowError) {
	f := parse(r, defaultZone)
	errs := f.errs
	for i, row := range f.rows {
		if len(f.problems[i]) > 0 {
			errs = append(errs, RowError{row.Line, strings.Join(f.problems[i], "; ") + "."})
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		return nil, errs
	}
	if len(f.rows) == 0 {
		return nil, []RowError{{Msg: "The file has a header but no shifts."}}
	}
	return f.rows, nil
}

// parsed is a file as parse read it: every row it could read, each with
// its problems (none for a good row), and the problems of the file itself
// (header, CSV syntax, size).
type parsed struct {
	rows     []Row
	problems [][]string // per row, without a final full stop
	errs     []RowError
	// header is true when the header was read and named every column
	// needed, so that rows could be read at all.
	header bool
}

func parse(r io.Reader, defaultZone *time.Location) parsed {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return parsed{errs: []RowError{{Msg: "The file could not be read: " + err.Error()}}}
	}
	if len(data) > MaxBytes {
		return parsed{errs: []RowError{{Msg: fmt.Sprintf("The file is larger than %d MB; split it.", MaxBytes>>20)}}}
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // spreadsheets write a BOM
	firstLine, _, _ := strings.Cut(strings.TrimLeft(string(data), "\r\n"), "\n")
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = csvsep.Guess(firstLine)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return parsed{errs: []RowError{{Msg: "The file is empty; it needs a header (schedule,email,start,end,timezone) and one row per shift."}}}
	}
	if err != nil {
		return parsed{errs: []RowError{csvError(err)}}
	}
	headerLine, _ := cr.FieldPos(0)
	index := map[string]int{}
	var errs []RowError
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		col, known := columns[name]
		switch {
		case name == "":
		case !known:
			errs = append(errs, RowError{headerLine, fmt.Sprintf("Unknown column %q; use schedule, email, start, end and timezone.", truncate(h, 40))})
		case index[col] != 0:
			errs = append(errs, RowError{headerLine, fmt.Sprintf("The column %s appears twice.", col)})
		default:
			index[col] = i + 1 // 0 means absent
		}
	}
	for _, col := range []string{"schedule", "email", "start", "end"} {
		if index[col] == 0 {
			errs = append(errs, RowError{headerLine, "The header has no " + col + " column."})
		}
	}
	if len(errs) > 0 {
		return parsed{errs: errs} // the rows cannot be read without their columns
	}
	get := func(values []string, col string) string {
		if i := index[col] - 1; i >= 0 && i < len(values) {
			return strings.TrimSpace(values[i])
		}
		return ""
	}

	f := parsed{header: true}
	csvrows.Read(cr, maxSyntaxErrors, func(line int, values []string) bool {
		if blank(values) {
			return true
		}
		if len(f.rows) >= MaxRows {
			f.errs = append(f.errs, RowError{line, fmt.Sprintf("The file has more than %d rows; split it.", MaxRows)})
			return false
		}
		row, problems := parseRow(line, get(values, "schedule"), get(values, "email"), get(values, "start"), get(values, "end"), get(values, "timezone"), defaultZone)
		if len(values) > len(header) {
			problems = append(problems, fmt.Sprintf("the row has %d values but the header %d columns; quote values that contain the separator", len(values), len(header)))
		}
		f.rows = append(f.rows, row)
		f.problems = append(f.problems, problems)
		return true
	}, func(err error) { f.errs = append(f.errs, csvError(err)) })
	return f
}

func parseRow(line int, schedule, email, start, end, zone string, defaultZone *time.Location) (Row, []string) {
	row := Row{Line: line, Schedule: schedule, Email: email}
	var problems []string
	if schedule == "" {
		problems = append(problems, "no schedule")
	}
	if email == "" {
		problems = append(problems, "no email")
	} else if !validEmail(email) {
		problems = append(problems, fmt.Sprintf("%q is not an email address", truncate(email, 60)))
	}
	loc := defaultZone
	if zone != "" {
		z, err := parseZone(zone)
		if err != nil {
			problems = append(problems, err.Error())
			z = time.UTC // the row is refused anyway; read its times for more hints
		}
		loc = z
	}
	if zone != "" || !hasOffset(start) {
		row.Zone = loc
	}
	var err error
	if row.Start, err = parseTime(start, loc, zone != ""); err != nil {
		problems = append(problems, "start: "+err.Error())
	}
	if row.End, err = parseTime(end, loc, zone != ""); err != nil {
		problems = append(problems, "end: "+err.Error())
	}
	if !row.Start.IsZero() && !row.End.IsZero() && !row.End.After(row.Start) {
		problems = append(problems, fmt.Sprintf("end %s is not after start %s", end, start))
	}
	return row, problems
}

// validEmail reports whether s looks like an email address: something, @,
// something, and no spaces or list separators.
func validEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at >= 1 && at < len(s)-1 && !strings.ContainsAny(s, " ,;<>")
}

var offsetPattern = regexp.MustCompile(`^(UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$`)

// parseZone reads an IANA zone name, UTC, or an offset like +09:00.
func parseZone(s string) (*time.Location, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "utc") || strings.EqualFold(s, "z") || strings.EqualFold(s, "gmt") {
		return time.UTC, nil
	}
	if m := offsetPattern.FindStringSubmatch(strings.ToUpper(s)); m != nil {
		h, _ := strconv.Atoi(m[3])
		mins, _ := strconv.Atoi(m[4])
		if h > 14 || mins > 59 {
			return nil, fmt.Errorf("timezone %q is not an offset", s)
		}
		secs := h*3600 + mins*60
		if m[2] == "-" {
			secs = -secs
		}
		return time.FixedZone(s, secs), nil
	}
	if !strings.Contains(s, "/") || strings.ContainsAny(s, " .\\") || strings.HasPrefix(s, "/") {
		return nil, fmt.Errorf("timezone %q is not an IANA name like Asia/Tokyo or an offset like +09:00", truncate(s, 40))
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, fmt.Errorf("timezone %q is not an IANA name like Asia/Tokyo or an offset like +09:00", truncate(s, 40))
	}
	return loc, nil
}

// Layouts of times with their own offset, then of naive ones.
var (
	zonedLayouts = []string{time.RFC3339, "2006-01-02T15:04Z07:00", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04Z07:00",
		"2006-01-02 15:04:05 Z07:00", "2006-01-02 15:04 Z07:00", "2006-01-02 15:04 -0700", "2006-01-02 15:04:05 -0700"}
	naiveLayouts = []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05",
		"2006/01/02 15:04", "2006/01/02 15:04:05"}
)

// parseTime reads a time with its own offset, or a naive one in loc. A
// time whose own offset disagrees with the row's timezone is refused: one
// of the two is wrong, and a shift nine hours off is an outage.
func parseTime(s string, loc *time.Location, zoneGiven bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("missing")
	}
	for _, layout := range zonedLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if zoneGiven && loc != nil {
			_, got := t.Zone()
			_, want := t.In(loc).Zone()
			if got != want {
				return time.Time{}, fmt.Errorf("%q has an offset that does not match the row's timezone %s", s, loc)
			}
		}
		return t, nil
	}
	for _, layout := range naiveLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if loc == nil {
			return time.Time{}, fmt.Errorf("%q has no time zone; add a timezone column or an offset like +09:00", s)
		}
		local := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc)
		if local.Hour() != t.Hour() || local.Minute() != t.Minute() {
			return time.Time{}, fmt.Errorf("%s does not exist in %s (the clocks change then)", s, loc)
		}
		return local, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time; write 2026-12-01 09:00 or 2026-12-01T09:00:00+09:00", truncate(s, 40))
}

// hasOffset reports whether s is a time with its own offset.
func hasOffset(s string) bool {
	for _, layout := range zonedLayouts {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

func blank(values []string) bool {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func csvError(err error) RowError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return RowError{Line: pe.StartLine, Msg: "The file is not valid CSV: " + pe.Err.Error() + "; put values with quotes or separators in double quotes."}
	}
	return RowError{Msg: "The file is not valid CSV: " + err.Error() + "."}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
