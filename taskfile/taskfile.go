// Package taskfile reads and writes scheduled operations tasks in bulk, so
// that a team can keep hundreds of them in a spreadsheet or a YAML file and
// load them into toban at once. Both formats have the same fields:
//
//	id           optional: the ID of the toban task the row updates (as
//	             export writes it); empty means a new task
//	title        required, one line, at most 200 characters
//	description  optional, e.g. a runbook link
//	channel      a Slack channel ID (C0123ABCD) or #name; resolving a name
//	             is the caller's job
//	schedule     daily 09:00, weekdays 09:00, weekly mon,wed 09:00,
//	             monthly 15 18:00, monthly last 18:00,
//	             once 2026-12-01 10:00, cron 0 9 * * 1-5 (see ParseSchedule)
//	timezone     an IANA zone such as Europe/Berlin; empty means the
//	             default passed to Parse
//	grace        minutes (15) or a Go duration (15m, 1h30m), 0 to 24h, whole
//	             minutes; required when the task escalates
//	escalation   none (or empty), oncall:<schedule name or ID>,
//	             incident:<service name or ID>
//
// A CSV file starts with a header naming the columns, in any order and
// case; title, channel and schedule are required. Commas, semicolons and
// tabs are recognised as separators. A YAML file is a list of mappings, or
// a mapping with one key, tasks, holding that list.
//
// It owns the file formats. It may import domain, scheduler,
// internal/csvrows and internal/csvsep; never an adapter or a feature.
package taskfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tobanbot/toban/internal/csvsep"
	"github.com/tobanbot/toban/scheduler"
)

// The file formats.
const (
	FormatYAML = "yaml"
	FormatCSV  = "csv"
)

// Escalation kinds of a Row: the same strings as domain.EscalateNone,
// EscalateOnCall and EscalateIncident.
const (
	EscalationNone     = "none"
	EscalationOnCall   = "oncall"
	EscalationIncident = "incident"
)

// Limits Parse enforces. The title and description limits match storage's.
const (
	MaxTitle       = 200 // runes
	MaxDescription = 3000
	MaxGrace       = 24 * time.Hour
	MaxFileSize    = 4 << 20 // bytes
	MaxRows        = 5000
)

// columns are the fields of a task, in the order Write puts them.
var columns = []string{"id", "title", "description", "channel", "schedule", "timezone", "grace", "escalation"}

func isColumn(name string) bool {
	for _, c := range columns {
		if c == name {
			return true
		}
	}
	return false
}

// Row is one task read from or written to a file.
type Row struct {
	// Line is where the task starts in the file (1 is the first line);
	// Write ignores it.
	Line int
	// ID is the task the row updates, as written; empty for a new task.
	ID string
	// Title and Description are trimmed of surrounding white space.
	Title, Description string
	// Channel is a Slack channel ID or "#name", as written (names in lower
	// case).
	Channel string
	// Rule is the schedule, with Location set to the row's time zone.
	Rule scheduler.Rule
	// Grace is a whole number of minutes, 0 to MaxGrace.
	Grace time.Duration
	// EscalationKind is EscalationNone, EscalationOnCall or
	// EscalationIncident; EscalationTarget is the schedule or service name
	// or ID as written, empty for none.
	EscalationKind, EscalationTarget string
}

// RowError is a problem with one field of one task, or with the file as a
// whole (Field empty; Line 0 when it has no line).
type RowError struct {
	Line  int
	Field string
	Msg   string
}

// Error returns, for example, "line 7: schedule: \"25:00\" is not a time
// of day; ...".
func (e RowError) Error() string {
	s := e.Msg
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	if e.Line > 0 {
		s = "line " + strconv.Itoa(e.Line) + ": " + s
	}
	return s
}

// record is one task as read, before validation: field name → raw value.
type record struct {
	line   int
	fields map[string]string
}

