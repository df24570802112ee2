package scheduler

import (
	"errors"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

const localLayout = "2006-01-02 15:04 MST" // how wanted due times are written

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func mustTime(t testing.TB, rfc3339 string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		t.Fatalf("parse %q: %v", rfc3339, err)
	}
	return tm
}

func TestRuleNext(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	berlin := mustLoc(t, "Europe/Berlin")
	tokyo := mustLoc(t, "Asia/Tokyo")
	daily := func(at string, loc *time.Location) Rule { return Rule{Kind: KindDaily, At: at, Location: loc} }
	cronR := func(expr string, loc *time.Location) Rule { return Rule{Kind: KindCron, Cron: expr, Location: loc} }

	tests := []struct {
		name  string
		rule  Rule
		after string // RFC 3339
		want  string // localLayout in the rule's zone; "" for none
	}{
		// America/New_York: 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST.
		{"ny daily the day before spring-forward", daily("02:30", ny), "2026-03-06T12:00:00-05:00", "2026-03-07 02:30 EST"},
		{"ny daily in the spring-forward gap shifts by the gap", daily("02:30", ny), "2026-03-07T12:00:00-05:00", "2026-03-08 03:30 EDT"},
		{"ny daily after the shifted occurrence", daily("02:30", ny), "2026-03-08T03:30:00-04:00", "2026-03-09 02:30 EDT"},
		{"ny daily just before the shifted occurrence", daily("02:30", ny), "2026-03-08T03:29:00-04:00", "2026-03-08 03:30 EDT"},
		{"ny daily 09:00 keeps its wall time across spring-forward", daily("09:00", ny), "2026-03-07T09:00:00-05:00", "2026-03-08 09:00 EDT"},
		{"ny daily repeated time fires at the first occurrence", daily("01:30", ny), "2026-10-31T12:00:00-04:00", "2026-11-01 01:30 EDT"},
		{"ny daily repeated time fires once", daily("01:30", ny), "2026-11-01T01:30:00-04:00", "2026-11-02 01:30 EST"},
		{"ny daily during the repeated hour", daily("01:30", ny), "2026-11-01T01:10:00-05:00", "2026-11-02 01:30 EST"},
		{"ny daily midnight around fall-back", daily("00:00", ny), "2026-10-31T00:00:00-04:00", "2026-11-01 00:00 EDT"},

		// Europe/Berlin: 2026-03-29 02:00 CET → 03:00 CEST; 2026-10-25 03:00 CEST → 02:00 CET.
		{"berlin daily in the spring-forward gap", daily("02:30", berlin), "2026-03-28T12:00:00+01:00", "2026-03-29 03:30 CEST"},
		{"berlin daily at the gap's start", daily("02:00", berlin), "2026-03-28T12:00:00+01:00", "2026-03-29 03:00 CEST"},
		{"berlin daily after the gap", daily("03:00", berlin), "2026-03-28T12:00:00+01:00", "2026-03-29 03:00 CEST"},
		{"berlin daily repeated time fires at the first occurrence", daily("02:30", berlin), "2026-10-24T12:00:00+02:00", "2026-10-25 02:30 CEST"},
		{"berlin daily repeated time fires once", daily("02:30", berlin), "2026-10-25T02:30:00+02:00", "2026-10-26 02:30 CET"},
		{"berlin daily during the repeated hour", daily("02:30", berlin), "2026-10-25T02:10:00+01:00", "2026-10-26 02:30 CET"},
		{"berlin weekly sunday in the gap", Rule{Kind: KindWeekly, At: "02:30", Weekdays: []time.Weekday{time.Sunday}, Location: berlin}, "2026-03-22T02:30:00+01:00", "2026-03-29 03:30 CEST"},

		// Asia/Tokyo has no DST.
		{"tokyo daily later today", daily("09:00", tokyo), "2026-03-08T08:00:00+09:00", "2026-03-08 09:00 JST"},
		{"tokyo daily tomorrow", daily("09:00", tokyo), "2026-03-08T09:00:00+09:00", "2026-03-09 09:00 JST"},
		{"tokyo weekdays friday to monday", Rule{Kind: KindWeekdays, At: "09:00", Location: tokyo}, "2026-05-01T09:00:00+09:00", "2026-05-04 09:00 JST"},
		{"tokyo after is in another zone", daily("09:00", tokyo), "2026-03-08T00:30:00Z", "2026-03-09 09:00 JST"},

		// Weekdays across weekends (2026-05-01 is a Friday).
		{"weekdays friday before", Rule{Kind: KindWeekdays, At: "09:00"}, "2026-05-01T08:59:00Z", "2026-05-01 09:00 UTC"},
		{"weekdays friday after", Rule{Kind: KindWeekdays, At: "09:00"}, "2026-05-01T09:00:00Z", "2026-05-04 09:00 UTC"},
		{"weekdays saturday", Rule{Kind: KindWeekdays, At: "09:00"}, "2026-05-02T12:00:00Z", "2026-05-04 09:00 UTC"},
		{"weekdays sunday late", Rule{Kind: KindWeekdays, At: "09:00"}, "2026-05-03T23:59:00Z", "2026-05-04 09:00 UTC"},
		{"weekdays monday to tuesday", Rule{Kind: KindWeekdays, At: "09:00"}, "2026-05-04T09:00:00Z", "2026-05-05 09:00 UTC"},
		{"weekdays with seconds", Rule{Kind: KindWeekdays, At: "09:00"}, "2026-05-04T08:59:59.5Z", "2026-05-04 09:00 UTC"},

		// Weekly on several days.
		{"weekly mon,wed from monday", Rule{Kind: KindWeekly, At: "09:00", Weekdays: []time.Weekday{time.Wednesday, time.Monday}, Location: berlin}, "2026-05-04T09:00:00+02:00", "2026-05-06 09:00 CEST"},
		{"weekly mon,wed from wednesday", Rule{Kind: KindWeekly, At: "09:00", Weekdays: []time.Weekday{time.Wednesday, time.Monday}, Location: berlin}, "2026-05-06T09:00:00+02:00", "2026-05-11 09:00 CEST"},
		{"weekly repeated day", Rule{Kind: KindWeekly, At: "09:00", Weekdays: []time.Weekday{time.Friday, time.Friday}}, "2026-05-01T09:00:00Z", "2026-05-08 09:00 UTC"},
		{"weekly sunday only", Rule{Kind: KindWeekly, At: "18:00", Weekdays: []time.Weekday{time.Sunday}}, "2026-05-03T18:00:00Z", "2026-05-10 18:00 UTC"},

		// Monthly.
		{"monthly_day 31 in april", Rule{Kind: KindMonthlyDay, Day: 31, At: "18:00"}, "2026-03-31T18:00:00Z", "2026-04-30 18:00 UTC"},
		{"monthly_day 30 in february", Rule{Kind: KindMonthlyDay, Day: 30, At: "18:00"}, "2026-01-30T18:00:00Z", "2026-02-28 18:00 UTC"},
		{"monthly_day 29 in leap february", Rule{Kind: KindMonthlyDay, Day: 29, At: "18:00"}, "2028-01-29T18:00:00Z", "2028-02-29 18:00 UTC"},
		{"monthly_day 15 later this month", Rule{Kind: KindMonthlyDay, Day: 15, At: "08:00"}, "2026-06-01T00:00:00Z", "2026-06-15 08:00 UTC"},
		{"monthly_day across the year end", Rule{Kind: KindMonthlyDay, Day: 1, At: "00:00"}, "2026-12-01T00:00:00Z", "2027-01-01 00:00 UTC"},
		{"monthly_last february 2027", Rule{Kind: KindMonthlyLast, At: "18:00"}, "2027-01-31T18:00:00Z", "2027-02-28 18:00 UTC"},
		{"monthly_last february 2028", Rule{Kind: KindMonthlyLast, At: "18:00"}, "2028-01-31T18:00:00Z", "2028-02-29 18:00 UTC"},
		{"monthly_last before the last day", Rule{Kind: KindMonthlyLast, At: "18:00"}, "2026-04-30T17:00:00Z", "2026-04-30 18:00 UTC"},
		{"monthly_last berlin after fall-back", Rule{Kind: KindMonthlyLast, At: "18:00", Location: berlin}, "2026-10-01T00:00:00+02:00", "2026-10-31 18:00 CET"},

		// Once.
		{"once ahead", Rule{Kind: KindOnce, Date: "2026-12-01", At: "10:00", Location: berlin}, "2026-05-01T00:00:00Z", "2026-12-01 10:00 CET"},
		{"once just before", Rule{Kind: KindOnce, Date: "2026-12-01", At: "10:00", Location: berlin}, "2026-12-01T09:59:00+01:00", "2026-12-01 10:00 CET"},
		{"once exactly then", Rule{Kind: KindOnce, Date: "2026-12-01", At: "10:00", Location: berlin}, "2026-12-01T10:00:00+01:00", ""},
		{"once past", Rule{Kind: KindOnce, Date: "2026-12-01", At: "10:00", Location: berlin}, "2027-01-01T00:00:00Z", ""},
		{"once on leap day", Rule{Kind: KindOnce, Date: "2028-02-29", At: "12:00"}, "2026-05-01T00:00:00Z", "2028-02-29 12:00 UTC"},
		{"once in the gap", Rule{Kind: KindOnce, Date: "2026-03-08", At: "02:30", Location: ny}, "2026-03-01T00:00:00Z", "2026-03-08 03:30 EDT"},
		{"once in the repeated hour", Rule{Kind: KindOnce, Date: "2026-11-01", At: "01:30", Location: ny}, "2026-10-01T00:00:00Z", "2026-11-01 01:30 EDT"},
		{"once in the repeated hour, after its first occurrence", Rule{Kind: KindOnce, Date: "2026-11-01", At: "01:30", Location: ny}, "2026-11-01T01:30:00-04:00", ""},
		{"once invalid date", Rule{Kind: KindOnce, Date: "2027-02-29", At: "12:00"}, "2026-05-01T00:00:00Z", ""},

		// Cron.
		{"cron weekdays tokyo", cronR("0 9 * * 1-5", tokyo), "2026-05-01T09:00:00+09:00", "2026-05-04 09:00 JST"},
		{"cron descriptor @daily", cronR("@daily", berlin), "2026-05-01T12:00:00+02:00", "2026-05-02 00:00 CEST"},
		{"cron descriptor @monthly", cronR("@monthly", ny), "2026-05-01T00:00:00-04:00", "2026-06-01 00:00 EDT"},
		{"cron day-of-month or day-of-week", cronR("0 9 1 * 1", time.UTC), "2026-05-26T00:00:00Z", "2026-06-01 09:00 UTC"},
		{"cron day-of-month or day-of-week, the monday", cronR("0 9 1 * 1", time.UTC), "2026-05-02T00:00:00Z", "2026-05-04 09:00 UTC"},
		{"cron 31st skips short months", cronR("0 0 31 * *", time.UTC), "2026-03-31T00:00:00Z", "2026-05-31 00:00 UTC"},
		{"cron leap day", cronR("0 0 29 2 *", time.UTC), "2026-01-01T00:00:00Z", "2028-02-29 00:00 UTC"},
		{"cron spring-forward gap shifts by the gap", cronR("30 2 * * *", ny), "2026-03-07T12:00:00-05:00", "2026-03-08 03:30 EDT"},
		{"cron berlin gap", cronR("30 2 * * *", berlin), "2026-03-28T12:00:00+01:00", "2026-03-29 03:30 CEST"},
		{"cron fall-back fires once", cronR("30 1 * * *", ny), "2026-11-01T01:30:00-04:00", "2026-11-02 01:30 EST"},
		{"cron berlin fall-back fires once", cronR("30 2 * * *", berlin), "2026-10-25T02:30:00+02:00", "2026-10-26 02:30 CET"},
		{"cron hourly into the repeated hour", cronR("0 * * * *", ny), "2026-11-01T00:30:00-04:00", "2026-11-01 01:00 EDT"},
		{"cron hourly skips the repeat", cronR("0 * * * *", ny), "2026-11-01T01:00:00-04:00", "2026-11-01 02:00 EST"},
		{"cron half-hourly into the gap", cronR("*/30 * * * *", ny), "2026-03-08T01:45:00-05:00", "2026-03-08 03:00 EDT"},
		{"cron half-hourly through the gap", cronR("*/30 * * * *", ny), "2026-03-08T03:00:00-04:00", "2026-03-08 03:30 EDT"},
		{"cron half-hourly after the gap", cronR("*/30 * * * *", ny), "2026-03-08T03:30:00-04:00", "2026-03-08 04:00 EDT"},
		{"cron never", cronR("0 0 30 2 *", time.UTC), "2026-01-01T00:00:00Z", ""},
		{"cron invalid", cronR("61 * * * *", time.UTC), "2026-01-01T00:00:00Z", ""},

		{"nil location is utc", Rule{Kind: KindDaily, At: "23:59"}, "2026-12-31T23:59:00Z", "2027-01-01 23:59 UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.rule.Next(mustTime(t, tt.after))
			if tt.want == "" {
				if ok {
					t.Fatalf("%v.Next(%s) = %s, want none", tt.rule, tt.after, got.Format(localLayout))
				}
				return
			}
			if !ok {
				t.Fatalf("%v.Next(%s) = none, want %s", tt.rule, tt.after, tt.want)
			}
			if s := got.Format(localLayout); s != tt.want {
				t.Fatalf("%v.Next(%s) = %s, want %s", tt.rule, tt.after, s, tt.want)
			}
			if !got.After(mustTime(t, tt.after)) {
				t.Fatalf("Next(%s) = %s, not after", tt.after, got)
			}
			// Prev agrees: the occurrence is one, and nothing lies between.
			if p, ok := tt.rule.Prev(got); !ok || !p.Equal(got) {
				t.Fatalf("Prev(%s) = %s, %v; want the same time", got, p, ok)
			}
			if p, ok := tt.rule.Prev(got.Add(-time.Second)); ok && p.After(mustTime(t, tt.after)) {
				t.Fatalf("Prev(%s) = %s, which is after %s: Next skipped it", got.Add(-time.Second), p, tt.after)
			}
		})
	}
}

