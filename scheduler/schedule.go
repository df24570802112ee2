package scheduler

import (
	"math/bits"
	"time"

	"github.com/robfig/cron/v3"
)

// This file evaluates compiled rules. Times come in two flavours, both held
// as int64 seconds:
//
//   - wall seconds: a local calendar date and clock time encoded as if it
//     were UTC (time.Date(y, m, d, h, min, 0, 0, time.UTC).Unix()); they have
//     no time zone and so no gaps or repeats;
//   - instants: ordinary Unix seconds.
//
// Each kind of rule enumerates matching wall times (nextWall/prevWall), and
// resolve maps a wall time to the instant it is due in the rule's zone,
// applying the DST decisions documented in the package comment.

const (
	secondsPerDay = 24 * 60 * 60
	// cronSearchYears bounds the search for a matching cron time. A
	// satisfiable five-field expression matches at least once every eight
	// years (29 February across a century year), so ten is enough.
	cronSearchYears = 10
	// offsetWindow is how far either side of a time we look for a change of
	// UTC offset (a DST transition) that could reorder wall times and
	// instants.
	offsetWindow = 48 * 60 * 60
	// starBit is robfig's marker for a field written as "*" (see
	// cron.SpecSchedule); it decides how day-of-month and day-of-week
	// combine.
	starBit = 1 << 63
)

// schedule is a validated Rule in the form the evaluator needs.
type schedule struct {
	spec *cron.SpecSchedule // cron only; shared, read-only
	loc  *time.Location
	once int64 // once: wall seconds
	at   int64 // seconds after local midnight
	kind Kind
	day  int   // monthly_day
	days uint8 // weekly and weekdays: bit i set for time.Weekday(i)
}

// next returns the first instant strictly after the instant after (Unix
// seconds) at which the schedule is due.
//
// Wall times are enumerated in order and resolved exactly; around a DST
// transition a later wall time can resolve to an earlier instant (02:30 in
// a gap becomes 03:30, after 03:00), so the search goes on past the first
// hit for as long as a transition could reorder the two.
func (s *schedule) next(after int64) (int64, bool) {
	// resolve(w) lies in [w-hi, w-lo] for the offsets lo..hi in force near
	// it, so a wall time at or before after+lo cannot be due after `after`.
	lo, _ := s.offsetRange(after)
	w := after + lo
	var best, hi int64
	found := false
	for {
		c, ok := s.nextWall(w)
		if !ok {
			break
		}
		w = c
		if found && c-hi >= best {
			break // this and every later wall time is due at or after best
		}
		i := s.resolve(c)
		if i <= after || (found && i >= best) {
			continue
		}
		best = i
		if !found {
			found = true
			l, h := s.offsetRange(i)
			if l == h {
				break // no transition nearby: later wall times are due later
			}
			hi = h
		}
	}
	return best, found
}

// prev returns the last instant at or before the instant t (Unix seconds)
// at which the schedule is due. It mirrors next.
func (s *schedule) prev(t int64) (int64, bool) {
	_, hi := s.offsetRange(t)
	w := t + hi + 1
	var best, lo int64
	found := false
	for {
		c, ok := s.prevWall(w)
		if !ok {
			break
		}
		w = c
		if found && c-lo <= best {
			break // this and every earlier wall time is due at or before best
		}
		i := s.resolve(c)
		if i > t || (found && i <= best) {
			continue
		}
		best = i
		if !found {
			found = true
			l, h := s.offsetRange(i)
			if l == h {
				break
			}
			lo = l
		}
	}
	return best, found
}

// offsetRange returns the smallest and largest UTC offsets (seconds) of the
// schedule's zone within offsetWindow of the instant t.
func (s *schedule) offsetRange(t int64) (lo, hi int64) {
	if s.loc == time.UTC {
		return 0, 0
	}
	a := zoneOffset(t-offsetWindow, s.loc)
	b := zoneOffset(t, s.loc)
	c := zoneOffset(t+offsetWindow, s.loc)
	return min(a, b, c), max(a, b, c)
}

