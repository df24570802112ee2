package scheduler

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// Kind is the shape of a recurrence rule.
type Kind string

// The kinds of rule.
const (
	// KindOnce is due once, on Date at At.
	KindOnce Kind = "once"
	// KindDaily is due every day at At.
	KindDaily Kind = "daily"
	// KindWeekdays is due Monday to Friday at At.
	KindWeekdays Kind = "weekdays"
	// KindWeekly is due at At on each of Weekdays.
	KindWeekly Kind = "weekly"
	// KindMonthlyDay is due at At on day Day of every month; in a month
	// without that day (Day 31 in April, Day 30 in February) it is due on
	// the month's last day instead, so it never skips a month.
	KindMonthlyDay Kind = "monthly_day"
	// KindMonthlyLast is due at At on the last day of every month.
	KindMonthlyLast Kind = "monthly_last"
	// KindCron is due whenever the five-field cron expression Cron matches.
	KindCron Kind = "cron"
)

// Rule says when a task is due. Which fields matter depends on Kind; the
// others are ignored. All times are local to Location, and all due times
// fall on a whole minute. See the package comment for what happens to local
// times that a daylight-saving transition skips or repeats.
type Rule struct {
	Kind Kind
	// At is the local time of day, "HH:MM" on a 24-hour clock, for every
	// kind except cron.
	At string
	// Date is the local date, "YYYY-MM-DD", of a once rule.
	Date string
	// Weekdays are the days of a weekly rule; order and repeats do not
	// matter.
	Weekdays []time.Weekday
	// Day is the day of the month, 1 to 31, of a monthly_day rule. In months
	// shorter than Day the rule is due on the month's last day: Day 31 is due
	// on 30 April and on 28 February (29 February in leap years).
	Day int
	// Cron is a standard five-field expression (minute hour day-of-month
	// month day-of-week), or a descriptor: @yearly, @annually, @monthly,
	// @weekly, @daily, @midnight, @hourly. It is parsed by
	// github.com/robfig/cron/v3 ParseStandard. @every is refused (its due
	// times would depend on when the process started, not on the calendar),
	// as is a TZ= or CRON_TZ= prefix: the time zone is Location.
	Cron string
	// Location is the task's time zone; nil means UTC.
	Location *time.Location
}

