package report

import (
	"strings"
	"testing"
	"time"
)

func TestNamedPeriod(t *testing.T) {
	utc := time.UTC
	// Sunday 8 March 2026, 20:00 UTC, is already Monday 9 March, 05:00 in Tokyo.
	now := time.Date(2026, 3, 8, 20, 0, 0, 0, utc)
	tests := []struct {
		name        string
		loc         *time.Location
		since, till string // RFC 3339
	}{
		{Today, tokyo, "2026-03-09T00:00:00+09:00", "2026-03-10T00:00:00+09:00"},
		{Today, utc, "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"},
		// The week starts on Monday: in Tokyo it is a new week, in UTC still the old one.
		{Week, tokyo, "2026-03-09T00:00:00+09:00", "2026-03-16T00:00:00+09:00"},
		{Week, utc, "2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z"},
		{LastWeek, tokyo, "2026-03-02T00:00:00+09:00", "2026-03-09T00:00:00+09:00"},
		{LastWeek, utc, "2026-02-23T00:00:00Z", "2026-03-02T00:00:00Z"},
		{Month, tokyo, "2026-03-01T00:00:00+09:00", "2026-04-01T00:00:00+09:00"},
		{LastMonth, tokyo, "2026-02-01T00:00:00+09:00", "2026-03-01T00:00:00+09:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.loc.String(), func(t *testing.T) {
			p, err := NamedPeriod(tt.name, now, tt.loc)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Since.Format(time.RFC3339); got != tt.since {
				t.Errorf("since = %s, want %s", got, tt.since)
			}
			if got := p.Until.Format(time.RFC3339); got != tt.till {
				t.Errorf("until = %s, want %s", got, tt.till)
			}
		})
	}
	t.Run("LastMonthInJanuary", func(t *testing.T) {
		p, _ := NamedPeriod(LastMonth, time.Date(2026, 1, 15, 12, 0, 0, 0, utc), utc)
		if p.Since != time.Date(2025, 12, 1, 0, 0, 0, 0, utc) || p.Until != time.Date(2026, 1, 1, 0, 0, 0, 0, utc) {
			t.Errorf("got %v – %v, want December 2025", p.Since, p.Until)
		}
	})
	t.Run("WeekOnSunday", func(t *testing.T) {
		p, _ := NamedPeriod(Week, time.Date(2026, 3, 15, 23, 59, 0, 0, utc), utc)
		if p.Since.Weekday() != time.Monday || p.Since.Day() != 9 {
			t.Errorf("week of Sunday 15 March starts %v, want Monday 9 March", p.Since)
		}
	})
	t.Run("DaylightSavingWeekHasSevenDays", func(t *testing.T) {
		berlin := mustLoad("Europe/Berlin")
		p, _ := NamedPeriod(LastWeek, time.Date(2026, 4, 1, 12, 0, 0, 0, berlin), berlin)
		if n := len(p.Days()); n != 7 || p.Until.Sub(p.Since) != 167*time.Hour {
			t.Errorf("the week of 29 March 2026 (clocks forward) = %d days, %v; want 7 days of 167h", n, p.Until.Sub(p.Since))
		}
	})
}

func TestDayBoundaryDiffersByZone(t *testing.T) {
	// 2026-03-09T16:30Z is Monday in UTC and already Tuesday in Tokyo.
	at := time.Date(2026, 3, 9, 16, 30, 0, 0, time.UTC)
	mon, _ := DateRange("2026-03-09", "2026-03-09", time.UTC)
	monTokyo, _ := DateRange("2026-03-09", "2026-03-09", tokyo)
	if !mon.Contains(at) {
		t.Errorf("Monday in UTC should contain %v", at)
	}
	if monTokyo.Contains(at) {
		t.Errorf("Monday in Tokyo (%v – %v) should not contain %v", monTokyo.Since, monTokyo.Until, at)
	}
}

func TestParseArgs(t *testing.T) {
	now := time.Date(2026, 3, 11, 12, 0, 0, 0, tokyo)
	tests := []struct {
		name     string
		args     []string
		wantName string
		wantRest string
		wantErr  string
	}{
		{"Default", nil, LastWeek, "", ""},
		{"DefaultWithServices", []string{"Checkout", "Billing"}, LastWeek, "Checkout Billing", ""},
		{"Named", []string{"Month", "Billing"}, Month, "Billing", ""},
		{"Dates", []string{"2026-02-01", "2026-02-28", "Billing"}, Custom, "Billing", ""},
		{"ErrOneDate", []string{"2026-02-01", "Billing"}, "", "", "give two dates"},
		{"ErrBadDate", []string{"2026-02-30", "2026-03-01"}, "", "", "is not a date"},
		{"ErrBackwards", []string{"2026-03-01", "2026-02-01"}, "", "", "ends (2026-02-01) before it starts"},
		{"ErrTooLong", []string{"2024-01-01", "2026-01-01"}, "", "", "at most 366 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, rest, err := ParseArgs(tt.args, LastWeek, now, tokyo)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != tt.wantName || strings.Join(rest, " ") != tt.wantRest {
				t.Errorf("got %s, %q; want %s, %q", p.Name, rest, tt.wantName, tt.wantRest)
			}
		})
	}
	t.Run("DatesIncludeLastDay", func(t *testing.T) {
		p, _, _ := ParseArgs([]string{"2026-02-01", "2026-02-28"}, LastWeek, now, tokyo)
		if p.Until != time.Date(2026, 3, 1, 0, 0, 0, 0, tokyo) || len(p.Days()) != 28 {
			t.Errorf("until = %v, days = %d; want 1 March and 28 days", p.Until, len(p.Days()))
		}
		if got, want := p.Title(), "2026-02-01 to 2026-02-28"; got != want {
			t.Errorf("title = %q, want %q", got, want)
		}
	})
}

func TestPeriodDates(t *testing.T) {
	if got, want := weekOf2026_03_02.Dates(), "Mon 2 Mar – Sun 8 Mar 2026 (Asia/Tokyo)"; got != want {
		t.Errorf("dates = %q, want %q", got, want)
	}
}
