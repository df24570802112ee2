package icsfeed

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// keys renders the instances as "key@local start" in short form.
func keys(res Result) string {
	var out []string
	for _, in := range res.Instances {
		out = append(out, in.Key+"@"+in.Start.Format("01-02T15:04"))
	}
	return strings.Join(out, " ")
}

func TestExpandRecurrence(t *testing.T) {
	// Monday 2 March 2026 to Monday 16 March, UTC.
	from := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	o := Options{From: from, To: from.AddDate(0, 0, 14)}
	tests := []struct {
		name   string
		events []string
		want   string
	}{
		{"WeeklyWithExdate", []string{`UID:w
			DTSTART:20260223T090000Z
			RRULE:FREQ=WEEKLY;BYDAY=MO,TH
			EXDATE:20260305T090000Z`},
			"w/20260302T090000Z@03-02T09:00 w/20260309T090000Z@03-09T09:00 w/20260312T090000Z@03-12T09:00"},
		{"ExdateListAndTZID", []string{`UID:w
			DTSTART;TZID=Asia/Tokyo:20260302T180000
			RRULE:FREQ=DAILY;COUNT=5
			EXDATE;TZID=Asia/Tokyo:20260303T180000,20260305T180000`},
			"w/20260302T090000Z@03-02T18:00 w/20260304T090000Z@03-04T18:00 w/20260306T090000Z@03-06T18:00"},
		{"ExdateInUTCForZonedSeries", []string{`UID:w
			DTSTART;TZID=Asia/Tokyo:20260302T180000
			RRULE:FREQ=DAILY;COUNT=3
			EXDATE:20260303T090000Z`},
			"w/20260302T090000Z@03-02T18:00 w/20260304T090000Z@03-04T18:00"},
		{"ExdateAsDateOnTimedSeries", []string{`UID:w
			DTSTART:20260302T090000Z
			RRULE:FREQ=DAILY;COUNT=3
			EXDATE;VALUE=DATE:20260303`},
			"w/20260302T090000Z@03-02T09:00 w/20260304T090000Z@03-04T09:00"},
		{"UntilUTC", []string{`UID:w
			DTSTART;TZID=Europe/Berlin:20260302T090000
			RRULE:FREQ=DAILY;UNTIL=20260304T080000Z`},
			"w/20260302T080000Z@03-02T09:00 w/20260303T080000Z@03-03T09:00 w/20260304T080000Z@03-04T09:00"},
		{"UntilDateIncludesTheDay", []string{`UID:w
			DTSTART:20260302T090000Z
			RRULE:FREQ=DAILY;UNTIL=20260303`},
			"w/20260302T090000Z@03-02T09:00 w/20260303T090000Z@03-03T09:00"},
		{"IntervalAndStartLongAgo", []string{`UID:w
			DTSTART:19000101T090000Z
			RRULE:FREQ=DAILY;INTERVAL=5`},
			// 1 January 1900 + 46,125 days (a multiple of 5) is 6 March 2026.
			"w/20260306T090000Z@03-06T09:00 w/20260311T090000Z@03-11T09:00"},
		{"BiweeklyKeepsItsWeeks", []string{`UID:w
			DTSTART:20250106T090000Z
			RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO`},
			"w/20260302T090000Z@03-02T09:00"}, // 60 weeks after; 9 March is an off week
		{"MonthlyLastFriday", []string{`UID:m
			DTSTART:20260130T170000Z
			RRULE:FREQ=MONTHLY;BYDAY=-1FR`},
			""}, // 27 February and 27 March: none in the window
		{"MonthlyOnThe31stSkipsShortMonths", []string{`UID:m
			DTSTART:20260131T090000Z
			RRULE:FREQ=MONTHLY`},
			""},
		{"RDateAddsInstances", []string{`UID:r
			DTSTART:20260302T090000Z
			RDATE:20260310T150000Z,20260401T090000Z`},
			"r/20260302T090000Z@03-02T09:00 r/20260310T150000Z@03-10T15:00"},
		{"AllDaySeries", []string{`UID:d
			DTSTART;VALUE=DATE:20260301
			RRULE:FREQ=WEEKLY;BYDAY=SU
			EXDATE;VALUE=DATE:20260308`},
			"d/20260315@03-15T09:00"},
		{"HourlyRefused", []string{`UID:h
			SUMMARY:Too often
			DTSTART:20260302T090000Z
			RRULE:FREQ=HOURLY`},
			"h/20260302T090000Z@03-02T09:00"}, // only its first date
		{"BadRuleFirstDateOnly", []string{`UID:b
			DTSTART:20260302T090000Z
			RRULE:FREQ=SOMETIMES`},
			"b/20260302T090000Z@03-02T09:00"},
		{"RuleThatNeverMatches", []string{`UID:n
			DTSTART:20260301T090000Z
			RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30`},
			""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := expand(t, ical("", tt.events...), o)
			if got := keys(res); got != tt.want {
				t.Errorf("got  %s\nwant %s\nwarnings %q", got, tt.want, res.Warnings)
			}
		})
	}
}