func zoneOffset(t int64, loc *time.Location) int64 {
	_, off := time.Unix(t, 0).In(loc).Zone()
	return int64(off)
}

// resolve returns the instant at which the wall time w is due in the
// schedule's zone: the wall time itself when it exists once; its first
// occurrence when a fall-back repeats it; and, when a spring-forward skips
// it, the instant it would have been under the offset in force before the
// gap (the wall time shifted forward by the gap's length).
func (s *schedule) resolve(w int64) int64 {
	if s.loc == time.UTC {
		return w
	}
	// time.Date normalises the seconds into a date and clock time.
	t := time.Date(1970, time.January, 1, 0, 0, int(w), 0, s.loc)
	_, off := t.Zone()
	got := t.Unix() + int64(off)
	if got == w {
		// The wall time exists. If the zone period holding t began with a
		// fall-back, the same wall time may also have existed just before
		// it, under the previous, larger offset: prefer that one.
		start, _ := t.ZoneBounds()
		if !start.IsZero() {
			_, prevOff := start.Add(-time.Second).Zone()
			if prevOff > off {
				if e := w - int64(prevOff); e < start.Unix() {
					return e
				}
			}
		}
		return t.Unix()
	}
	// The wall time falls in a gap, and time.Date picked one of the two
	// offsets around it (which one depends on the zone). Find the offset in
	// force before the gap.
	before := off
	if got > w {
		// t is after the transition; the offset before it is the one in
		// force just before the zone period holding t began.
		start, _ := t.ZoneBounds()
		_, before = start.Add(-time.Second).Zone()
	}
	return w - int64(before)
}

// nextWall returns the first wall time strictly after w that the schedule
// names.
func (s *schedule) nextWall(w int64) (int64, bool) {
	switch s.kind {
	case KindOnce:
		return s.once, s.once > w
	case KindDaily:
		c := floorDiv(w, secondsPerDay)*secondsPerDay + s.at
		if c <= w {
			c += secondsPerDay
		}
		return c, true
	case KindWeekdays, KindWeekly:
		day := floorDiv(w, secondsPerDay)
		for k := int64(0); k <= 7; k++ {
			c := (day+k)*secondsPerDay + s.at
			if c > w && s.days&(1<<weekdayOf(day+k)) != 0 {
				return c, true
			}
		}
		return 0, false
	case KindMonthlyDay, KindMonthlyLast:
		t := time.Unix(w, 0).UTC()
		for k := 0; k < 3; k++ {
			if c := s.monthWall(t.Year(), t.Month()+time.Month(k)); c > w {
				return c, true
			}
		}
		return 0, false
	case KindCron:
		return s.cronNext(w)
	}
	return 0, false
}

// prevWall returns the last wall time strictly before w that the schedule
// names.
func (s *schedule) prevWall(w int64) (int64, bool) {
	switch s.kind {
	case KindOnce:
		return s.once, s.once < w
	case KindDaily:
		c := floorDiv(w, secondsPerDay)*secondsPerDay + s.at
		if c >= w {
			c -= secondsPerDay
		}
		return c, true
	case KindWeekdays, KindWeekly:
		day := floorDiv(w, secondsPerDay)
		for k := int64(0); k <= 7; k++ {
			c := (day-k)*secondsPerDay + s.at
			if c < w && s.days&(1<<weekdayOf(day-k)) != 0 {
				return c, true
			}
		}
		return 0, false
	case KindMonthlyDay, KindMonthlyLast:
		t := time.Unix(w, 0).UTC()
		for k := 0; k < 3; k++ {
			if c := s.monthWall(t.Year(), t.Month()-time.Month(k)); c < w {
				return c, true
			}
		}
		return 0, false
	case KindCron:
		return s.cronPrev(w)
	}
	return 0, false
}

