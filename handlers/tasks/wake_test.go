package tasks

import (
	"math"
	"testing"
	"time"
)

// TestWakeForEscalation: a firing wakes the escalation loop only when
// the loop is looking (armed 0) or the new deadline is earlier than the
// one it sleeps until; a later deadline, or none, leaves it asleep.
func TestWakeForEscalation(t *testing.T) {
	at := time.Date(2026, 11, 21, 9, 15, 0, 0, time.UTC)
	tests := []struct {
		name  string
		armed int64
		esc   time.Time
		want  bool
	}{
		{"looking", 0, at, true},
		{"nothing armed", math.MaxInt64, at, true},
		{"earlier", at.Add(time.Minute).UnixMilli(), at, true},
		{"same", at.UnixMilli(), at, false},
		{"later", at.Add(-time.Minute).UnixMilli(), at, false},
		{"no deadline", 0, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Feature
			f.armed.Store(tt.armed)
			f.wakeForEscalation(tt.esc)
			got := len(f.wake.C()) == 1
			if got != tt.want {
				t.Errorf("woken %v, want %v", got, tt.want)
			}
		})
	}
}
