package chat

import (
	"testing"
	"time"
)

func TestSlackTimes(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	now := time.Date(2026, 3, 11, 10, 0, 0, 0, tokyo)
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"SameDay", SlackTime(now, now.Add(-2*time.Hour)), "<!date^1773183600^{date_short_pretty} at {time}|08:00>"},
		{"OtherDay", SlackTime(now, now.AddDate(0, 0, -3)), "<!date^1772931600^{date_short_pretty} at {time}|Mar 8 10:00>"},
		{"Zero", SlackTime(now, time.Time{}), "at an unknown time"},
		{"Ago", SlackAgo(now, now.Add(-5*time.Minute)), "<!date^1773190500^{ago}|09:55>"},
		{"AgoZero", SlackAgo(now, time.Time{}), "at an unknown time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}