// Parse reads tasks in format ("yaml", "csv", or "" to tell from the
// content) and checks every one of them: the schedule (with
// Rule.Validate(now), so a once schedule in the past is refused), the time
// zone (empty means defaultZone; nil means UTC), title, channel, grace and
// escalation syntax, and that no two tasks share a title in the same
// channel (case-insensitively) or an ID. A row with an ID may keep a once
// schedule that has passed, so that an exported past task imports again;
// whether that ID exists, and whether its schedule changed, is the caller's
// to check. It returns the tasks that passed, in file
// order, and every problem found, ordered by line: for CSV the physical line where
// the row starts, the header being line 1; for YAML the line where the item
// starts. Import only when there is no error. A UTF-8 byte order mark is
// ignored. An empty file, or a header alone, has no tasks and no error.
func Parse(r io.Reader, format string, defaultZone *time.Location, now time.Time) ([]Row, []RowError) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	switch {
	case err != nil:
		return nil, []RowError{{Msg: "Could not read the file: " + err.Error()}}
	case len(data) > MaxFileSize:
		return nil, []RowError{{Msg: fmt.Sprintf("The file is larger than %d MiB; split it.", MaxFileSize>>20)}}
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return nil, []RowError{{Msg: "The file is UTF-16; save it as CSV UTF-8 (or YAML) instead."}}
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalid(data)], []byte("\n"))
		return nil, []RowError{{Line: line, Msg: "The file is not UTF-8 text; save it as CSV UTF-8 (or YAML) instead."}}
	}
	if format == "" {
		format = sniff(data)
	}
	var recs []record
	var errs []RowError
	switch format {
	case FormatYAML:
		recs, errs = readYAML(data)
	case FormatCSV:
		recs, errs = readCSV(data)
	default:
		return nil, []RowError{{Msg: fmt.Sprintf("%s is not a task file format; use yaml or csv.", quote(format))}}
	}
	if len(recs) > MaxRows {
		errs = append(errs, RowError{Line: recs[MaxRows].line, Msg: fmt.Sprintf("A file may hold at most %d tasks; split it.", MaxRows)})
		recs = recs[:MaxRows]
	}
	rows, rowErrs := checkRecords(recs, defaultZone, now)
	errs = append(errs, rowErrs...)
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	return rows, errs
}

func firstInvalid(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// sniff tells CSV, whose first line is a header naming a column, from YAML.
func sniff(data []byte) string {
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		first := strings.FieldsFunc(line, func(r rune) bool { return r == csvsep.Guess(line) })
		if len(first) > 1 && isColumn(strings.ToLower(strings.Trim(first[0], "\" "))) {
			return FormatCSV
		}
		return FormatYAML
	}
	return FormatYAML
}

// checkRecords validates every record, and the titles across records.
func checkRecords(recs []record, defaultZone *time.Location, now time.Time) ([]Row, []RowError) {
	if defaultZone == nil {
		defaultZone = time.UTC
	}
	zones := map[string]*time.Location{}
	firstLine := map[string]int{} // channel and title, folded → line
	idLine := map[string]int{}
	var rows []Row
	var errs []RowError
	for _, rec := range recs {
		row, rowErrs := checkRecord(rec, defaultZone, now, zones)
		if row.Title != "" && row.Channel != "" {
			key := strings.ToLower(row.Channel) + "\x00" + strings.ToLower(row.Title)
			if line, dup := firstLine[key]; dup {
				rowErrs = append(rowErrs, RowError{Line: rec.line, Field: "title",
					Msg: fmt.Sprintf("Line %d already has a task titled %s in %s.", line, quote(row.Title), row.Channel)})
			} else {
				firstLine[key] = rec.line
			}
		}
		if row.ID != "" {
			if line, dup := idLine[row.ID]; dup {
				rowErrs = append(rowErrs, RowError{Line: rec.line, Field: "id",
					Msg: fmt.Sprintf("Line %d already updates task %s.", line, row.ID)})
			} else {
				idLine[row.ID] = rec.line
			}
		}
		if len(rowErrs) > 0 {
			errs = append(errs, rowErrs...)
			continue
		}
		rows = append(rows, row)
	}
	return rows, errs
}