// FieldError says which field of a Rule is wrong and why, in a sentence fit
// to show the person who filled in the form.
type FieldError struct {
	// Field is one of "kind", "at", "date", "weekdays", "day", "cron".
	Field string
	// Msg is a human sentence.
	Msg string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate reports whether the rule is complete and well-formed and can
// still come due after now: a once rule at or before now is invalid, and so
// is a cron expression that matches no date (such as 30 February). The error
// is a *FieldError.
func (r Rule) Validate(now time.Time) error {
	s, err := r.compile()
	if err != nil {
		return err
	}
	if _, ok := s.next(now.Unix()); !ok {
		switch r.Kind {
		case KindOnce:
			return fieldErr("date", "%s at %s (%s) is in the past.", r.Date, r.At, locName(r.Location))
		case KindCron:
			return fieldErr("cron", "%q never matches a date (like 30 February).", strings.TrimSpace(r.Cron))
		}
		return fieldErr("kind", "The rule never comes due.")
	}
	return nil
}

// Next returns the first due time strictly after after, in the rule's
// Location, and false when there is none: the rule is invalid, or it is a
// once rule already past.
func (r Rule) Next(after time.Time) (time.Time, bool) {
	s, err := r.compile()
	if err != nil {
		return time.Time{}, false
	}
	n, ok := s.next(after.Unix())
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(n, 0).In(s.loc), true
}

// Prev returns the last due time at or before t, in the rule's Location, and
// false when there is none.
func (r Rule) Prev(t time.Time) (time.Time, bool) {
	s, err := r.compile()
	if err != nil {
		return time.Time{}, false
	}
	p, ok := s.prev(t.Unix())
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(p, 0).In(s.loc), true
}

// String describes the rule for people, for example "every weekday at 09:00
// (Asia/Tokyo)" or "on the last day of every month at 18:00 (UTC)".
func (r Rule) String() string {
	tz := " (" + locName(r.Location) + ")"
	switch r.Kind {
	case KindOnce:
		return "once on " + r.Date + " at " + r.At + tz
	case KindDaily:
		return "every day at " + r.At + tz
	case KindWeekdays:
		return "every weekday at " + r.At + tz
	case KindWeekly:
		days := SortedDays(r.Weekdays)
		names := make([]string, len(days))
		for i, d := range days {
			names[i] = d.String()
		}
		return "every " + joinAnd(names) + " at " + r.At + tz
	case KindMonthlyDay:
		s := "on the " + ordinal(r.Day) + " of every month"
		if r.Day >= 29 {
			s += " (the last day in shorter months)"
		}
		return s + " at " + r.At + tz
	case KindMonthlyLast:
		return "on the last day of every month at " + r.At + tz
	case KindCron:
		return "cron " + strings.TrimSpace(r.Cron) + tz
	}
	return fmt.Sprintf("unknown rule kind %q", string(r.Kind))
}

// compile checks everything about the rule that does not depend on the
// current time and returns it in evaluable form.
func (r Rule) compile() (schedule, error) {
	s := schedule{kind: r.Kind, loc: r.Location}
	if s.loc == nil {
		s.loc = time.UTC
	}
	switch r.Kind {
	case KindOnce, KindDaily, KindWeekdays, KindWeekly, KindMonthlyDay, KindMonthlyLast:
		at, err := parseAt(r.At)
		if err != nil {
			return schedule{}, err
		}
		s.at = at
	case KindCron:
	case "":
		return schedule{}, fieldErr("kind", "Choose how often the task repeats.")
	default:
		return schedule{}, fieldErr("kind", "%q is not a kind of schedule; use once, daily, weekdays, weekly, monthly_day, monthly_last or cron.", string(r.Kind))
	}
	switch r.Kind {
	case KindOnce:
		if r.Date == "" {
			return schedule{}, fieldErr("date", "A date is required, as YYYY-MM-DD.")
		}
		d, err := time.Parse(time.DateOnly, r.Date)
		if err != nil || len(r.Date) != len(time.DateOnly) {
			if isDateShaped(r.Date) {
				return schedule{}, fieldErr("date", "%s is not a day of the calendar.", r.Date)
			}
			return schedule{}, fieldErr("date", "%q is not a date; use YYYY-MM-DD, e.g. 2026-12-01.", r.Date)
		}
		s.once = d.Unix() + s.at
	case KindWeekdays:
		s.days = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday
	case KindWeekly:
		if len(r.Weekdays) == 0 {
			return schedule{}, fieldErr("weekdays", "Pick at least one day of the week.")
		}
		for _, d := range r.Weekdays {
			if d < time.Sunday || d > time.Saturday {
				return schedule{}, fieldErr("weekdays", "%d is not a day of the week.", int(d))
			}
			s.days |= 1 << d
		}
	case KindMonthlyDay:
		if r.Day < 1 || r.Day > 31 {
			return schedule{}, fieldErr("day", "The day of the month must be between 1 and 31, not %d.", r.Day)
		}
		s.day = r.Day
	case KindCron:
		spec, err := parseCron(r.Cron)
		if err != nil {
			return schedule{}, err
		}
		s.spec = spec
	}
	return s, nil
}

// parseAt parses "HH:MM" into seconds after midnight.
func parseAt(at string) (int64, error) {
	if at == "" {
		return 0, fieldErr("at", "A time of day is required, as HH:MM on a 24-hour clock, e.g. 09:00.")
	}
	bad := func() error {
		return fieldErr("at", "%q is not a time of day; use HH:MM on a 24-hour clock, e.g. 09:00.", at)
	}
	if len(at) != 5 || at[2] != ':' || !isDigits(at[:2]) || !isDigits(at[3:]) {
		return 0, bad()
	}
	h := int64(at[0]-'0')*10 + int64(at[1]-'0')
	m := int64(at[3]-'0')*10 + int64(at[4]-'0')
	if h > 23 || m > 59 {
		return 0, bad()
	}
	return h*3600 + m*60, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isDateShaped(s string) bool {
	return len(s) == 10 && s[4] == '-' && s[7] == '-' && isDigits(s[:4]) && isDigits(s[5:7]) && isDigits(s[8:])
}

// Parsed cron expressions are shared: tasks often use the same few, and
// parsing costs far more than evaluating. The cache is dropped whole when it
// grows past cronCacheMax, which bounds it however many expressions come by.
const cronCacheMax = 4096

var (
	cronCache  sync.Map // string → *cron.SpecSchedule
	cronCached atomic.Int64
)

func parseCron(expr string) (*cron.SpecSchedule, error) {
	if v, ok := cronCache.Load(expr); ok {
		return v.(*cron.SpecSchedule), nil
	}
	spec, err := parseCronUncached(strings.TrimSpace(expr))
	if err != nil {
		return nil, err
	}
	if cronCached.Add(1) > cronCacheMax {
		cronCache.Clear()
		cronCached.Store(1)
	}
	cronCache.Store(expr, spec)
	return spec, nil
}

func parseCronUncached(expr string) (spec *cron.SpecSchedule, err error) {
	switch {
	case expr == "":
		return nil, fieldErr("cron", "A cron expression is required, e.g. 0 9 * * 1-5.")
	case strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ="):
		return nil, fieldErr("cron", "Set the task's time zone instead of putting TZ= in the expression.")
	case strings.HasPrefix(expr, "@every"):
		return nil, fieldErr("cron", "@every intervals are not supported; use a five-field expression such as */15 * * * *.")
	}
	defer func() {
		if p := recover(); p != nil { // robfig has panicked on odd input before
			spec, err = nil, fieldErr("cron", "%q is not a valid cron expression.", expr)
		}
	}()
	sched, perr := cron.ParseStandard(expr)
	if perr != nil {
		return nil, fieldErr("cron", "%q is not a valid cron expression: %v.", expr, perr)
	}
	spec, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return nil, fieldErr("cron", "%q is not a calendar schedule; use a five-field expression.", expr)
	}
	return spec, nil
}

func locName(loc *time.Location) string {
	if loc == nil {
		return "UTC"
	}
	return loc.String()
}

// SortedDays returns the distinct valid days, Monday first.
func SortedDays(days []time.Weekday) []time.Weekday {
	var mask uint8
	for _, d := range days {
		if d >= time.Sunday && d <= time.Saturday {
			mask |= 1 << d
		}
	}
	out := make([]time.Weekday, 0, 7)
	for _, d := range weekOrder {
		if mask&(1<<d) != 0 {
			out = append(out, d)
		}
	}
	return out
}

var weekOrder = [...]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return "(no day)"
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}