// TestRuleSequences walks rules through a year or more, occurrence by
// occurrence, and checks every one.
func TestRuleSequences(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	berlin := mustLoc(t, "Europe/Berlin")
	tests := []struct {
		name  string
		rule  Rule
		after string
		want  []string
	}{
		{"monthly_day 31 through 2026", Rule{Kind: KindMonthlyDay, Day: 31, At: "18:00"}, "2026-01-01T00:00:00Z", []string{
			"2026-01-31 18:00 UTC", "2026-02-28 18:00 UTC", "2026-03-31 18:00 UTC", "2026-04-30 18:00 UTC",
			"2026-05-31 18:00 UTC", "2026-06-30 18:00 UTC", "2026-07-31 18:00 UTC", "2026-08-31 18:00 UTC",
			"2026-09-30 18:00 UTC", "2026-10-31 18:00 UTC", "2026-11-30 18:00 UTC", "2026-12-31 18:00 UTC",
			"2027-01-31 18:00 UTC", "2027-02-28 18:00 UTC",
		}},
		{"monthly_day 31 in 2028", Rule{Kind: KindMonthlyDay, Day: 31, At: "09:00", Location: berlin}, "2028-01-31T09:00:00+01:00", []string{
			"2028-02-29 09:00 CET", "2028-03-31 09:00 CEST", "2028-04-30 09:00 CEST",
		}},
		{"monthly_last 2027 into 2028", Rule{Kind: KindMonthlyLast, At: "18:00"}, "2027-01-01T00:00:00Z", []string{
			"2027-01-31 18:00 UTC", "2027-02-28 18:00 UTC", "2027-03-31 18:00 UTC",
		}},
		{"monthly_last 2028", Rule{Kind: KindMonthlyLast, At: "18:00"}, "2028-01-01T00:00:00Z", []string{
			"2028-01-31 18:00 UTC", "2028-02-29 18:00 UTC", "2028-03-31 18:00 UTC",
		}},
		{"ny daily 02:30 through spring-forward", Rule{Kind: KindDaily, At: "02:30", Location: ny}, "2026-03-06T12:00:00-05:00", []string{
			"2026-03-07 02:30 EST", "2026-03-08 03:30 EDT", "2026-03-09 02:30 EDT",
		}},
		{"ny daily 01:30 through fall-back", Rule{Kind: KindDaily, At: "01:30", Location: ny}, "2026-10-31T00:00:00-04:00", []string{
			"2026-10-31 01:30 EDT", "2026-11-01 01:30 EDT", "2026-11-02 01:30 EST",
		}},
		{"berlin daily 02:30 through fall-back", Rule{Kind: KindDaily, At: "02:30", Location: berlin}, "2026-10-24T00:00:00+02:00", []string{
			"2026-10-24 02:30 CEST", "2026-10-25 02:30 CEST", "2026-10-26 02:30 CET",
		}},
		{"ny hourly cron through fall-back", Rule{Kind: KindCron, Cron: "30 * * * *", Location: ny}, "2026-11-01T00:00:00-04:00", []string{
			"2026-11-01 00:30 EDT", "2026-11-01 01:30 EDT", "2026-11-01 02:30 EST", "2026-11-01 03:30 EST",
		}},
		{"ny hourly cron through spring-forward", Rule{Kind: KindCron, Cron: "30 * * * *", Location: ny}, "2026-03-08T00:00:00-05:00", []string{
			"2026-03-08 00:30 EST", "2026-03-08 01:30 EST", "2026-03-08 03:30 EDT", "2026-03-08 04:30 EDT",
		}},
		{"weekly mon,wed,fri", Rule{Kind: KindWeekly, At: "09:00", Weekdays: []time.Weekday{time.Friday, time.Monday, time.Wednesday}}, "2026-05-01T00:00:00Z", []string{
			"2026-05-01 09:00 UTC", "2026-05-04 09:00 UTC", "2026-05-06 09:00 UTC", "2026-05-08 09:00 UTC", "2026-05-11 09:00 UTC",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := mustTime(t, tt.after)
			for i, want := range tt.want {
				got, ok := tt.rule.Next(at)
				if !ok {
					t.Fatalf("occurrence %d: Next(%s) = none, want %s", i, at, want)
				}
				if s := got.Format(localLayout); s != want {
					t.Fatalf("occurrence %d: Next(%s) = %s, want %s", i, at, s, want)
				}
				at = got
			}
		})
	}
}

