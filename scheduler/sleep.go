package scheduler

import (
	"context"
	"time"
)

// SleepUntil is the one wait of toban's background loops: it returns nil
// when c reaches next or wake delivers, and ctx.Err() when ctx ends first.
// A zero next waits for wake or ctx only (nothing is due); a nil wake is
// never ready. The timer is stopped before returning, so a loop that
// wakes early leaves no timer behind on a fake clock.
func SleepUntil(ctx context.Context, c Clock, next time.Time, wake <-chan struct{}) error {
	var fire <-chan time.Time
	if !next.IsZero() {
		d := next.Sub(c.Now())
		if d <= 0 {
			return ctx.Err()
		}
		t := c.NewTimer(d)
		defer t.Stop()
		fire = t.C()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-wake:
	case <-fire:
	}
	return nil
}
