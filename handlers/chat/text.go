package chat

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// FormatTime shows t briefly: the time alone when it is on now's day,
// else with the date.
func FormatTime(now, t time.Time) string {
	if t.IsZero() {
		return "unknown time"
	}
	if now.Format("2006-01-02") == t.Format("2006-01-02") {
		return t.Format("15:04")
	}
	if now.Year() == t.Year() {
		return t.Format("Jan 2 15:04")
	}
	return t.Format("Jan 2 2006 15:04")
}

// SlackTime shows t to each reader in their own time zone ("today at
// 10:05", "Feb 18 at 10:05"), with FormatTime in toban's zone as the
// fallback for clients that cannot (notifications, old apps). now and t
// should be in toban's zone.
func SlackTime(now, t time.Time) string {
	if t.IsZero() {
		return "at an unknown time"
	}
	return fmt.Sprintf("<!date^%d^{date_short_pretty} at {time}|%s>", t.Unix(), FormatTime(now, t))
}

// SlackAgo shows how long ago t was ("3 minutes ago") to each reader,
// with FormatTime in toban's zone as the fallback.
func SlackAgo(now, t time.Time) string {
	if t.IsZero() {
		return "at an unknown time"
	}
	return fmt.Sprintf("<!date^%d^{ago}|%s>", t.Unix(), FormatTime(now, t))
}

// Escape keeps text from PagerDuty from being read as Slack markup.
func Escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// DayTime shows t relative to now's day: "18:00", "09:00 tomorrow",
// "Mon Nov 23 09:00".
func DayTime(now, t time.Time, loc *time.Location) string {
	now, t = now.In(loc), t.In(loc)
	switch DayWord(now, t) {
	case "today":
		return t.Format("15:04")
	case "tomorrow":
		return t.Format("15:04") + " tomorrow"
	}
	return t.Format("Mon Jan 2 15:04")
}

// DayWord names t's day from now: "today", "tomorrow", "on Mon Nov 23".
func DayWord(now, t time.Time) string {
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	switch day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, now.Location()); {
	case day.Equal(today):
		return "today"
	case day.Equal(today.AddDate(0, 0, 1)):
		return "tomorrow"
	}
	return "on " + t.Format("Mon Jan 2")
}

// SpanText says when [start, end) is: "from 02:00 to 06:00 tomorrow".
func SpanText(now, start, end time.Time, loc *time.Location) string {
	now, start, end = now.In(loc), start.In(loc), end.In(loc)
	if start.Format("2006-01-02") == end.Format("2006-01-02") {
		return fmt.Sprintf("from %s to %s %s", start.Format("15:04"), end.Format("15:04"), DayWord(now, start))
	}
	return fmt.Sprintf("from %s %s to %s %s", start.Format("15:04"), DayWord(now, start), end.Format("15:04"), DayWord(now, end))
}

// Duration says how long d is: "1 h", "4 h 30 min", "2 days 3 h".
func Duration(d time.Duration) string {
	d = d.Round(time.Minute)
	days, h, m := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	var parts []string
	if days > 0 {
		parts = append(parts, strconv.Itoa(days)+map[bool]string{true: " day", false: " days"}[days == 1])
	}
	if h > 0 {
		parts = append(parts, strconv.Itoa(h)+" h")
	}
	if m > 0 || len(parts) == 0 {
		parts = append(parts, strconv.Itoa(m)+" min")
	}
	return strings.Join(parts, " ")
}

// Truncate cuts s to n runes, marking the cut, so that echoed input
// cannot swell a message.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// EncodeJSON is how state rides in a button value or private_metadata;
// the values are toban's own structs, so marshalling cannot fail.
func EncodeJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// DecodeJSON reads what EncodeJSON wrote; an empty string leaves v as is,
// because Slack sends no value for a button that had none.
func DecodeJSON(s string, v any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

// Now reads toban's clock now. A feature without one is a wiring mistake
// (falling back to the machine's clock would make tests depend on the day
// they run), so it panics naming who: "reports: Feature.Now".
func Now(now func() time.Time, who string) time.Time {
	if now == nil {
		panic(who + " is not set")
	}
	return now()
}

// Location is where times are shown: loc, or UTC when it is not set.
func Location(loc *time.Location) *time.Location {
	if loc != nil {
		return loc
	}
	return time.UTC
}

// Quote shows text as a Slack block quote, escaped.
func Quote(text string) string {
	return "> " + strings.ReplaceAll(Escape(text), "\n", "\n> ")
}