// TestRuleNextPrevConsistent checks, for every kind and several zones over
// whole years of DST transitions, that Next strictly increases, lands on
// times Prev agrees with, and never skips an occurrence Prev can see.
func TestRuleNextPrevConsistent(t *testing.T) {
	rules := []Rule{
		{Kind: KindDaily, At: "02:30"},
		{Kind: KindDaily, At: "01:30"},
		{Kind: KindDaily, At: "00:00"},
		{Kind: KindWeekdays, At: "02:00"},
		{Kind: KindWeekly, At: "02:59", Weekdays: []time.Weekday{time.Sunday, time.Saturday}},
		{Kind: KindMonthlyDay, Day: 31, At: "23:30"},
		{Kind: KindMonthlyLast, At: "02:15"},
		{Kind: KindCron, Cron: "*/20 0-4 * * *"},
		{Kind: KindCron, Cron: "15 2 * * 0"},
	}
	zones := []string{"America/New_York", "Europe/Berlin", "Asia/Tokyo", "Australia/Lord_Howe", "America/Sao_Paulo", "UTC"}
	for _, zone := range zones {
		loc := mustLoc(t, zone)
		for _, r := range rules {
			r.Location = loc
			t.Run(zone+"/"+r.Encode(), func(t *testing.T) {
				at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
				end := time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)
				if r.Kind == KindCron && r.Cron[0] == '*' {
					end = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
				}
				for n := 0; at.Before(end); n++ {
					got, ok := r.Next(at)
					if !ok {
						t.Fatalf("Next(%s) = none", at)
					}
					if !got.After(at) {
						t.Fatalf("Next(%s) = %s, not after", at, got)
					}
					if got.Second() != 0 || got.Nanosecond() != 0 {
						t.Fatalf("Next(%s) = %s, not a whole minute", at, got)
					}
					if p, ok := r.Prev(got); !ok || !p.Equal(got) {
						t.Fatalf("Prev(%s) = %s, %v; want the same time", got, p, ok)
					}
					if n > 0 {
						if p, ok := r.Prev(got.Add(-time.Second)); !ok || !p.Equal(at) {
							t.Fatalf("Prev(%s) = %s, %v; want the previous occurrence %s", got.Add(-time.Second), p, ok, at)
						}
					}
					at = got
				}
			})
		}
	}
}

