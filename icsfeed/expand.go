package icsfeed

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// Limits of Expand, so that one odd or hostile feed cannot flood a channel
// or keep toban busy.
const (
	// DefaultMaxInstances caps the instances returned (the soonest win).
	DefaultMaxInstances = 500
	// maxSeries caps the recurring events expanded per feed.
	maxSeries = 2000
	// maxSteps caps the instances one recurring event may generate before
	// reaching the window; a daily event since 1900 is about 46,000.
	maxSteps = 100_000
	// maxKey is the longest instance key; longer ones are hashed (a task's
	// external ID holds 1,024 bytes).
	maxKey = 512
	// maxWarnings caps Result.Warnings.
	maxWarnings = 20
)

// Options say which instances Expand returns and how it places them.
type Options struct {
	// From and To bound the instances' start: From < start <= To.
	From, To time.Time
	// Zone places floating times and all-day events when the calendar
	// names no zone of its own (X-WR-TIMEZONE); nil means UTC.
	Zone *time.Location
	// AllDayAt ("HH:MM", default "09:00") is when an all-day event's
	// instance starts, in the calendar's zone.
	AllDayAt string
	// MaxInstances defaults to DefaultMaxInstances.
	MaxInstances int
}

// Instance is one occurrence of an event.
type Instance struct {
	// Key names the instance across refreshes: the UID for a single event,
	// UID + "/" + the instance's original start (UTC, or the date for an
	// all-day event) for one of a recurring event, so that a moved
	// instance keeps its key. Keys longer than 512 bytes are hashed.
	Key string
	UID string
	// Start is in the zone the task should show: the event's TZID, or the
	// calendar's zone for UTC, floating and all-day events. It falls on a
	// whole minute.
	Start  time.Time
	AllDay bool
	// Summary is one line; Description has HTML reduced to text.
	Summary, Description, Location, URL string
}

// Result is what Expand found.
type Result struct {
	// Instances are sorted by Start, then Key.
	Instances []Instance
	// Dropped is how many instances were left out beyond MaxInstances.
	Dropped int
	// Warnings name events that were skipped or read approximately.
	Warnings []string
}

// expander holds one Expand call's settings and findings.
type expander struct {
	o        Options
	zone     *time.Location // the calendar's
	allDayH  int
	allDayM  int
	warnings []string
}

func (x *expander) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for _, w := range x.warnings {
		if w == msg {
			return
		}
	}
	if len(x.warnings) < maxWarnings {
		x.warnings = append(x.warnings, msg)
	}
}