// checkRecord turns one record into a row, with an error per bad field.
func checkRecord(rec record, defaultZone *time.Location, now time.Time, zones map[string]*time.Location) (Row, []RowError) {
	row := Row{Line: rec.line}
	var errs []RowError
	bad := func(field, format string, args ...any) {
		errs = append(errs, RowError{Line: rec.line, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	f := rec.fields

	row.ID = strings.TrimSpace(f["id"])
	if row.ID != "" && !validID(row.ID) {
		bad("id", "%s is not a task ID; keep the id column as export wrote it, or leave it empty for a new task.", quote(row.ID))
	}
	row.Title = strings.TrimSpace(f["title"])
	switch n := utf8.RuneCountInString(row.Title); {
	case n == 0:
		bad("title", "A title is required.")
	case n > MaxTitle:
		bad("title", "The title is %d characters long; keep it to %d.", n, MaxTitle)
	case strings.ContainsFunc(row.Title, isControl):
		bad("title", "The title must be one line of text.")
	}
	row.Description = strings.TrimSpace(f["description"])
	if n := utf8.RuneCountInString(row.Description); n > MaxDescription {
		bad("description", "The description is %d characters long; keep it to %d.", n, MaxDescription)
	} else if strings.ContainsFunc(row.Description, func(r rune) bool { return r != '\n' && r != '\t' && isControl(r) }) {
		bad("description", "The description contains control characters.")
	}

	if ch, err := checkChannel(f["channel"]); err != "" {
		bad("channel", "%s", err)
	} else {
		row.Channel = ch
	}

	loc := defaultZone
	if name := strings.TrimSpace(f["timezone"]); name != "" {
		var err string
		if loc, err = loadZone(name, zones); err != "" {
			bad("timezone", "%s", err)
			loc = time.UTC // to check the schedule all the same
		}
	}
	rule, err := ParseSchedule(f["schedule"], loc)
	if err == nil {
		err = rule.Validate(now)
		var fe *scheduler.FieldError
		if errors.As(err, &fe) {
			err = errors.New(fe.Msg)
			if row.ID != "" && rule.Kind == scheduler.KindOnce && rule.Validate(time.Unix(0, 0)) == nil {
				err = nil // a past task exported and imported again
			}
		}
	}
	if err != nil {
		bad("schedule", "%s", err.Error())
	}
	row.Rule = rule

	kind, target, escErr := parseEscalation(f["escalation"])
	if escErr != "" {
		bad("escalation", "%s", escErr)
	}
	row.EscalationKind, row.EscalationTarget = kind, target

	grace := strings.TrimSpace(f["grace"])
	if grace == "" && escErr == "" && kind != EscalationNone {
		bad("grace", "Say how long to wait before escalating, e.g. 15m.")
	} else if grace != "" {
		d, err := parseGrace(grace)
		if err != "" {
			bad("grace", "%s", err)
		}
		row.Grace = d
	}
	return row, errs
}

// validID reports whether id can be a task ID: at most 64 letters, digits
// and _-.: as storage allows.
func validID(id string) bool {
	if len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-.:", c)) {
			return false
		}
	}
	return true
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7F || r >= 0x80 && r < 0xA0 }

// checkChannel accepts a channel ID or a #name (folded to lower case).
func checkChannel(s string) (string, string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", "A channel is required: its ID (C0123ABCD) or #name."
	case strings.HasPrefix(s, "#"):
		name := strings.ToLower(s[1:])
		ok := name != "" && len(name) <= 80
		for _, c := range name {
			ok = ok && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')
		}
		if !ok {
			return "", quote(s) + " is not a channel name; use lower-case letters, digits, - and _."
		}
		return "#" + name, ""
	}
	ok := len(s) >= 2 && len(s) <= 32 && strings.ContainsRune("CGD", rune(s[0]))
	for _, c := range s {
		ok = ok && (c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')
	}
	if !ok {
		return "", quote(s) + " is not a channel; use its ID (C0123ABCD) or #name."
	}
	return s, ""
}

func loadZone(name string, cache map[string]*time.Location) (*time.Location, string) {
	if loc, ok := cache[name]; ok {
		return loc, ""
	}
	if name == "Local" {
		return nil, "Name the time zone, such as Europe/Berlin; Local depends on the server."
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, quote(name) + " is not a time zone; use an IANA name such as Europe/Berlin or America/New_York."
	}
	cache[name] = loc
	return loc, ""
}

// parseGrace reads minutes ("15") or a Go duration ("15m", "1h30m").
func parseGrace(s string) (time.Duration, string) {
	var d time.Duration
	if n, err := strconv.Atoi(s); err == nil && len(s) <= 5 {
		d = time.Duration(n) * time.Minute
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, quote(s) + " is not a grace period; use minutes (15) or a duration (15m, 1h)."
	}
	switch {
	case d < 0 || d > MaxGrace:
		return 0, fmt.Sprintf("The grace period must be between 0 and %s, not %s.", formatGrace(MaxGrace), quote(s))
	case d%time.Minute != 0:
		return 0, fmt.Sprintf("The grace period must be whole minutes, not %s.", quote(s))
	}
	return d, ""
}

// formatGrace writes whole hours as 2h and anything else in minutes.
func formatGrace(d time.Duration) string {
	if d%time.Hour == 0 && d != 0 {
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
}

// parseEscalation reads none, oncall:<target> or incident:<target>.
func parseEscalation(s string) (kind, target, problem string) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, EscalationNone) {
		return EscalationNone, "", ""
	}
	k, t, _ := strings.Cut(s, ":")
	kind, target = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(t)
	switch {
	case kind != EscalationOnCall && kind != EscalationIncident:
		return EscalationNone, "", quote(s) + " is not an escalation; use none, oncall:<schedule> or incident:<service>."
	case target == "" && kind == EscalationOnCall:
		return EscalationNone, "", "Name the PagerDuty schedule whose on-call person to mention, e.g. oncall:Primary."
	case target == "":
		return EscalationNone, "", "Name the PagerDuty service to trigger an incident on, e.g. incident:Database."
	}
	return kind, target, ""
}
