package icsfeed

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"
)

// Calendar is a parsed ICS feed: its events, not yet expanded.
type Calendar struct {
	// Name is X-WR-CALNAME, if the feed has one.
	Name string
	// Zone is the calendar's own time zone (X-WR-TIMEZONE, which Google
	// Calendar always writes), nil when it names none or an unknown one.
	Zone   *time.Location
	events []event
}

// Events is how many VEVENTs the calendar has, overrides included.
func (c *Calendar) Events() int { return len(c.events) }

// timeProp is a DATE or DATE-TIME value as written, with its TZID.
type timeProp struct {
	value, tzid string
	date        bool
}

// event is one VEVENT: a single event, the master of a recurring one, or
// (with recurrenceID) an override of one of its instances.
type event struct {
	uid, summary, description, location, url string
	cancelled                                bool
	sequence                                 int
	start                                    timeProp
	recurrenceID                             *timeProp
	rrule                                    string
	exdates, rdates                          []timeProp
}

// Parse reads an ICS calendar. It fails only when data is not a calendar
// at all (an HTML login page, a truncated file); an event it cannot read is
// skipped by Expand with a warning, so one odd event does not hide the
// others.
func Parse(data []byte) (cal *Calendar, err error) {
	defer func() {
		if p := recover(); p != nil { // the parser has panicked on odd input before
			cal, err = nil, &Error{Kind: NotCalendar, Msg: "The address did not answer with a calendar I can read.", Err: fmt.Errorf("parser panic: %v", p)}
		}
	}()
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !looksLikeCalendar(data) {
		return nil, &Error{Kind: NotCalendar, Msg: notCalendarMsg(data)}
	}
	parsed, err := ics.ParseCalendarWithOptions(bytes.NewReader(data), ics.WithUnknownPropertyHandler(ics.AcceptUnknownPropertyHandler))
	if err != nil {
		return nil, &Error{Kind: NotCalendar, Msg: "The address answered with a calendar file I cannot read.", Err: err}
	}
	cal = &Calendar{}
	for _, p := range parsed.CalendarProperties {
		switch strings.ToUpper(p.IANAToken) {
		case "X-WR-CALNAME":
			cal.Name = oneLine(p.Value)
		case "X-WR-TIMEZONE":
			cal.Zone = resolveTZID(p.Value)
		}
	}
	for _, ev := range parsed.Events() {
		cal.events = append(cal.events, readEvent(&ev.ComponentBase))
	}
	return cal, nil
}

// looksLikeCalendar reports whether data starts with BEGIN:VCALENDAR,
// after blank lines.
func looksLikeCalendar(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) >= 15 && bytes.EqualFold(data[:15], []byte("BEGIN:VCALENDAR"))
}

func notCalendarMsg(data []byte) string {
	head := bytes.ToLower(data[:min(len(data), 512)])
	if bytes.Contains(head, []byte("<html")) || bytes.Contains(head, []byte("<!doctype")) {
		return "The address answered with a web page, not a calendar. Use the calendar's iCal (.ics) address; for Google Calendar, the *Secret address in iCal format* from the calendar's settings."
	}
	return "The address did not answer with a calendar (an .ics file starting with BEGIN:VCALENDAR)."
}

func readEvent(cb *ics.ComponentBase) event {
	var ev event
	for _, p := range cb.Properties {
		switch strings.ToUpper(p.IANAToken) {
		case "UID":
			ev.uid = strings.TrimSpace(p.Value)
		case "SUMMARY":
			ev.summary = oneLine(p.Value)
		case "DESCRIPTION":
			ev.description = cleanText(p.Value)
		case "LOCATION":
			ev.location = oneLine(p.Value)
		case "URL":
			ev.url = strings.TrimSpace(p.Value)
		case "STATUS":
			ev.cancelled = strings.EqualFold(strings.TrimSpace(p.Value), "CANCELLED")
		case "SEQUENCE":
			ev.sequence, _ = strconv.Atoi(strings.TrimSpace(p.Value))
		case "DTSTART":
			if tps := timeProps(p.BaseProperty); len(tps) > 0 {
				ev.start = tps[0]
			}
		case "RECURRENCE-ID":
			if tps := timeProps(p.BaseProperty); len(tps) > 0 {
				ev.recurrenceID = &tps[0]
			}
		case "RRULE":
			if ev.rrule == "" {
				ev.rrule = strings.TrimSpace(p.Value)
			}
		case "EXDATE":
			ev.exdates = append(ev.exdates, timeProps(p.BaseProperty)...)
		case "RDATE":
			ev.rdates = append(ev.rdates, timeProps(p.BaseProperty)...)
		}
	}
	if ev.uid == "" {
		// RFC 5545 requires a UID; without one, name the event by what
		// identifies it, so that refreshes find it again.
		sum := sha256.Sum256([]byte(ev.summary + "\x00" + ev.start.tzid + "\x00" + ev.start.value))
		ev.uid = "no-uid-" + hex.EncodeToString(sum[:8])
	}
	return ev
}