// monthWall returns the wall time of a monthly rule in month m of year y (m
// may be out of range; it is normalised).
func (s *schedule) monthWall(y int, m time.Month) int64 {
	first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	d := last
	if s.kind == KindMonthlyDay && s.day < last {
		d = s.day
	}
	return first.Unix() + int64(d-1)*secondsPerDay + s.at
}

// cronNext returns the first whole minute strictly after the wall time w
// that the cron expression matches.
func (s *schedule) cronNext(w int64) (int64, bool) {
	t := time.Unix(floorDiv(w, 60)*60+60, 0).UTC()
	limit := t.Year() + cronSearchYears
	for t.Year() <= limit {
		y, m, d := t.Date()
		if s.spec.Month&(1<<uint(m)) == 0 {
			t = time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if !cronDayMatches(s.spec, t) {
			t = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
			continue
		}
		h := nextBit(s.spec.Hour&(1<<24-1), t.Hour())
		if h < 0 {
			t = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
			continue
		}
		minute := 0
		if h == t.Hour() {
			minute = t.Minute()
		}
		mi := nextBit(s.spec.Minute&(1<<60-1), minute)
		if mi < 0 {
			t = time.Date(y, m, d, h+1, 0, 0, 0, time.UTC)
			continue
		}
		return time.Date(y, m, d, h, mi, 0, 0, time.UTC).Unix(), true
	}
	return 0, false
}

// cronPrev returns the last whole minute strictly before the wall time w
// that the cron expression matches.
func (s *schedule) cronPrev(w int64) (int64, bool) {
	t := time.Unix(floorDiv(w-1, 60)*60, 0).UTC()
	limit := t.Year() - cronSearchYears
	for t.Year() >= limit {
		y, m, d := t.Date()
		if s.spec.Month&(1<<uint(m)) == 0 {
			t = time.Date(y, m, 1, 0, -1, 0, 0, time.UTC)
			continue
		}
		if !cronDayMatches(s.spec, t) {
			t = time.Date(y, m, d, 0, -1, 0, 0, time.UTC)
			continue
		}
		h := prevBit(s.spec.Hour&(1<<24-1), t.Hour())
		if h < 0 {
			t = time.Date(y, m, d, 0, -1, 0, 0, time.UTC)
			continue
		}
		minute := 59
		if h == t.Hour() {
			minute = t.Minute()
		}
		mi := prevBit(s.spec.Minute&(1<<60-1), minute)
		if mi < 0 {
			t = time.Date(y, m, d, h, -1, 0, 0, time.UTC)
			continue
		}
		return time.Date(y, m, d, h, mi, 0, 0, time.UTC).Unix(), true
	}
	return 0, false
}

// cronDayMatches applies cron's day rule, as robfig does: when either the
// day-of-month or the day-of-week field is "*", both must match; otherwise
// either may.
func cronDayMatches(s *cron.SpecSchedule, t time.Time) bool {
	dom := s.Dom&(1<<uint(t.Day())) != 0
	dow := s.Dow&(1<<uint(t.Weekday())) != 0
	if s.Dom&starBit != 0 || s.Dow&starBit != 0 {
		return dom && dow
	}
	return dom || dow
}

// nextBit returns the smallest set bit of b at or above from, or -1.
func nextBit(b uint64, from int) int {
	b = b >> uint(from) << uint(from)
	if b == 0 {
		return -1
	}
	return bits.TrailingZeros64(b)
}

// prevBit returns the largest set bit of b at or below from, or -1.
func prevBit(b uint64, from int) int {
	b &= 1<<uint(from+1) - 1
	if b == 0 {
		return -1
	}
	return 63 - bits.LeadingZeros64(b)
}

// weekdayOf returns the weekday of a day counted from 1970-01-01 (a
// Thursday).
func weekdayOf(day int64) time.Weekday {
	wd := (day + int64(time.Thursday)) % 7
	if wd < 0 {
		wd += 7
	}
	return time.Weekday(wd)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
