package shiftfile

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/internal/pdcontract"
	"github.com/tobanbot/toban/metrics"
	"github.com/tobanbot/toban/pagerduty"
)

var tokyo, _ = time.LoadLocation("Asia/Tokyo")

func TestParse(t *testing.T) {
	tests := []struct {
		name       string
		file       string
		start, end time.Time
	}{
		{"NaiveInZoneColumn", "schedule,email,start,end,timezone\nPrimary,bob@example.com,2026-12-01 09:00,2026-12-01 18:00,Asia/Tokyo\n",
			time.Date(2026, 12, 1, 9, 0, 0, 0, tokyo), time.Date(2026, 12, 1, 18, 0, 0, 0, tokyo)},
		{"RFC3339", "schedule,email,start,end\nPrimary,bob@example.com,2026-12-01T09:00:00+09:00,2026-12-01T18:00:00Z\n",
			time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)},
		{"OffsetInValue", "schedule,email,start,end\nPrimary,bob@example.com,2026-12-01 09:00 +09:00,2026-12-01 18:00+09:00\n",
			time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)},
		{"OffsetZoneColumn", "schedule,email,start,end,tz\nPrimary,bob@example.com,2026-12-01 09:00,2026-12-01 18:00,+09:00\n",
			time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)},
		{"DefaultZone", "Schedule;E-mail;Start;End\r\nPrimary;bob@example.com;2026-12-01 09:00;2026-12-01 18:00\r\n",
			time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)},
		{"BOMAndBlankLines", "\uFEFFschedule,email,start,end\n\n,,,\nPrimary,bob@example.com,2026-12-01T09:00:00Z,2026-12-01T10:00:00Z\n",
			time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, errs := Parse(strings.NewReader(tt.file), tokyo)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if len(rows) != 1 {
				t.Fatalf("rows = %+v, want 1", rows)
			}
			if got := rows[0]; !got.Start.Equal(tt.start) || !got.End.Equal(tt.end) || got.Schedule != "Primary" || got.Email != "bob@example.com" {
				t.Errorf("row = %+v, want %v..%v", got, tt.start, tt.end)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const header = "schedule,email,start,end,timezone\n"
	tests := []struct {
		name, file string
		zone       *time.Location
		want       []string // each must appear, in order of lines
	}{
		{"Empty", "", tokyo, []string{"The file is empty"}},
		{"MissingColumn", "schedule,email,start\n", tokyo, []string{"line 1: The header has no end column."}},
		{"UnknownColumn", "schedule,email,start,end,colour\n", tokyo, []string{`line 1: Unknown column "colour"`}},
		{"NoRows", header, tokyo, []string{"no shifts"}},
		{"EndBeforeStart", header + "Primary,bob@example.com,2026-12-01 18:00,2026-12-01 09:00,Asia/Tokyo\n", tokyo,
			[]string{"line 2: end 2026-12-01 09:00 is not after start 2026-12-01 18:00."}},
		{"BadEmailAndTime", header + "Primary,bob,tomorrow,2026-12-01 09:00,Asia/Tokyo\n", tokyo,
			[]string{`line 2: "bob" is not an email address; start: "tomorrow" is not a time`}},
		{"BadZone", header + "Primary,bob@example.com,2026-12-01 09:00,2026-12-01 18:00,Mars/Olympus\n", tokyo,
			[]string{`line 2: timezone "Mars/Olympus" is not an IANA name`}},
		{"NoZoneAtAll", "schedule,email,start,end\nPrimary,bob@example.com,2026-12-01 09:00,2026-12-01 18:00\n", nil,
			[]string{"has no time zone"}},
		{"OffsetDisagreesWithZone", header + "Primary,bob@example.com,2026-12-01T09:00:00+01:00,2026-12-01 18:00,Asia/Tokyo\n", tokyo,
			[]string{"does not match the row's timezone Asia/Tokyo"}},
		{"SpringForwardGap", header + "Primary,bob@example.com,2026-03-08 02:30,2026-03-08 05:00,America/New_York\n", tokyo,
			[]string{"does not exist in America/New_York"}},
		{"EveryBadRowByLine", header +
			"Primary,bob@example.com,2026-12-01 09:00,2026-12-01 18:00,Asia/Tokyo\n" +
			",bob@example.com,2026-12-01 09:00,2026-12-01 18:00,Asia/Tokyo\n" +
			"Primary,bob@example.com,2026-12-01 09:00,2026-12-01 18:00,Asia/Tokyo\n" +
			"Primary,,2026-12-01 09:00,2026-12-01 18:00,Asia/Tokyo\n", tokyo,
			[]string{"line 3: no schedule.", "line 5: no email."}},
		{"QuotedLineBreakCountsLines", header + "\"Pri\nmary\",bob@example.com,2026-12-01 09:00,2026-12-01 18:00,Asia/Tokyo\n" +
			"Primary,nobody,2026-12-01 09:00,2026-12-01 18:00,Asia/Tokyo\n", tokyo, []string{"line 4:"}},
		{"BadQuote", header + "Primary,\"bob@example.com,2026-12-01 09:00\n", tokyo, []string{"not valid CSV"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, errs := Parse(strings.NewReader(tt.file), tt.zone)
			if rows != nil {
				t.Errorf("rows = %+v, want none with errors", rows)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			all := strings.Join(got, "\n")
			if len(got) == 0 {
				t.Fatal("no errors")
			}
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("errors:\n%s\nwant %q", all, w)
				}
			}
		})
	}
}

