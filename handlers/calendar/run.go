package calendar

import (
	"context"
	"time"

	"github.com/tobanbot/toban/scheduler"
)

// Run re-reads every attached calendar once at start, to catch up with
// changes made while toban was down, and then every RefreshEvery on Clock. With no calendar attached it holds no timer and waits for
// one to be attached.
func (f *Feature) Run(ctx context.Context) error {
	f.Refresh(ctx)
	for ctx.Err() == nil {
		if has, err := f.hasCalendars(ctx); err == nil && !has {
			select {
			case <-ctx.Done():
				return nil
			case <-f.attached.C():
			}
		}
		f.refreshEvery(ctx, f.Clock, f.RefreshEvery)
	}
	return nil
}

// refreshEvery refreshes on a fixed schedule of ticks, every
// `every` from now, until ctx ends or no calendar is left. A round that
// overruns ticks is followed by one more round at once, not one per missed
// tick: every tick that passes is followed by a round that starts after
// it, which is also what lets tests move a fake clock and rely on a
// refresh.
func (f *Feature) refreshEvery(ctx context.Context, clock scheduler.Clock, every time.Duration) {
	tick := clock.Now()
	for {
		now := clock.Now()
		if tick = tick.Add(every); !tick.After(now) {
			tick = tick.Add(now.Sub(tick).Truncate(every)) // the latest tick passed
		} else if scheduler.SleepUntil(ctx, clock, tick, nil) != nil {
			return
		}
		f.Refresh(ctx)
		if has, err := f.hasCalendars(ctx); ctx.Err() != nil || (err == nil && !has) {
			return
		}
	}
}
