package taskfile

import (
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/scheduler"
)

func TestParseSchedule(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		want string // Rule.Encode() with Location berlin
		text string // FormatSchedule of the rule
	}{
		{"daily 09:00", "daily;at=09:00;tz=Europe/Berlin", "daily 09:00"},
		{"  Daily   at 9:00 ", "daily;at=09:00;tz=Europe/Berlin", "daily 09:00"},
		{"weekdays 18:30", "weekdays;at=18:30;tz=Europe/Berlin", "weekdays 18:30"},
		{"weekday 18:30", "weekdays;at=18:30;tz=Europe/Berlin", "weekdays 18:30"},
		{"weekly mon,wed 09:00", "weekly;at=09:00;days=mon,wed;tz=Europe/Berlin", "weekly mon,wed 09:00"},
		{"weekly Sunday, wed, MON, wed 09:00", "weekly;at=09:00;days=mon,wed,sun;tz=Europe/Berlin", "weekly mon,wed,sun 09:00"},
		{"weekly fri at 16:00", "weekly;at=16:00;days=fri;tz=Europe/Berlin", "weekly fri 16:00"},
		{"monthly 15 18:00", "monthly_day;at=18:00;day=15;tz=Europe/Berlin", "monthly 15 18:00"},
		{"monthly 31 18:00", "monthly_day;at=18:00;day=31;tz=Europe/Berlin", "monthly 31 18:00"},
		{"monthly last 18:00", "monthly_last;at=18:00;tz=Europe/Berlin", "monthly last 18:00"},
		{"MONTHLY LAST 18:00", "monthly_last;at=18:00;tz=Europe/Berlin", "monthly last 18:00"},
		{"once 2026-12-01 10:00", "once;date=2026-12-01;at=10:00;tz=Europe/Berlin", "once 2026-12-01 10:00"},
		{"once 2020-01-01 10:00", "once;date=2020-01-01;at=10:00;tz=Europe/Berlin", "once 2020-01-01 10:00"}, // past: Validate's job
		{"cron 0 9 * * 1-5", "cron;expr=0 9 * * 1-5;tz=Europe/Berlin", "cron 0 9 * * 1-5"},
		{"cron  */15   * * * *", "cron;expr=*/15 * * * *;tz=Europe/Berlin", "cron */15 * * * *"},
		{"cron @daily", "cron;expr=@daily;tz=Europe/Berlin", "cron @daily"},
	}
	for _, tt := range tests {
		r, err := ParseSchedule(tt.in, berlin)
		if err != nil {
			t.Errorf("ParseSchedule(%q): %v", tt.in, err)
			continue
		}
		if got := r.Encode(); got != tt.want {
			t.Errorf("ParseSchedule(%q) = %s, want %s", tt.in, got, tt.want)
		}
		if got := FormatSchedule(r); got != tt.text {
			t.Errorf("FormatSchedule(ParseSchedule(%q)) = %q, want %q", tt.in, got, tt.text)
		}
		again, err := ParseSchedule(FormatSchedule(r), berlin)
		if err != nil || again.Encode() != r.Encode() {
			t.Errorf("ParseSchedule(FormatSchedule(%q)) = %s, %v; want %s", tt.in, again.Encode(), err, r.Encode())
		}
	}
}

func TestParseScheduleErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "schedule is required"},
		{"hourly 09:00", `"hourly" is not a kind of schedule`},
		{"daily", "write it like daily 09:00"},
		{"daily 09:00 10:00", "write it like daily 09:00"},
		{"daily 25:00", `"25:00" is not a time of day`},
		{"daily 9am", `"9am" is not a time of day`},
		{"weekly 09:00", "write it like weekly mon,wed 09:00"},
		{"weekly mon,funday 09:00", `"funday" is not a day of the week`},
		{"weekly , 09:00", "at least one day"},
		{"monthly 15", "write it like monthly 15 18:00"},
		{"monthly 32 18:00", "between 1 and 31"},
		{"monthly 0 18:00", "between 1 and 31"},
		{"monthly first 18:00", `"first" is not a day of the month`},
		{"once 2026-02-30 10:00", "not a day of the calendar"},
		{"once tomorrow 10:00", "not a date"},
		{"cron", "write it like cron 0 9 * * 1-5"},
		{"cron 0 9 * *", "not a valid cron expression"},
		{"cron @every 5m", "@every intervals are not supported"},
		{"cron TZ=UTC 0 9 * * *", "time zone instead"},
	}
	for _, tt := range tests {
		_, err := ParseSchedule(tt.in, time.UTC)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSchedule(%q) error = %v, want one containing %q", tt.in, err, tt.want)
		}
	}
}

func TestFormatScheduleUnknownKind(t *testing.T) {
	if got := FormatSchedule(scheduler.Rule{Kind: "hourly", At: "09:00"}); got != "" {
		t.Errorf("FormatSchedule of an unknown kind = %q, want \"\"", got)
	}
}