// TestRobfigDSTBehaviour pins down what robfig/cron's own SpecSchedule.Next
// does at DST transitions, which is why the package evaluates cron
// expressions itself. If this test starts failing, robfig has changed.
func TestRobfigDSTBehaviour(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	tests := []struct {
		name, expr, after, want string
	}{
		{"skips a time in the spring-forward gap", "30 2 * * *", "2026-03-07T02:30:00-05:00", "2026-03-09 02:30 EDT"},
		{"returns a repeated time twice", "30 1 * * *", "2026-11-01T01:30:00-04:00", "2026-11-01 01:30 EST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := cron.ParseStandard(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			s.(*cron.SpecSchedule).Location = ny
			got := s.Next(mustTime(t, tt.after)).In(ny).Format(localLayout)
			if got != tt.want {
				t.Fatalf("robfig Next(%s) = %s, want %s", tt.after, got, tt.want)
			}
			ours, _ := Rule{Kind: KindCron, Cron: tt.expr, Location: ny}.Next(mustTime(t, tt.after))
			if ours.Format(localLayout) == got {
				t.Fatalf("Rule.Next(%s) = %s, the same as robfig's", tt.after, got)
			}
		})
	}
}

func TestRuleValidate(t *testing.T) {
	now := mustTime(t, "2026-05-01T12:00:00Z")
	berlin := mustLoc(t, "Europe/Berlin")
	tests := []struct {
		name      string
		rule      Rule
		wantField string // "" for valid
	}{
		{"daily ok", Rule{Kind: KindDaily, At: "09:00"}, ""},
		{"midnight ok", Rule{Kind: KindDaily, At: "00:00"}, ""},
		{"23:59 ok", Rule{Kind: KindDaily, At: "23:59"}, ""},
		{"weekdays ok", Rule{Kind: KindWeekdays, At: "09:00", Location: berlin}, ""},
		{"weekly ok", Rule{Kind: KindWeekly, At: "09:00", Weekdays: []time.Weekday{time.Monday}}, ""},
		{"monthly_day 1 ok", Rule{Kind: KindMonthlyDay, Day: 1, At: "09:00"}, ""},
		{"monthly_day 31 ok", Rule{Kind: KindMonthlyDay, Day: 31, At: "09:00"}, ""},
		{"monthly_last ok", Rule{Kind: KindMonthlyLast, At: "18:00"}, ""},
		{"once ahead ok", Rule{Kind: KindOnce, Date: "2026-12-01", At: "10:00", Location: berlin}, ""},
		{"once leap day ok", Rule{Kind: KindOnce, Date: "2028-02-29", At: "10:00"}, ""},
		{"cron ok", Rule{Kind: KindCron, Cron: "0 9 * * 1-5"}, ""},
		{"cron descriptor ok", Rule{Kind: KindCron, Cron: "@weekly"}, ""},
		{"cron names ok", Rule{Kind: KindCron, Cron: "0 9 * JAN-MAR MON"}, ""},
		{"cron leap day ok", Rule{Kind: KindCron, Cron: "0 0 29 2 *"}, ""},

		{"no kind", Rule{At: "09:00"}, "kind"},
		{"unknown kind", Rule{Kind: "fortnightly", At: "09:00"}, "kind"},
		{"no time", Rule{Kind: KindDaily}, "at"},
		{"hour 24", Rule{Kind: KindDaily, At: "24:00"}, "at"},
		{"minute 60", Rule{Kind: KindDaily, At: "09:60"}, "at"},
		{"single-digit hour", Rule{Kind: KindDaily, At: "9:00"}, "at"},
		{"seconds", Rule{Kind: KindDaily, At: "09:00:00"}, "at"},
		{"am/pm", Rule{Kind: KindDaily, At: "9am"}, "at"},
		{"signed", Rule{Kind: KindDaily, At: "+9:00"}, "at"},
		{"once without time", Rule{Kind: KindOnce, Date: "2026-12-01"}, "at"},
		{"once without date", Rule{Kind: KindOnce, At: "10:00"}, "date"},
		{"once bad date", Rule{Kind: KindOnce, Date: "01/12/2026", At: "10:00"}, "date"},
		{"once not leap year", Rule{Kind: KindOnce, Date: "2027-02-29", At: "10:00"}, "date"},
		{"once april 31", Rule{Kind: KindOnce, Date: "2026-04-31", At: "10:00"}, "date"},
		{"once in the past", Rule{Kind: KindOnce, Date: "2026-04-30", At: "10:00"}, "date"},
		{"once earlier today", Rule{Kind: KindOnce, Date: "2026-05-01", At: "11:59"}, "date"},
		{"once right now", Rule{Kind: KindOnce, Date: "2026-05-01", At: "12:00"}, "date"},
		{"weekly no days", Rule{Kind: KindWeekly, At: "09:00"}, "weekdays"},
		{"weekly bad day", Rule{Kind: KindWeekly, At: "09:00", Weekdays: []time.Weekday{7}}, "weekdays"},
		{"day 0", Rule{Kind: KindMonthlyDay, Day: 0, At: "09:00"}, "day"},
		{"day 32", Rule{Kind: KindMonthlyDay, Day: 32, At: "09:00"}, "day"},
		{"day -1", Rule{Kind: KindMonthlyDay, Day: -1, At: "09:00"}, "day"},
		{"cron empty", Rule{Kind: KindCron}, "cron"},
		{"cron bad minute", Rule{Kind: KindCron, Cron: "61 * * * *"}, "cron"},
		{"cron six fields", Rule{Kind: KindCron, Cron: "0 0 9 * * 1"}, "cron"},
		{"cron four fields", Rule{Kind: KindCron, Cron: "0 9 * *"}, "cron"},
		{"cron garbage", Rule{Kind: KindCron, Cron: "every day"}, "cron"},
		{"cron unknown descriptor", Rule{Kind: KindCron, Cron: "@sometimes"}, "cron"},
		{"cron @every", Rule{Kind: KindCron, Cron: "@every 1h"}, "cron"},
		{"cron TZ prefix", Rule{Kind: KindCron, Cron: "TZ=Asia/Tokyo 0 9 * * *"}, "cron"},
		{"cron TZ without space (robfig panics)", Rule{Kind: KindCron, Cron: "TZ=Asia/Tokyo"}, "cron"},
		{"cron never matches", Rule{Kind: KindCron, Cron: "0 0 30 2 *"}, "cron"},
		{"cron dow 7", Rule{Kind: KindCron, Cron: "0 9 * * 7"}, "cron"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rule.Validate(now)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate(%+v) = %v, want nil", tt.rule, err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate(%+v) = %v (%T), want a *FieldError on %q", tt.rule, err, err, tt.wantField)
			}
			if fe.Field != tt.wantField {
				t.Fatalf("Validate(%+v) field = %q (%s), want %q", tt.rule, fe.Field, fe.Msg, tt.wantField)
			}
			if fe.Msg == "" {
				t.Fatalf("Validate(%+v): empty message", tt.rule)
			}
		})
	}
}

