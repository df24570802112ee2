package taskfile

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/scheduler"
)

// ParseSchedule reads a schedule written for people into a rule in loc (nil
// means UTC):
//
//	daily 09:00
//	weekdays 09:00
//	weekly mon,wed 09:00
//	monthly 15 18:00
//	monthly last 18:00
//	once 2026-12-01 10:00
//	cron 0 9 * * 1-5
//
// Keywords and day names (three-letter or full English) are
// case-insensitive, times may be H:MM, and an "at" before the time is
// allowed ("daily at 9:00"). Weekly days are returned Monday first, without
// repeats. The rule is checked as far as that does not depend on the
// current time: a once rule in the past parses, and Rule.Validate(now)
// refuses it. The error is a sentence fit to show the person who wrote s.
func ParseSchedule(s string, loc *time.Location) (scheduler.Rule, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return scheduler.Rule{}, domain.Invalid("A schedule is required, e.g. daily 09:00 or weekly mon,wed 09:00.")
	}
	r := scheduler.Rule{Location: loc}
	kind, args := strings.ToLower(fields[0]), fields[1:]
	if kind != "cron" {
		args = dropAt(args)
	}
	usage := func(example string) error {
		return errors.New(quote(s) + " is not a " + kind + " schedule; write it like " + example + ".")
	}
	switch kind {
	case "daily", "weekdays", "weekday":
		if len(args) != 1 {
			return scheduler.Rule{}, usage(kind + " 09:00")
		}
		r.Kind, r.At = scheduler.KindDaily, clockTime(args[0])
		if kind != "daily" {
			r.Kind = scheduler.KindWeekdays
		}
	case "weekly":
		if len(args) < 2 {
			return scheduler.Rule{}, usage("weekly mon,wed 09:00")
		}
		days, err := parseDays(strings.Join(args[:len(args)-1], ","))
		if err != nil {
			return scheduler.Rule{}, err
		}
		r.Kind, r.Weekdays, r.At = scheduler.KindWeekly, days, clockTime(args[len(args)-1])
	case "monthly":
		if len(args) != 2 {
			return scheduler.Rule{}, usage("monthly 15 18:00 or monthly last 18:00")
		}
		r.At = clockTime(args[1])
		if strings.EqualFold(args[0], "last") {
			r.Kind = scheduler.KindMonthlyLast
			break
		}
		day, err := strconv.Atoi(args[0])
		if err != nil || len(args[0]) > 2 {
			return scheduler.Rule{}, errors.New(quote(args[0]) + " is not a day of the month; use 1 to 31, or last.")
		}
		r.Kind, r.Day = scheduler.KindMonthlyDay, day
	case "once":
		if len(args) != 2 {
			return scheduler.Rule{}, usage("once 2026-12-01 10:00")
		}
		r.Kind, r.Date, r.At = scheduler.KindOnce, args[0], clockTime(args[1])
	case "cron":
		if len(args) == 0 {
			return scheduler.Rule{}, usage("cron 0 9 * * 1-5")
		}
		r.Kind, r.Cron = scheduler.KindCron, strings.Join(args, " ")
	default:
		return scheduler.Rule{}, errors.New(quote(fields[0]) + " is not a kind of schedule; start with daily, weekdays, weekly, monthly, once or cron.")
	}
	// DecodeRule checks everything but the current time; the location is
	// left out so that any *time.Location works.
	check := r
	check.Location = nil
	if _, err := scheduler.DecodeRule(check.Encode()); err != nil {
		var fe *scheduler.FieldError
		if errors.As(err, &fe) {
			return scheduler.Rule{}, errors.New(fe.Msg)
		}
		return scheduler.Rule{}, errors.New(quote(s) + " is not a valid schedule.")
	}
	return r, nil
}

// FormatSchedule writes r as ParseSchedule reads it, without the time zone;
// it returns "" for a rule of unknown kind. ParseSchedule(FormatSchedule(r))
// gives r back, with weekly days Monday first.
func FormatSchedule(r scheduler.Rule) string {
	switch r.Kind {
	case scheduler.KindDaily:
		return "daily " + r.At
	case scheduler.KindWeekdays:
		return "weekdays " + r.At
	case scheduler.KindWeekly:
		names := make([]string, 0, 7)
		for _, d := range scheduler.SortedDays(r.Weekdays) {
			names = append(names, dayNames[d])
		}
		return "weekly " + strings.Join(names, ",") + " " + r.At
	case scheduler.KindMonthlyDay:
		return "monthly " + strconv.Itoa(r.Day) + " " + r.At
	case scheduler.KindMonthlyLast:
		return "monthly last " + r.At
	case scheduler.KindOnce:
		return "once " + r.Date + " " + r.At
	case scheduler.KindCron:
		return "cron " + strings.Join(strings.Fields(r.Cron), " ")
	}
	return ""
}

var dayNames = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// parseDays reads a comma-separated list of day names; empty items (from
// "mon, wed" split on spaces) are ignored.
func parseDays(list string) ([]time.Weekday, error) {
	var days []time.Weekday
	for name := range strings.SplitSeq(list, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		d, ok := dayByName(name)
		if !ok {
			return nil, errors.New(quote(name) + " is not a day of the week; use mon, tue, wed, thu, fri, sat or sun.")
		}
		days = append(days, d)
	}
	if len(days) == 0 {
		return nil, domain.Invalid("Name at least one day of the week, e.g. weekly mon,wed 09:00.")
	}
	return scheduler.SortedDays(days), nil
}

func dayByName(name string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if name == dayNames[d] || name == strings.ToLower(d.String()) {
			return d, true
		}
	}
	return 0, false
}

// clockTime turns H:MM into HH:MM; anything else is left for the scheduler
// to judge.
func clockTime(s string) string {
	if len(s) == 4 && s[1] == ':' {
		return "0" + s
	}
	return s
}

func dropAt(args []string) []string {
	out := args[:0:0]
	for _, a := range args {
		if !strings.EqualFold(a, "at") {
			out = append(out, a)
		}
	}
	return out
}

// quote quotes s for a message, shortened so that a huge cell cannot make a
// huge message.
func quote(s string) string {
	if r := []rune(s); len(r) > 60 {
		s = string(r[:57]) + "..."
	}
	return strconv.Quote(s)
}