// Expand returns the instances of the calendar's events that start in
// (o.From, o.To]: single events, recurring events expanded by RRULE and
// RDATE less EXDATE, with RECURRENCE-ID overrides applied and cancelled
// events and instances (STATUS:CANCELLED) left out.
func (c *Calendar) Expand(o Options) Result {
	x := &expander{o: o, zone: c.Zone, allDayH: 9}
	if x.zone == nil {
		x.zone = o.Zone
	}
	if x.zone == nil {
		x.zone = time.UTC
	}
	if t, err := time.Parse("15:04", o.AllDayAt); err == nil && len(o.AllDayAt) == 5 {
		x.allDayH, x.allDayM = t.Hour(), t.Minute()
	}
	max := o.MaxInstances
	if max <= 0 {
		max = DefaultMaxInstances
	}

	// A UID's master is the VEVENT without RECURRENCE-ID of the highest
	// SEQUENCE; its overrides are keyed by the instance they replace.
	masters := map[string]event{}
	var order []string
	overrides := map[string][]event{}
	for _, ev := range c.events {
		if ev.recurrenceID != nil {
			overrides[ev.uid] = append(overrides[ev.uid], ev)
			continue
		}
		if old, ok := masters[ev.uid]; !ok {
			order = append(order, ev.uid)
		} else if old.sequence > ev.sequence {
			continue
		}
		masters[ev.uid] = ev
	}
	out := map[string]Instance{}
	series := 0
	for _, uid := range order {
		m := masters[uid]
		byKey := map[string]event{}
		for _, ov := range overrides[uid] {
			if key, ok := x.overrideKey(m, ov); ok {
				if old, dup := byKey[key]; !dup || ov.sequence >= old.sequence {
					byKey[key] = ov
				}
			}
		}
		delete(overrides, uid)
		if m.cancelled {
			continue // the whole series is cancelled, overrides included
		}
		if m.rrule != "" || len(m.rdates) > 0 {
			if series++; series > maxSeries {
				x.warn("More than %d repeating events; the rest were skipped.", maxSeries)
				continue
			}
		}
		x.expandMaster(m, byKey, out)
		for key, ov := range byKey { // overrides of instances outside the window
			x.add(out, key, ov, nil)
		}
	}
	for uid, ovs := range overrides { // instances whose series is not in the feed
		for _, ov := range ovs {
			if key, ok := x.overrideKey(event{uid: uid, start: ov.start}, ov); ok {
				x.add(out, key, ov, nil)
			}
		}
	}

	res := Result{Instances: make([]Instance, 0, len(out))}
	for _, in := range out {
		res.Instances = append(res.Instances, in)
	}
	sort.Slice(res.Instances, func(i, j int) bool {
		a, b := res.Instances[i], res.Instances[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		return a.Key < b.Key
	})
	if len(res.Instances) > max {
		res.Dropped = len(res.Instances) - max
		res.Instances = res.Instances[:max]
	}
	res.Warnings = x.warnings
	return res
}

// eventZone is where an event's wall times are read: its TZID's zone,
// UTC for "Z" times, the calendar's zone for floating and all-day ones.
func (x *expander) eventZone(ev event, tp timeProp) (wall time.Time, zone *time.Location, err error) {
	wall, zone, known, err := tp.parse()
	if err != nil {
		return wall, nil, err
	}
	if !known {
		x.warn("Unknown time zone %q (event %q); used %s.", truncate(tp.tzid, 60), truncate(ev.summary, 60), x.zone)
	}
	if zone == nil {
		zone = x.zone
	}
	return wall, zone, nil
}

// instant turns a wall time of the event (in its zone) into the instance's
// start, in the zone the task shows, on a whole minute.
func (x *expander) instant(wall time.Time, zone *time.Location, allDay bool) time.Time {
	if allDay {
		y, mo, d := wall.Date()
		return atWall(time.Date(y, mo, d, x.allDayH, x.allDayM, 0, 0, time.UTC), x.zone)
	}
	t := atWall(wall, zone).Truncate(time.Minute)
	if zone == time.UTC {
		return t.In(x.zone) // "Z" times are shown in the calendar's zone
	}
	return t
}

// instanceKey names the instance of uid originally at wall.
func (x *expander) instanceKey(uid string, wall time.Time, zone *time.Location, allDay bool) string {
	if allDay {
		return uid + "/" + wall.Format("20060102")
	}
	return uid + "/" + atWall(wall, zone).UTC().Format("20060102T150405Z")
}

// overrideKey is the key of the instance ov replaces. A RECURRENCE-ID
// with a TZID or in UTC names an instant; a floating one is read in the
// zone of its series m.
func (x *expander) overrideKey(m event, ov event) (string, bool) {
	wall, zone, known, err := ov.recurrenceID.parse()
	if err != nil {
		x.warn("Unreadable RECURRENCE-ID in event %q; the change was skipped.", truncate(ov.summary, 60))
		return "", false
	}
	allDay := ov.recurrenceID.date
	if !allDay && (zone == nil || !known) {
		zone = x.zone
		if _, mZone, err := x.eventZone(m, m.start); err == nil {
			zone = mZone
		}
	}
	return x.instanceKey(m.uid, wall, zone, allDay), true
}

// add records one instance of ev under key, starting at start (nil: at
// ev's own DTSTART), if it is in the window and not cancelled.
func (x *expander) add(out map[string]Instance, key string, ev event, start *time.Time) {
	if ev.cancelled {
		return
	}
	allDay := ev.start.date
	var at time.Time
	if start != nil {
		at = *start
	} else {
		wall, zone, err := x.eventZone(ev, ev.start)
		if err != nil {
			x.warn("Unreadable start of event %q; it was skipped.", truncate(ev.summary, 60))
			return
		}
		at = x.instant(wall, zone, allDay)
	}
	if !at.After(x.o.From) || at.After(x.o.To) {
		return
	}
	if len(key) > maxKey {
		sum := sha256.Sum256([]byte(key))
		key = "sha256:" + hex.EncodeToString(sum[:])
	}
	out[key] = Instance{Key: key, UID: ev.uid, Start: at, AllDay: allDay, Summary: ev.summary,
		Description: ev.description, Location: ev.location, URL: ev.url}
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// expandMaster adds the instances of a single or recurring event; an
// instance with an override in byKey takes the override's place and start,
// and is removed from byKey.
func (x *expander) expandMaster(m event, byKey map[string]event, out map[string]Instance) {
	wall, zone, err := x.eventZone(m, m.start)
	if err != nil {
		x.warn("Unreadable start of event %q; it was skipped.", truncate(m.summary, 60))
		return
	}
	allDay := m.start.date
	if m.rrule == "" && len(m.rdates) == 0 {
		x.add(out, m.uid, m, nil)
		return
	}
	for _, w := range x.walls(m, wall, zone, allDay) {
		key := x.instanceKey(m.uid, w, zone, allDay)
		if ov, ok := byKey[key]; ok {
			delete(byKey, key)
			x.add(out, key, ov, nil)
			continue
		}
		start := x.instant(w, zone, allDay)
		x.add(out, key, m, &start)
	}
}

// walls returns the wall times (floating frame) of a recurring event's
// instances near the window, EXDATEs removed. Recurrence is computed on
// wall clocks, as RFC 5545 says, so a 09:00 event stays at 09:00 local
// across daylight-saving changes.
func (x *expander) walls(m event, start time.Time, zone *time.Location, allDay bool) (walls []time.Time) {
	defer func() {
		if p := recover(); p != nil { // rrule-go on odd rules
			x.warn("Unreadable repeat rule in event %q; it was skipped.", truncate(m.summary, 60))
			walls = nil
		}
	}()
	// The window in wall time, with a margin for the zone's offset and the
	// all-day time.
	from := wallOf(x.o.From.In(zone)).AddDate(0, 0, -2)
	to := wallOf(x.o.To.In(zone)).AddDate(0, 0, 2)

	set := rrule.Set{}
	set.RDate(start) // DTSTART is always the first instance
	if m.rrule != "" {
		opt, err := rrule.StrToROptionInLocation(strings.TrimPrefix(m.rrule, "RRULE:"), time.UTC)
		if err != nil {
			x.warn("Unreadable repeat rule in event %q (%v); only its first date was used.", truncate(m.summary, 60), err)
		} else if opt.Freq > rrule.DAILY {
			x.warn("Event %q repeats more often than daily; only its first date was used.", truncate(m.summary, 60))
		} else {
			x.fixUntil(opt, m.rrule, zone, allDay)
			opt.Dtstart = start
			shiftStart(opt, from)
			rule, err := rrule.NewRRule(*opt)
			if err != nil {
				x.warn("Unreadable repeat rule in event %q (%v); only its first date was used.", truncate(m.summary, 60), err)
			} else {
				set.RRule(rule)
			}
		}
	}
	for _, rd := range m.rdates {
		if w, ok := x.wallIn(rd, zone, allDay); ok {
			set.RDate(w)
		}
	}
	exact, days := map[int64]bool{}, map[string]bool{}
	for _, ex := range m.exdates {
		if ex.date && !allDay {
			days[ex.value] = true // a date excludes that whole day
		} else if w, ok := x.wallIn(ex, zone, allDay); ok {
			exact[w.Unix()] = true
		}
	}
	next := set.Iterator()
	for steps := 0; ; steps++ {
		w, ok := next()
		if !ok || w.After(to) {
			break
		}
		if steps == maxSteps {
			x.warn("Event %q repeats too many times before now; it was skipped.", truncate(m.summary, 60))
			return nil
		}
		if w.Before(from) || exact[w.Unix()] || days[w.Format("20060102")] {
			continue
		}
		walls = append(walls, w)
	}
	return walls
}

// wallIn reads an RDATE or EXDATE as a wall time of the series' zone.
func (x *expander) wallIn(tp timeProp, zone *time.Location, allDay bool) (time.Time, bool) {
	w, z, known, err := tp.parse()
	if err != nil {
		return time.Time{}, false
	}
	if allDay || tp.date || z == nil || !known {
		return w, true // floating: already the series' wall clock
	}
	return wallOf(atWall(w, z).In(zone)), true
}

// fixUntil reads UNTIL the way RFC 5545 means it: a UTC time is an instant,
// converted here to the series' wall clock; a date on a timed series
// includes that whole day.
func (x *expander) fixUntil(opt *rrule.ROption, rule string, zone *time.Location, allDay bool) {
	if opt.Until.IsZero() {
		return
	}
	raw := ""
	for _, part := range strings.Split(strings.ToUpper(rule), ";") {
		if v, ok := strings.CutPrefix(part, "UNTIL="); ok {
			raw = v
		}
	}
	switch {
	case len(raw) == 8 && !allDay:
		opt.Until = opt.Until.Add(24*time.Hour - time.Second)
	case strings.HasSuffix(raw, "Z") && !allDay:
		opt.Until = wallOf(opt.Until.In(zone))
	}
}

// shiftStart moves a daily or weekly rule's start forward by whole
// periods to just before from, so that a series begun decades ago is not
// iterated from its first day. A COUNT rule counts from its first day and
// is left alone; monthly and yearly rules are cheap to iterate anyway.
func shiftStart(opt *rrule.ROption, from time.Time) {
	if opt.Count > 0 || (opt.Freq != rrule.DAILY && opt.Freq != rrule.WEEKLY) {
		return
	}
	interval := max(opt.Interval, 1)
	period := interval
	if opt.Freq == rrule.WEEKLY {
		period *= 7
	}
	days := int(from.Sub(opt.Dtstart).Hours() / 24)
	if k := days/period - 1; k > 0 {
		opt.Dtstart = opt.Dtstart.AddDate(0, 0, k*period)
	}
}
