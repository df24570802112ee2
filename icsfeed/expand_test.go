package icsfeed

import (
	"os"
	"strings"
	"testing"
	"time"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// ical wraps lines of VEVENTs (separated by "---") in a calendar whose
// X-WR-TIMEZONE is tz ("" for none).
func ical(tz string, events ...string) []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//toban//test//EN\r\n")
	if tz != "" {
		b.WriteString("X-WR-TIMEZONE:" + tz + "\r\n")
	}
	for _, ev := range events {
		b.WriteString("BEGIN:VEVENT\r\n")
		for _, line := range strings.Split(strings.TrimSpace(ev), "\n") {
			b.WriteString(strings.TrimSpace(line) + "\r\n")
		}
		b.WriteString("END:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return []byte(b.String())
}

func expand(t *testing.T, data []byte, o Options) Result {
	t.Helper()
	cal, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cal.Expand(o)
}

// starts renders instances as "key start" lines, start in RFC 3339 with
// the zone's name.
func starts(res Result) string {
	var lines []string
	for _, in := range res.Instances {
		lines = append(lines, in.Key+" "+in.Start.Format("2006-01-02T15:04 MST")+" "+in.Start.Location().String())
	}
	return strings.Join(lines, "\n")
}

func TestExpandGoogleCalendar(t *testing.T) {
	data, err := os.ReadFile("testdata/google.ics")
	if err != nil {
		t.Fatal(err)
	}
	berlin := zone(t, "Europe/Berlin")
	from := time.Date(2026, 3, 5, 0, 0, 0, 0, berlin)
	res := expand(t, data, Options{From: from, To: from.AddDate(0, 0, 35), Zone: time.UTC})
	want := strings.Join([]string{
		"backups-7f3a@google.com/20260309T080000Z 2026-03-09T09:00 CET Europe/Berlin",
		// 11 March is an EXDATE.
		"maint-55de@google.com 2026-03-12T16:00 CET Europe/Berlin",                    // 15:00Z, shown in the calendar's zone
		"backups-7f3a@google.com/20260316T080000Z 2026-03-16T14:00 CET Europe/Berlin", // moved by RECURRENCE-ID
		// 18 March is cancelled by RECURRENCE-ID.
		"certs-91bc@google.com 2026-03-20T09:00 CET Europe/Berlin", // all-day
		"backups-7f3a@google.com/20260323T080000Z 2026-03-23T09:00 CET Europe/Berlin",
		"backups-7f3a@google.com/20260325T080000Z 2026-03-25T09:00 CET Europe/Berlin",
		"backups-7f3a@google.com/20260330T070000Z 2026-03-30T09:00 CEST Europe/Berlin", // after the DST change
		"backups-7f3a@google.com/20260401T070000Z 2026-04-01T09:00 CEST Europe/Berlin",
		"backups-7f3a@google.com/20260406T070000Z 2026-04-06T09:00 CEST Europe/Berlin",
		"backups-7f3a@google.com/20260408T070000Z 2026-04-08T09:00 CEST Europe/Berlin",
	}, "\n")
	if got := starts(res); got != want {
		t.Errorf("instances:\n%s\nwant:\n%s", got, want)
	}
	if len(res.Warnings) != 0 || res.Dropped != 0 {
		t.Errorf("warnings %q, dropped %d; want none", res.Warnings, res.Dropped)
	}
	byKey := map[string]Instance{}
	for _, in := range res.Instances {
		byKey[in.Key] = in
	}
	texts := []struct{ key, summary, description, location string }{
		{"backups-7f3a@google.com/20260309T080000Z", "Check backups", "Check last night's backups.\nRunbook: https://wiki.example.com/backups", ""},
		{"backups-7f3a@google.com/20260316T080000Z", "Check backups (after the release)", "", ""},
		{"certs-91bc@google.com", "Renew TLS certificates", `certbot renew, then reload nginx; see \\ops\certs`, ""},
		{"maint-55de@google.com", "Customer maintenance: ACME", "Call & confirm with ACME first.", "Room 4, Building B"},
	}
	for _, tt := range texts {
		in := byKey[tt.key]
		if in.Summary != tt.summary || in.Description != tt.description || in.Location != tt.location {
			t.Errorf("%s = %q / %q / %q, want %q / %q / %q", tt.key, in.Summary, in.Description, in.Location, tt.summary, tt.description, tt.location)
		}
	}
	if !byKey["certs-91bc@google.com"].AllDay || byKey["maint-55de@google.com"].AllDay {
		t.Errorf("AllDay wrong: certs %v, maintenance %v", byKey["certs-91bc@google.com"].AllDay, byKey["maint-55de@google.com"].AllDay)
	}
}

func TestExpandTimeZones(t *testing.T) {
	tokyo := zone(t, "Asia/Tokyo")
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, calTZ, event string
		o                  Options
		want               string
	}{
		{"TZID", "", "UID:a\nDTSTART;TZID=America/New_York:20260610T090000", Options{},
			"a 2026-06-10T09:00 EDT America/New_York"},
		{"QuotedTZID", "", `UID:a` + "\n" + `DTSTART;TZID="Europe/Paris":20260610T090000`, Options{},
			"a 2026-06-10T09:00 CEST Europe/Paris"},
		{"UTCShownInCalendarZone", "Asia/Tokyo", "UID:a\nDTSTART:20260610T000000Z", Options{},
			"a 2026-06-10T09:00 JST Asia/Tokyo"},
		{"UTCWithoutCalendarZoneUsesDefault", "", "UID:a\nDTSTART:20260610T000000Z", Options{Zone: tokyo},
			"a 2026-06-10T09:00 JST Asia/Tokyo"},
		{"FloatingInCalendarZone", "Europe/Berlin", "UID:a\nDTSTART:20260610T083000", Options{Zone: tokyo},
			"a 2026-06-10T08:30 CEST Europe/Berlin"},
		{"FloatingInDefaultZone", "", "UID:a\nDTSTART:20260610T083000", Options{Zone: tokyo},
			"a 2026-06-10T08:30 JST Asia/Tokyo"},
		{"AllDayAtNine", "Europe/Berlin", "UID:a\nDTSTART;VALUE=DATE:20260610", Options{},
			"a 2026-06-10T09:00 CEST Europe/Berlin"},
		{"AllDayAtConfiguredTime", "", "UID:a\nDTSTART;VALUE=DATE:20260610", Options{Zone: tokyo, AllDayAt: "07:30"},
			"a 2026-06-10T07:30 JST Asia/Tokyo"},
		{"AllDayWithoutValueParam", "", "UID:a\nDTSTART:20260610", Options{Zone: tokyo},
			"a 2026-06-10T09:00 JST Asia/Tokyo"},
		{"WindowsZoneName", "", "UID:a\nDTSTART;TZID=Tokyo Standard Time:20260610T100000", Options{},
			"a 2026-06-10T10:00 JST Asia/Tokyo"},
		{"MozillaPrefixedZone", "", "UID:a\nDTSTART;TZID=/mozilla.org/20050126_1/Europe/Berlin:20260610T100000", Options{},
			"a 2026-06-10T10:00 CEST Europe/Berlin"},
		{"UnknownZoneFallsBackToCalendarZone", "Asia/Tokyo", "UID:a\nDTSTART;TZID=Mars/Olympus_Mons:20260610T100000", Options{},
			"a 2026-06-10T10:00 JST Asia/Tokyo"},
		{"LocalIsNotTheServerZone", "Asia/Tokyo", "UID:a\nDTSTART;TZID=Local:20260610T100000", Options{},
			"a 2026-06-10T10:00 JST Asia/Tokyo"},
		{"SecondsTruncatedToTheMinute", "", "UID:a\nDTSTART:20260610T090045Z", Options{},
			"a 2026-06-10T09:00 UTC UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.From, tt.o.To = from, from.AddDate(0, 0, 35)
			res := expand(t, ical(tt.calTZ, tt.event), tt.o)
			if got := starts(res); got != tt.want {
				t.Errorf("got %q, want %q (warnings %q)", got, tt.want, res.Warnings)
			}
		})
	}
	t.Run("UnknownZoneWarns", func(t *testing.T) {
		res := expand(t, ical("", "UID:a\nSUMMARY:Mars rover\nDTSTART;TZID=Mars/Olympus_Mons:20260610T100000"),
			Options{From: from, To: from.AddDate(0, 0, 35)})
		if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "Mars/Olympus_Mons") {
			t.Errorf("warnings = %q, want one naming the zone", res.Warnings)
		}
	})
}

