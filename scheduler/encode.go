package scheduler

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Encode returns the rule as one line of text for storage, for example
//
//	weekly;at=09:00;days=mon,wed;tz=Europe/Berlin
//	monthly_day;at=18:00;day=31;tz=UTC
//	once;date=2026-12-01;at=10:00;tz=Europe/Berlin
//	cron;expr=0 9 * * 1-5;tz=Asia/Tokyo
//
// The kind comes first, then only the fields that kind uses, always in the
// order date, at, days, day, expr, tz. Days are lower-case three-letter
// names, Monday first, without repeats. A nil Location is written as UTC.
// "%" and ";" inside a value are written as %25 and %3B. The format is
// stable: DecodeRule reads anything Encode has written.
func (r Rule) Encode() string {
	var b strings.Builder
	b.WriteString(escape(string(r.Kind)))
	add := func(key, value string) {
		b.WriteByte(';')
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(escape(value))
	}
	known := true
	switch r.Kind {
	case KindOnce, KindDaily, KindWeekdays, KindWeekly, KindMonthlyDay, KindMonthlyLast, KindCron:
	default:
		known = false // write whatever is set, so nothing is lost
	}
	if r.Kind == KindOnce || !known && r.Date != "" {
		add("date", r.Date)
	}
	if r.Kind != KindCron && (known || r.At != "") {
		add("at", r.At)
	}
	if r.Kind == KindWeekly || !known && len(r.Weekdays) > 0 {
		days := SortedDays(r.Weekdays)
		names := make([]string, len(days))
		for i, d := range days {
			names[i] = dayAbbrev[d]
		}
		add("days", strings.Join(names, ","))
	}
	if r.Kind == KindMonthlyDay || !known && r.Day != 0 {
		add("day", strconv.Itoa(r.Day))
	}
	if r.Kind == KindCron || !known && r.Cron != "" {
		add("expr", r.Cron)
	}
	add("tz", locName(r.Location))
	return b.String()
}

// DecodeRule reads a rule written by Encode. It checks everything that does
// not depend on the current time, so a once rule in the past decodes (use
// Validate to refuse one); a problem with a field is reported as a
// *FieldError, reachable with errors.As. A missing tz means UTC. Decoded
// rules share one *time.Location per zone name.
func DecodeRule(s string) (Rule, error) {
	r, err := decodeRule(s)
	if err != nil {
		return Rule{}, fmt.Errorf("scheduler: decode rule %q: %w", s, err)
	}
	return r, nil
}

func decodeRule(s string) (Rule, error) {
	parts := strings.Split(s, ";")
	kind, err := unescape(parts[0])
	if err != nil {
		return Rule{}, err
	}
	if kind == "" {
		return Rule{}, errors.New("no kind")
	}
	r := Rule{Kind: Kind(kind), Location: time.UTC}
	seen := make(map[string]bool, len(parts))
	for _, p := range parts[1:] {
		key, value, ok := strings.Cut(p, "=")
		if !ok {
			return Rule{}, fmt.Errorf("%q is not key=value", p)
		}
		if seen[key] {
			return Rule{}, fmt.Errorf("%s appears twice", key)
		}
		seen[key] = true
		if value, err = unescape(value); err != nil {
			return Rule{}, err
		}
		if !keyApplies(r.Kind, key) {
			return Rule{}, fmt.Errorf("%s does not apply to a %s rule", key, kind)
		}
		switch key {
		case "date":
			r.Date = value
		case "at":
			r.At = value
		case "days":
			if r.Weekdays, err = parseDays(value); err != nil {
				return Rule{}, err
			}
		case "day":
			d, err := strconv.Atoi(value)
			if err != nil {
				return Rule{}, fieldErr("day", "%q is not a day of the month.", value)
			}
			r.Day = d
		case "expr":
			r.Cron = value
		case "tz":
			loc, err := loadLocation(value)
			if err != nil {
				return Rule{}, err
			}
			r.Location = loc
		}
	}
	if _, err := r.compile(); err != nil {
		return Rule{}, err
	}
	return r, nil
}

func keyApplies(k Kind, key string) bool {
	switch key {
	case "tz":
		return true
	case "date":
		return k == KindOnce
	case "at":
		return k != KindCron
	case "days":
		return k == KindWeekly
	case "day":
		return k == KindMonthlyDay
	case "expr":
		return k == KindCron
	}
	return false
}

var dayAbbrev = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// parseDays reads "mon,wed": three-letter or full English day names, in any
// case.
func parseDays(s string) ([]time.Weekday, error) {
	if s == "" {
		return nil, fieldErr("weekdays", "Pick at least one day of the week.")
	}
	var days []time.Weekday
	for name := range strings.SplitSeq(s, ",") {
		d, ok := dayByName(name)
		if !ok {
			return nil, fieldErr("weekdays", "%q is not a day of the week.", name)
		}
		days = append(days, d)
	}
	return days, nil
}

func dayByName(name string) (time.Weekday, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for d := time.Sunday; d <= time.Saturday; d++ {
		if name == dayAbbrev[d] || name == strings.ToLower(d.String()) {
			return d, true
		}
	}
	return 0, false
}

var (
	escaper   = strings.NewReplacer("%", "%25", ";", "%3B")
	unescaper = strings.NewReplacer("%25", "%", "%3B", ";", "%3b", ";")
)

func escape(s string) string { return escaper.Replace(s) }

func unescape(s string) (string, error) {
	// Every % must start one of the two escapes.
	for i := strings.IndexByte(s, '%'); i >= 0; {
		rest := s[i:]
		if !strings.HasPrefix(rest, "%25") && !strings.HasPrefix(rest, "%3B") && !strings.HasPrefix(rest, "%3b") {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		next := strings.IndexByte(rest[3:], '%')
		if next < 0 {
			break
		}
		i += 3 + next
	}
	return unescaper.Replace(s), nil
}

// Zones are loaded once per name and shared: time.LoadLocation reads the
// zone database each time, and every copy holds its own transition table.
var zones sync.Map // string → *time.Location

func loadLocation(name string) (*time.Location, error) {
	switch name {
	case "", "UTC":
		return time.UTC, nil
	case "Local":
		return time.Local, nil
	}
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	v, _ := zones.LoadOrStore(name, loc)
	return v.(*time.Location), nil
}