// timeProps reads a DATE or DATE-TIME property, which for EXDATE and RDATE
// may list several values; a PERIOD contributes its start.
func timeProps(p ics.BaseProperty) []timeProp {
	tzid := param(p, "TZID")
	date := strings.EqualFold(param(p, "VALUE"), "DATE")
	var out []timeProp
	for _, v := range strings.Split(p.Value, ",") {
		v, _, _ = strings.Cut(strings.TrimSpace(v), "/")
		if v == "" {
			continue
		}
		out = append(out, timeProp{value: v, tzid: tzid, date: date || len(v) == 8})
	}
	return out
}

func param(p ics.BaseProperty, name string) string {
	for k, v := range p.ICalParameters {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// parse returns the value's wall time in the floating frame (see wallOf)
// and the zone it names: its TZID's (nil if unknown, with known false),
// UTC for a "Z" value, nil for floating and date values.
func (tp timeProp) parse() (wall time.Time, zone *time.Location, known bool, err error) {
	switch {
	case tp.date:
		wall, err = time.Parse("20060102", tp.value)
		return wall, nil, true, err
	case strings.HasSuffix(tp.value, "Z") || strings.HasSuffix(tp.value, "z"):
		wall, err = time.Parse("20060102T150405", tp.value[:len(tp.value)-1])
		return wall, time.UTC, true, err
	}
	wall, err = time.Parse("20060102T150405", tp.value)
	if err != nil || tp.tzid == "" {
		return wall, nil, true, err
	}
	zone = resolveTZID(tp.tzid)
	return wall, zone, zone != nil, nil
}

// oneLine trims s and folds its lines into one, for titles.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
}

var (
	htmlTag      = regexp.MustCompile(`(?i)</?(?:` + htmlTags + `)(?:\s[^<>]{0,1000})?/?>`)
	htmlBreak    = regexp.MustCompile(`(?i)<\s*(?:br|/p|/div|/li|/h[1-6])\s*/?\s*>`)
	htmlLink     = regexp.MustCompile(`(?i)<a\s[^<>]{0,1000}?href\s*=\s*"([^"]{1,1000})"[^<>]{0,1000}>([^<]{0,1000})</a\s*>`)
	blankRuns    = regexp.MustCompile(`\n{3,}`)
	maxCleanText = 64 << 10
)

// htmlTags are the tags Google Calendar's editor and mail clients write;
// only they count as HTML, so that "a <b" in plain text survives.
const htmlTags = `a|abbr|b|big|blockquote|body|br|code|del|div|em|font|h[1-6]|head|hr|html|i|img|ins|li|meta|ol|p|pre|s|small|span|strike|strong|style|sub|sup|table|tbody|td|th|thead|tr|u|ul`

// cleanText makes a DESCRIPTION fit for Slack. Google Calendar writes
// descriptions edited in its web UI as HTML: line breaks and links are
// kept, other tags dropped, entities decoded.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > maxCleanText { // the task keeps 3,000 characters at most anyway
		s = s[:maxCleanText]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if htmlTag.MatchString(s) {
		s = htmlLink.ReplaceAllStringFunc(s, func(m string) string {
			sub := htmlLink.FindStringSubmatch(m)
			href, text := html.UnescapeString(sub[1]), html.UnescapeString(sub[2])
			if text == "" || text == href {
				return href
			}
			return text + " (" + href + ")"
		})
		s = htmlBreak.ReplaceAllString(s, "\n")
		s = htmlTag.ReplaceAllString(s, "")
		s = html.UnescapeString(s)
	}
	s = blankRuns.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s)
}