// directory is a PagerDuty with two schedules (two named "Dup") and two users.
type directory struct{ lookups int }

func (d *directory) Schedules(ctx context.Context, query string) ([]domain.Schedule, error) {
	return []domain.Schedule{{ID: "PS1", Name: "Primary"}, {ID: "PS2", Name: "Secondary"}, {ID: "PS3", Name: "Dup"}, {ID: "PS4", Name: "Dup"}}, nil
}

func (d *directory) UserByEmail(ctx context.Context, email string) (domain.Person, error) {
	d.lookups++
	switch strings.ToLower(email) {
	case "bob@example.com":
		return domain.Person{ID: "PU2", Name: "Bob", Email: "bob@example.com"}, nil
	case "carol@example.com":
		return domain.Person{ID: "PU3", Name: "Carol", Email: "carol@example.com"}, nil
	}
	return domain.Person{}, fmt.Errorf("user %s: %w", email, domain.ErrNotFound)
}

func TestResolve(t *testing.T) {
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	at := func(day, hour int) time.Time { return time.Date(2026, 12, day, hour, 0, 0, 0, time.UTC) }
	row := func(line int, sched, email string, start, end time.Time) Row {
		return Row{Line: line, Schedule: sched, Email: email, Start: start, End: end}
	}
	t.Run("OK", func(t *testing.T) {
		d := &directory{}
		shifts, problems, err := Resolve(context.Background(), []Row{
			row(2, "primary", "Bob@example.com", at(1, 0), at(1, 9)),
			row(3, "PS1", "bob@example.com", at(1, 9), at(1, 18)), // adjacent, not overlapping
			row(4, "Secondary", "carol@example.com", at(1, 0), at(1, 9)),
		}, d, now)
		if err != nil || len(problems) > 0 {
			t.Fatalf("problems = %v, err = %v", problems, err)
		}
		if len(shifts) != 3 || shifts[0].Schedule.ID != "PS1" || shifts[1].Schedule.ID != "PS1" || shifts[2].User.ID != "PU3" {
			t.Errorf("shifts = %+v", shifts)
		}
		if d.lookups != 2 {
			t.Errorf("user lookups = %d, want one per email", d.lookups)
		}
	})
	t.Run("ErrEveryProblemByLine", func(t *testing.T) {
		_, problems, err := Resolve(context.Background(), []Row{
			row(2, "Primary", "bob@example.com", at(1, 0), at(1, 9)),
			row(3, "Nope", "bob@example.com", at(1, 0), at(1, 9)),
			row(4, "Secondary", "dave@example.com", at(1, 0), at(1, 9)),
			row(5, "Dup", "bob@example.com", at(1, 0), at(1, 9)),
			row(6, "PS1", "carol@example.com", at(1, 8), at(1, 10)), // overlaps line 2
			row(7, "Secondary", "bob@example.com", now.Add(-2*time.Hour), now.Add(-time.Hour)),
		}, &directory{}, now)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range problems {
			got = append(got, p.Error())
		}
		want := []string{
			`line 3: PagerDuty has no schedule named "Nope".`,
			`line 4: no PagerDuty user has the email dave@example.com.`,
			`line 5: 2 schedules are named "Dup"; use the schedule ID instead.`,
			`line 6: overlaps line 2: both put someone on Primary at 2026-12-01 08:00 UTC.`,
			`line 7: the shift ended already (2026-11-29 23:00 UTC).`,
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// applyEnv is a PagerDuty fake with two schedules and two users, held
// to PagerDuty's spec, and the real adapter to it.
func applyEnv(t *testing.T) (*pagerduty.Client, *pdfake.Server) {
	t.Helper()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	fake := pdfake.New(pdfake.Options{Now: func() time.Time { return now }})
	t.Cleanup(fake.Close)
	fake.CheckContract(t, pdcontract.MustLoad(t))
	fake.AddUser(pdfake.User{ID: "PU2", Name: "Bob", Email: "bob@example.com"})
	fake.AddUser(pdfake.User{ID: "PU3", Name: "Carol", Email: "carol@example.com"})
	fake.AddSchedule(pdfake.Schedule{ID: "PS1", Name: "Primary"})
	fake.AddSchedule(pdfake.Schedule{ID: "PS2", Name: "Secondary"})
	c := pagerduty.New(pagerduty.Config{Token: fake.Token(), APIURL: fake.URL(), EventsURL: fake.URL(),
		Timeout: 5 * time.Second, MaxAttempts: 1, Now: func() time.Time { return now }}, metrics.New())
	return c, fake
}

// fiftyShifts alternates two schedules and two people, one hour each.
func fiftyShifts() []Shift {
	start := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	var out []Shift
	for i := range 50 {
		sc := domain.Schedule{ID: "PS1", Name: "Primary"}
		if i%2 == 1 {
			sc = domain.Schedule{ID: "PS2", Name: "Secondary"}
		}
		who := domain.Person{ID: "PU2", Name: "Bob", Email: "bob@example.com"}
		if i%4 >= 2 {
			who = domain.Person{ID: "PU3", Name: "Carol", Email: "carol@example.com"}
		}
		s := start.Add(time.Duration(i/2) * time.Hour)
		out = append(out, Shift{Line: i + 2, Schedule: sc, User: who, Start: s, End: s.Add(time.Hour)})
	}
	return out
}

func TestApply(t *testing.T) {
	ctx := context.Background()
	t.Run("FiftyRowsTwoSchedulesTwoRequests", func(t *testing.T) {
		c, fake := applyEnv(t)
		got := Apply(ctx, fiftyShifts(), c)
		if !got.Complete() || len(got.Created) != 50 {
			t.Fatalf("Apply: %d created, refused %+v, not sent %d; want 50", len(got.Created), got.Refused, len(got.NotSent))
		}
		if n := len(fake.RequestsTo("POST", "/schedules/")); n != 2 {
			t.Errorf("override requests = %d, want 2 (one per schedule)", n)
		}
		if got, want := len(fake.Overrides("PS1"))+len(fake.Overrides("PS2")), 50; got != want {
			t.Errorf("overrides in PagerDuty = %d, want %d", got, want)
		}
	})
	t.Run("OneRefusedReportedByRow", func(t *testing.T) {
		c, fake := applyEnv(t)
		shifts := []Shift{
			{Line: 2, Schedule: domain.Schedule{ID: "PS1", Name: "Primary"}, User: domain.Person{ID: "PU2", Name: "Bob"},
				Start: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)},
			{Line: 3, Schedule: domain.Schedule{ID: "PS1", Name: "Primary"}, User: domain.Person{ID: "PU3", Name: "Carol"},
				Start: time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)},
			{Line: 4, Schedule: domain.Schedule{ID: "PS2", Name: "Secondary"}, User: domain.Person{ID: "PU2", Name: "Bob"},
				Start: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)},
		}
		fake.RefuseOverridesFor("PU3", "User cannot be added to this schedule")
		got := Apply(ctx, shifts, c)
		if got.Complete() || len(got.Created) != 1 || len(got.Refused) != 1 || len(got.NotSent) != 1 {
			t.Fatalf("Apply = %+v", got)
		}
		lines := Report(got, time.UTC)
		want := []string{
			"created (" + got.Created[0].Override.ID + ") — line 2: Primary",
			"NOT created, PagerDuty said: User cannot be added to this schedule — line 3: Primary",
			"not sent (stopped at the refusal) — line 4: Secondary",
		}
		if len(lines) != len(want) {
			t.Fatalf("Report = %q", lines)
		}
		for i := range want {
			if !strings.HasPrefix(lines[i], want[i]) {
				t.Errorf("Report[%d] = %q, want prefix %q", i, lines[i], want[i])
			}
		}
		if n := len(fake.RequestsTo("POST", "/schedules/")); n != 1 {
			t.Errorf("override requests = %d, want 1: Secondary is not sent after a refusal", n)
		}
		if left := Remove(ctx, c, got.Overrides()); len(left) != 0 {
			t.Errorf("Remove left %v", left)
		}
		if n := len(fake.Overrides("PS1")); n != 0 {
			t.Errorf("overrides left on Primary = %d, want 0 after Remove", n)
		}
	})
}

// FuzzParse: any input gives rows or line-numbered problems, never a
// panic; rows always end after they start and never come with problems.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"schedule,email,start,end,timezone\nPrimary,bob@example.com,2026-12-01 09:00,2026-12-01 18:00,Asia/Tokyo\n",
		"schedule;email;start;end\nP;a@b;2026-12-01T09:00:00Z;2026-12-01T08:00:00Z\n",
		"schedule,email,start,end,tz\n\"a\nb\",x@y,2026-03-08 02:30,2026-03-08 05:00,America/New_York\n",
		"\uFEFF", "a,b\n\"", "schedule,email,start,end,tz\nP,a@b,2026-12-01 09:00 +09:00,2026-12-01 10:00,+09:00\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		rows, errs := Parse(strings.NewReader(data), tokyo)
		if len(rows) > 0 && len(errs) > 0 {
			t.Fatalf("rows and problems together: %v", errs)
		}
		for _, r := range rows {
			if !r.End.After(r.Start) || r.Line < 2 || r.Schedule == "" || r.Email == "" {
				t.Fatalf("bad row accepted: %+v", r)
			}
		}
		for _, e := range errs {
			if e.Line < 0 || e.Msg == "" {
				t.Fatalf("unreadable problem %+v", e)
			}
		}
	})
}