func TestExpandDaylightSaving(t *testing.T) {
	data, err := os.ReadFile("testdata/dst.ics")
	if err != nil {
		t.Fatal(err)
	}
	ny := zone(t, "America/New_York")
	from := time.Date(2026, 3, 6, 0, 0, 0, 0, ny)
	res := expand(t, data, Options{From: from, To: time.Date(2026, 3, 9, 12, 0, 0, 0, ny)})
	want := strings.Join([]string{
		"gap-nyc/20260306T073000Z 2026-03-06T02:30 EST America/New_York",
		"daily-nyc/20260306T140000Z 2026-03-06T09:00 EST America/New_York",
		"gap-nyc/20260307T073000Z 2026-03-07T02:30 EST America/New_York",
		"daily-nyc/20260307T140000Z 2026-03-07T09:00 EST America/New_York",
		// 02:30 does not exist on 8 March: it is 03:30 EDT, the offset from before the gap.
		"gap-nyc/20260308T073000Z 2026-03-08T03:30 EDT America/New_York",
		// 09:00 stays 09:00 local: 23 hours after the day before.
		"daily-nyc/20260308T130000Z 2026-03-08T09:00 EDT America/New_York",
		"gap-nyc/20260309T063000Z 2026-03-09T02:30 EDT America/New_York",
		"daily-nyc/20260309T130000Z 2026-03-09T09:00 EDT America/New_York",
	}, "\n")
	if got := starts(res); got != want {
		t.Errorf("spring forward:\n%s\nwant:\n%s", got, want)
	}

	t.Run("FallBackRepeatedHourIsTheFirst", func(t *testing.T) {
		from := time.Date(2026, 10, 31, 0, 0, 0, 0, ny)
		res := expand(t, ical("", "UID:a\nDTSTART;TZID=America/New_York:20261030T013000\nRRULE:FREQ=DAILY;COUNT=4"),
			Options{From: from, To: from.AddDate(0, 0, 3)})
		want := strings.Join([]string{
			"a/20261031T053000Z 2026-10-31T01:30 EDT America/New_York",
			"a/20261101T053000Z 2026-11-01T01:30 EDT America/New_York",
			"a/20261102T063000Z 2026-11-02T01:30 EST America/New_York",
		}, "\n")
		if got := starts(res); got != want {
			t.Errorf("fall back:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("UTCSeriesKeepsItsUTCTime", func(t *testing.T) {
		from := time.Date(2026, 3, 27, 0, 0, 0, 0, time.UTC)
		res := expand(t, ical("Europe/Berlin", "UID:a\nDTSTART:20260301T080000Z\nRRULE:FREQ=DAILY"),
			Options{From: from, To: from.AddDate(0, 0, 4)})
		want := strings.Join([]string{
			"a/20260327T080000Z 2026-03-27T09:00 CET Europe/Berlin",
			"a/20260328T080000Z 2026-03-28T09:00 CET Europe/Berlin",
			"a/20260329T080000Z 2026-03-29T10:00 CEST Europe/Berlin",
			"a/20260330T080000Z 2026-03-30T10:00 CEST Europe/Berlin",
		}, "\n")
		if got := starts(res); got != want {
			t.Errorf("UTC series:\n%s\nwant:\n%s", got, want)
		}
	})
}
