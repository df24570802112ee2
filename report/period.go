package report

import (
	"fmt"
	"strings"
	"time"
)

// The named periods. Each is made of whole local days in the report's time
// zone (TOBAN_TIMEZONE): a day starts at local midnight, a week on Monday,
// a month on its first day.
const (
	Today     = "today"
	Week      = "week"       // this week so far, from Monday
	Month     = "month"      // this month so far
	LastWeek  = "last-week"  // the previous Monday to Sunday
	LastMonth = "last-month" // the previous calendar month
	Custom    = "custom"     // from one date to another, both included
)

// MaxDays bounds a custom period: PagerDuty lists incidents of at most a
// few months at a time, and a longer report is a different question.
const MaxDays = 366

// DateLayout is how dates are written in commands: 2026-03-31.
const DateLayout = "2006-01-02"

// Period is a half-open interval [Since, Until) of whole local days.
type Period struct {
	// Name is one of the named periods, or Custom.
	Name  string
	Since time.Time
	Until time.Time
}

// Contains reports whether t falls in the period; a zero period contains
// everything.
func (p Period) Contains(t time.Time) bool {
	if p.Since.IsZero() && p.Until.IsZero() {
		return true
	}
	return !t.Before(p.Since) && t.Before(p.Until)
}

// Location is the period's time zone.
func (p Period) Location() *time.Location {
	if p.Since.IsZero() {
		return time.UTC
	}
	return p.Since.Location()
}

// LastDay is the period's last local day (Until minus a day, at midnight).
func (p Period) LastDay() time.Time {
	u := p.Until.In(p.Location())
	return time.Date(u.Year(), u.Month(), u.Day()-1, 0, 0, 0, 0, p.Location())
}

// Title names the period for people: "last week", "2026-03-01 to 2026-03-31".
func (p Period) Title() string {
	switch p.Name {
	case Today:
		return "today"
	case Week:
		return "this week"
	case Month:
		return "this month"
	case LastWeek:
		return "last week"
	case LastMonth:
		return "last month"
	}
	return p.Since.Format(DateLayout) + " to " + p.LastDay().Format(DateLayout)
}

// Label is Title and Dates together, without saying a custom period's
// dates twice: "last week — Mon 2 Mar – Sun 8 Mar 2026 (Asia/Tokyo)".
func (p Period) Label() string {
	if p.Name == Custom {
		return p.Dates()
	}
	return p.Title() + " — " + p.Dates()
}

// Dates describes the days covered: "Mon 2 Mar – Sun 8 Mar 2026 (Asia/Tokyo)".
func (p Period) Dates() string {
	first, last := p.Since.In(p.Location()), p.LastDay()
	var s string
	switch {
	case first.Equal(last):
		s = first.Format("Mon 2 Jan 2006")
	case first.Year() == last.Year():
		s = first.Format("Mon 2 Jan") + " – " + last.Format("Mon 2 Jan 2006")
	default:
		s = first.Format("Mon 2 Jan 2006") + " – " + last.Format("Mon 2 Jan 2006")
	}
	return s + " (" + p.Location().String() + ")"
}

// Days returns local midnight of every day of the period, in order.
func (p Period) Days() []time.Time {
	var out []time.Time
	loc := p.Location()
	s := p.Since.In(loc)
	for d := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, loc); d.Before(p.Until); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc) {
		out = append(out, d)
	}
	return out
}

// IsPeriodName reports whether s names a period (case-insensitive).
func IsPeriodName(s string) bool {
	switch strings.ToLower(s) {
	case Today, Week, Month, LastWeek, LastMonth:
		return true
	}
	return false
}

// NamedPeriod returns the period called name as it stands at now, in loc.
func NamedPeriod(name string, now time.Time, loc *time.Location) (Period, error) {
	if loc == nil {
		loc = time.UTC
	}
	n := now.In(loc)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	// Monday of this week: Go's weeks start on Sunday (0).
	monday := today.AddDate(0, 0, -(int(today.Weekday())+6)%7)
	firstOfMonth := time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, loc)
	name = strings.ToLower(name)
	switch name {
	case Today:
		return Period{Name: name, Since: today, Until: today.AddDate(0, 0, 1)}, nil
	case Week:
		return Period{Name: name, Since: monday, Until: monday.AddDate(0, 0, 7)}, nil
	case Month:
		return Period{Name: name, Since: firstOfMonth, Until: firstOfMonth.AddDate(0, 1, 0)}, nil
	case LastWeek:
		return Period{Name: name, Since: monday.AddDate(0, 0, -7), Until: monday}, nil
	case LastMonth:
		return Period{Name: name, Since: firstOfMonth.AddDate(0, -1, 0), Until: firstOfMonth}, nil
	}
	return Period{}, fmt.Errorf("%q is not a period: use today, week, month, last-week, last-month or two dates", name)
}

// DateRange returns the period from the local day from to the local day
// to, both included, both written as 2026-03-31.
func DateRange(from, to string, loc *time.Location) (Period, error) {
	if loc == nil {
		loc = time.UTC
	}
	f, err := time.ParseInLocation(DateLayout, from, loc)
	if err != nil {
		return Period{}, fmt.Errorf("%q is not a date like 2026-03-01", from)
	}
	t, err := time.ParseInLocation(DateLayout, to, loc)
	if err != nil {
		return Period{}, fmt.Errorf("%q is not a date like 2026-03-31", to)
	}
	if t.Before(f) {
		return Period{}, fmt.Errorf("the period ends (%s) before it starts (%s)", to, from)
	}
	until := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
	if until.Sub(f) > MaxDays*24*time.Hour+time.Hour { // an hour of DST slack
		return Period{}, fmt.Errorf("a report covers at most %d days", MaxDays)
	}
	return Period{Name: Custom, Since: f, Until: until}, nil
}

// ParseArgs reads an optional period from the start of args — a period
// name, or two dates — and returns it with the remaining words. Without a
// period it returns def at now.
func ParseArgs(args []string, def string, now time.Time, loc *time.Location) (Period, []string, error) {
	switch {
	case len(args) > 0 && IsPeriodName(args[0]):
		p, err := NamedPeriod(args[0], now, loc)
		return p, args[1:], err
	case len(args) > 0 && looksLikeDate(args[0]):
		if len(args) < 2 || !looksLikeDate(args[1]) {
			return Period{}, nil, fmt.Errorf("give two dates, from and to: %s 2026-03-31", args[0])
		}
		p, err := DateRange(args[0], args[1], loc)
		return p, args[2:], err
	}
	p, err := NamedPeriod(def, now, loc)
	return p, args, err
}

// looksLikeDate reports whether s is shaped like 2026-03-31, so that a
// mistyped date is reported as a date, not taken for a service name.
func looksLikeDate(s string) bool {
	if len(s) != len(DateLayout) {
		return false
	}
	for i, r := range s {
		if i == 4 || i == 7 {
			if r != '-' {
				return false
			}
		} else if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
