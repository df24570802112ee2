package shiftfile

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/internal/pdcontract"
	"github.com/tobanbot/toban/metrics"
	"github.com/tobanbot/toban/pagerduty"
)

// checkEnv is a PagerDuty fake, held to PagerDuty's spec, with Primary (in
// UTC), Berlin (in Europe/Berlin) and two users, and the real adapter to it.
func checkEnv(t *testing.T, now time.Time) *pagerduty.Client {
	t.Helper()
	fake := pdfake.New(pdfake.Options{Now: func() time.Time { return now }})
	t.Cleanup(fake.Close)
	fake.CheckContract(t, pdcontract.MustLoad(t))
	fake.AddUser(pdfake.User{ID: "PU2", Name: "Bob", Email: "bob@example.com"})
	fake.AddUser(pdfake.User{ID: "PU3", Name: "Carol", Email: "carol@example.com"})
	fake.AddSchedule(pdfake.Schedule{ID: "PS1", Name: "Primary"})
	fake.AddSchedule(pdfake.Schedule{ID: "PS5", Name: "Berlin", TimeZone: "Europe/Berlin"})
	return pagerduty.New(pagerduty.Config{Token: fake.Token(), APIURL: fake.URL(), EventsURL: fake.URL(),
		Timeout: 5 * time.Second, MaxAttempts: 1, Now: func() time.Time { return now }}, metrics.New())
}

// TestCheckEveryProblemInOnePass: syntax problems and PagerDuty look-ups of
// every row come back together, one per problem, each with its line.
func TestCheckEveryProblemInOnePass(t *testing.T) {
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	pd := checkEnv(t, now)
	const header = "schedule,email,start,end,timezone\n"
	tests := []struct {
		name, file string
		want       []string // every problem, in order
	}{
		{"SyntaxAndLookupsOnDifferentRows", header +
			"Primary,bob@example.com,2026-12-01 09:00,2026-12-01 18:00,Asia/Tokyo\n" + // line 2: good
			"Primary,bob@example.com,tomorrow,2026-12-02 18:00,Asia/Tokyo\n" + // 3: syntax
			"Primary,nobody@example.com,2026-12-03 09:00,2026-12-03 18:00,Asia/Tokyo\n" + // 4: unknown user
			"Nope,carol@example.com,2026-12-04 09:00,2026-12-04 18:00,Asia/Tokyo\n" + // 5: unknown schedule
			"Primary,carol@example.com,2026-12-05 09:00,2026-12-05 18:00,Mars/Olympus\n", // 6: bad zone
			[]string{
				`line 3: start: "tomorrow" is not a time; write 2026-12-01 09:00 or 2026-12-01T09:00:00+09:00.`,
				`line 4: no PagerDuty user has the email nobody@example.com.`,
				`line 5: PagerDuty has no schedule named "Nope".`,
				`line 6: timezone "Mars/Olympus" is not an IANA name like Asia/Tokyo or an offset like +09:00.`,
			}},
		{"SyntaxAndLookupOnOneRow", header +
			"Nope,nobody@example.com,2026-12-01 18:00,2026-12-01 09:00,Asia/Tokyo\n",
			[]string{
				`line 2: end 2026-12-01 09:00 is not after start 2026-12-01 18:00.`,
				`line 2: PagerDuty has no schedule named "Nope".`,
				`line 2: no PagerDuty user has the email nobody@example.com.`,
			}},
		{"MalformedFieldsNotLookedUp", header + ",bob,2026-12-01 09:00,2026-12-01 18:00,\n",
			[]string{`line 2: no schedule.`, `line 2: "bob" is not an email address.`}},
		{"EndedAndOverlap", header +
			"Primary,bob@example.com,2026-11-29 09:00,2026-11-29 18:00,UTC\n" +
			"Primary,bob@example.com,2026-12-01 09:00,2026-12-01 18:00,UTC\n" +
			"PS1,carol@example.com,2026-12-01 17:00,2026-12-01 20:00,UTC\n",
			[]string{
				`line 2: the shift ended already (2026-11-29 18:00 UTC).`,
				`line 4: overlaps line 3: both put someone on Primary at 2026-12-01 17:00 UTC.`,
			}},
		{"HeaderProblemStopsThere", "schedule,email,start\n", []string{`line 1: The header has no end column.`}},
		{"NoShifts", header, []string{`The file has a header but no shifts.`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shifts, problems, err := Check(context.Background(), strings.NewReader(tt.file), time.UTC, pd, now)
			if err != nil {
				t.Fatal(err)
			}
			if shifts != nil {
				t.Errorf("shifts = %+v, want none with problems", shifts)
			}
			var got []string
			for _, p := range problems {
				got = append(got, p.Error())
			}
			if g, w := strings.Join(got, "\n"), strings.Join(tt.want, "\n"); g != w {
				t.Errorf("problems:\n%s\nwant:\n%s", g, w)
			}
		})
	}
}

// TestCheckShiftsInTheirOwnZone: each shift is described in the zone its
// row is written in, else its schedule's zone in PagerDuty, else its own
// offset; never in the default zone it was not written in.
func TestCheckShiftsInTheirOwnZone(t *testing.T) {
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	pd := checkEnv(t, now)
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	tests := []struct {
		name, row string
		want      string
	}{
		{"ZoneColumn", "Primary,bob@example.com,2026-12-01 09:00,2026-12-01 18:00,Asia/Tokyo",
			"line 2: Primary — Bob (bob@example.com), Tue Dec 1 2026 09:00 → Tue Dec 1 2026 18:00 (Asia/Tokyo)"},
		{"OffsetColumn", "Primary,bob@example.com,2026-12-01 09:00,2026-12-01 18:00,-05:00",
			"line 2: Primary — Bob (bob@example.com), Tue Dec 1 2026 09:00 → Tue Dec 1 2026 18:00 (-05:00)"},
		{"NaiveInDefaultZone", "Primary,bob@example.com,2026-12-01 09:00,2026-12-01 18:00,",
			"line 2: Primary — Bob (bob@example.com), Tue Dec 1 2026 09:00 → Tue Dec 1 2026 18:00 (Asia/Tokyo)"},
		{"OffsetsInScheduleZone", "Berlin,bob@example.com,2026-12-01T09:00:00Z,2026-12-01T18:00:00Z,",
			"line 2: Berlin — Bob (bob@example.com), Tue Dec 1 2026 10:00 → Tue Dec 1 2026 19:00 (Europe/Berlin)"},
		{"ZoneColumnBeatsSchedule", "Berlin,bob@example.com,2026-12-01 09:00,2026-12-01 18:00,America/New_York",
			"line 2: Berlin — Bob (bob@example.com), Tue Dec 1 2026 09:00 → Tue Dec 1 2026 18:00 (America/New_York)"},
		{"OffsetsInUTCSchedule", "Primary,bob@example.com,2026-12-01T09:00:00+05:30,2026-12-01T18:00:00+05:30,",
			"line 2: Primary — Bob (bob@example.com), Tue Dec 1 2026 03:30 → Tue Dec 1 2026 12:30 (UTC)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := "schedule,email,start,end,timezone\n" + tt.row + "\n"
			shifts, problems, err := Check(context.Background(), strings.NewReader(file), tokyo, pd, now)
			if err != nil || len(problems) > 0 || len(shifts) != 1 {
				t.Fatalf("Check = %+v, %v, %v; want one shift", shifts, problems, err)
			}
			if got := Describe(shifts[0], time.UTC); got != tt.want {
				t.Errorf("Describe =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