func TestExpandOverridesAndCancellations(t *testing.T) {
	from := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	o := Options{From: from, To: from.AddDate(0, 0, 7)}
	master := "UID:s\nSEQUENCE:0\nSUMMARY:Standup\nDTSTART;TZID=Europe/Berlin:20260223T100000\nRRULE:FREQ=DAILY;COUNT=20"
	tests := []struct {
		name   string
		events []string
		want   string
	}{
		{"MovedKeepsItsKey", []string{master, "UID:s\nRECURRENCE-ID;TZID=Europe/Berlin:20260303T100000\nDTSTART;TZID=Europe/Berlin:20260303T143000\nSUMMARY:Standup (late)"},
			"s/20260302T090000Z@03-02T10:00 s/20260303T090000Z@03-03T14:30 s/20260304T090000Z@03-04T10:00 s/20260305T090000Z@03-05T10:00 s/20260306T090000Z@03-06T10:00 s/20260307T090000Z@03-07T10:00 s/20260308T090000Z@03-08T10:00"},
		{"RecurrenceIDInUTC", []string{master, "UID:s\nRECURRENCE-ID:20260303T090000Z\nDTSTART:20260303T120000Z"},
			"s/20260302T090000Z@03-02T10:00 s/20260303T090000Z@03-03T12:00 s/20260304T090000Z@03-04T10:00 s/20260305T090000Z@03-05T10:00 s/20260306T090000Z@03-06T10:00 s/20260307T090000Z@03-07T10:00 s/20260308T090000Z@03-08T10:00"},
		{"CancelledInstance", []string{master, "UID:s\nRECURRENCE-ID;TZID=Europe/Berlin:20260304T100000\nDTSTART;TZID=Europe/Berlin:20260304T100000\nSTATUS:CANCELLED"},
			"s/20260302T090000Z@03-02T10:00 s/20260303T090000Z@03-03T10:00 s/20260305T090000Z@03-05T10:00 s/20260306T090000Z@03-06T10:00 s/20260307T090000Z@03-07T10:00 s/20260308T090000Z@03-08T10:00"},
		{"MovedOutOfTheWindow", []string{master, "UID:s\nRECURRENCE-ID;TZID=Europe/Berlin:20260302T100000\nDTSTART;TZID=Europe/Berlin:20260320T100000"},
			"s/20260303T090000Z@03-03T10:00 s/20260304T090000Z@03-04T10:00 s/20260305T090000Z@03-05T10:00 s/20260306T090000Z@03-06T10:00 s/20260307T090000Z@03-07T10:00 s/20260308T090000Z@03-08T10:00"},
		{"MovedIntoTheWindowFromThePast", []string{"UID:p\nDTSTART:20260223T090000Z\nRRULE:FREQ=WEEKLY;COUNT=1",
			"UID:p\nRECURRENCE-ID:20260223T090000Z\nDTSTART:20260304T090000Z"},
			"p/20260223T090000Z@03-04T09:00"},
		{"OverrideWithoutItsSeries", []string{"UID:o\nRECURRENCE-ID:20260305T090000Z\nDTSTART:20260305T110000Z"},
			"o/20260305T090000Z@03-05T11:00"},
		{"CancelledSeries", []string{"UID:c\nSTATUS:CANCELLED\nDTSTART:20260301T090000Z\nRRULE:FREQ=DAILY",
			"UID:c\nRECURRENCE-ID:20260303T090000Z\nDTSTART:20260303T100000Z"},
			""},
		{"CancelledSingleEvent", []string{"UID:x\nSTATUS:CANCELLED\nDTSTART:20260303T090000Z"}, ""},
		{"HigherSequenceWins", []string{"UID:v\nSEQUENCE:2\nDTSTART:20260304T090000Z", "UID:v\nSEQUENCE:1\nDTSTART:20260303T090000Z"},
			"v@03-04T09:00"},
		{"AllDayOverride", []string{"UID:d\nDTSTART;VALUE=DATE:20260302\nRRULE:FREQ=DAILY;COUNT=2",
			"UID:d\nRECURRENCE-ID;VALUE=DATE:20260303\nDTSTART;VALUE=DATE:20260305\nSUMMARY:Moved"},
			"d/20260302@03-02T09:00 d/20260303@03-05T09:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := expand(t, ical("", tt.events...), o)
			if got := keys(res); got != tt.want {
				t.Errorf("got  %s\nwant %s\nwarnings %q", got, tt.want, res.Warnings)
			}
		})
	}
	t.Run("OverrideTakesItsOwnTexts", func(t *testing.T) {
		res := expand(t, ical("", master, "UID:s\nRECURRENCE-ID;TZID=Europe/Berlin:20260303T100000\nDTSTART;TZID=Europe/Berlin:20260303T143000\nSUMMARY:Standup (late)\nDESCRIPTION:Moved for the release"), o)
		for _, in := range res.Instances {
			if in.Key == "s/20260303T090000Z" && (in.Summary != "Standup (late)" || in.Description != "Moved for the release") {
				t.Errorf("override = %q / %q", in.Summary, in.Description)
			}
			if in.Key == "s/20260304T090000Z" && in.Summary != "Standup" {
				t.Errorf("other instance = %q, want the series' summary", in.Summary)
			}
		}
	})
}