func TestRuleString(t *testing.T) {
	tokyo := mustLoc(t, "Asia/Tokyo")
	berlin := mustLoc(t, "Europe/Berlin")
	tests := []struct {
		rule Rule
		want string
	}{
		{Rule{Kind: KindWeekdays, At: "09:00", Location: tokyo}, "every weekday at 09:00 (Asia/Tokyo)"},
		{Rule{Kind: KindDaily, At: "09:00"}, "every day at 09:00 (UTC)"},
		{Rule{Kind: KindMonthlyLast, At: "18:00", Location: time.UTC}, "on the last day of every month at 18:00 (UTC)"},
		{Rule{Kind: KindOnce, Date: "2026-12-01", At: "10:00", Location: berlin}, "once on 2026-12-01 at 10:00 (Europe/Berlin)"},
		{Rule{Kind: KindCron, Cron: "0 9 * * 1-5", Location: time.UTC}, "cron 0 9 * * 1-5 (UTC)"},
		{Rule{Kind: KindWeekly, At: "09:00", Weekdays: []time.Weekday{time.Wednesday, time.Monday}, Location: berlin}, "every Monday and Wednesday at 09:00 (Europe/Berlin)"},
		{Rule{Kind: KindWeekly, At: "09:00", Weekdays: []time.Weekday{time.Sunday, time.Friday, time.Monday}}, "every Monday, Friday and Sunday at 09:00 (UTC)"},
		{Rule{Kind: KindMonthlyDay, Day: 1, At: "08:00"}, "on the 1st of every month at 08:00 (UTC)"},
		{Rule{Kind: KindMonthlyDay, Day: 22, At: "08:00"}, "on the 22nd of every month at 08:00 (UTC)"},
		{Rule{Kind: KindMonthlyDay, Day: 13, At: "08:00"}, "on the 13th of every month at 08:00 (UTC)"},
		{Rule{Kind: KindMonthlyDay, Day: 31, At: "18:00"}, "on the 31st of every month (the last day in shorter months) at 18:00 (UTC)"},
		{Rule{Kind: "bogus"}, `unknown rule kind "bogus"`},
	}
	for _, tt := range tests {
		if got := tt.rule.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