func TestExpandWindowAndLimits(t *testing.T) {
	from := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	t.Run("WindowIsOpenAtFromClosedAtTo", func(t *testing.T) {
		res := expand(t, ical("", "UID:a\nDTSTART:20260302T090000Z", "UID:b\nDTSTART:20260302T090100Z", "UID:c\nDTSTART:20260309T090000Z", "UID:d\nDTSTART:20260309T090100Z"),
			Options{From: from, To: from.AddDate(0, 0, 7)})
		if got, want := keys(res), "b@03-02T09:01 c@03-09T09:00"; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	t.Run("MaxInstancesKeepsTheSoonest", func(t *testing.T) {
		res := expand(t, ical("", "UID:a\nDTSTART:20260303T090000Z\nRRULE:FREQ=DAILY"), Options{From: from, To: from.AddDate(0, 0, 30), MaxInstances: 3})
		if got, want := keys(res), "a/20260303T090000Z@03-03T09:00 a/20260304T090000Z@03-04T09:00 a/20260305T090000Z@03-05T09:00"; got != want || res.Dropped != 27 {
			t.Errorf("got %s, dropped %d; want %s, dropped 27", got, res.Dropped, want)
		}
	})
	t.Run("EventWithoutUIDHasAStableKey", func(t *testing.T) {
		data := ical("", "SUMMARY:No UID\nDTSTART:20260303T090000Z")
		first, second := expand(t, data, Options{From: from, To: from.AddDate(0, 0, 7)}), expand(t, data, Options{From: from, To: from.AddDate(0, 0, 7)})
		if len(first.Instances) != 1 || !strings.HasPrefix(first.Instances[0].Key, "no-uid-") || first.Instances[0].Key != second.Instances[0].Key {
			t.Errorf("instances = %+v, %+v; want one, keyed alike", first.Instances, second.Instances)
		}
	})
	t.Run("LongUIDIsHashed", func(t *testing.T) {
		res := expand(t, ical("", "UID:"+strings.Repeat("x", 600)+"\nDTSTART:20260303T090000Z"), Options{From: from, To: from.AddDate(0, 0, 7)})
		if len(res.Instances) != 1 || !strings.HasPrefix(res.Instances[0].Key, "sha256:") || len(res.Instances[0].Key) > maxKey {
			t.Errorf("instances = %+v, want one with a hashed key", res.Instances)
		}
	})
	t.Run("UnreadableStartSkippedWithWarning", func(t *testing.T) {
		res := expand(t, ical("", "UID:a\nSUMMARY:Broken\nDTSTART:tomorrow", "UID:b\nDTSTART:20260303T090000Z"), Options{From: from, To: from.AddDate(0, 0, 7)})
		if got := keys(res); got != "b@03-03T09:00" || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "Broken") {
			t.Errorf("got %s, warnings %q; want b only and a warning naming Broken", got, res.Warnings)
		}
	})
	t.Run("ManySeriesStayCheap", func(t *testing.T) {
		var events []string
		for i := range 300 {
			events = append(events, fmt.Sprintf("UID:s%d\nDTSTART:19000101T%02d0000Z\nRRULE:FREQ=DAILY", i, i%24))
		}
		res := expand(t, ical("", events...), Options{From: from, To: from.AddDate(0, 0, 35)})
		if len(res.Instances) != DefaultMaxInstances || res.Dropped != 300*35-DefaultMaxInstances {
			t.Errorf("%d instances, %d dropped; want %d and %d", len(res.Instances), res.Dropped, DefaultMaxInstances, 300*35-DefaultMaxInstances)
		}
	})
}
