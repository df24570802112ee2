package handlers

import (
	"context"
	"time"

	"github.com/tobanbot/toban/scheduler"
)

// announcementMemory is how long announcement claims are kept: shifts and
// gaps are only announced up to a week ahead, so older claims never
// matter again.
const announcementMemory = 8 * 24 * time.Hour

// RunOnCallOps announces shift changes and gaps to the channels that
// follow a schedule, and closes maintenance cards when their windows end.
// It sleeps on clock until the next of those moments (or the periodic
// re-read of followed schedules), never scanning on a tick, and wakes
// early when a handler changed follows or windows. With nothing to watch
// it holds no timer at all.
func (a *App) RunOnCallOps(ctx context.Context, clock scheduler.Clock) error {
	if a.PagerDuty == nil {
		return nil
	}
	wake := a.OnCallOpsWake()
	var pruned time.Time
	for {
		next := a.OnCallOpsTick(ctx)
		if now := clock.Now(); now.Sub(pruned) > 24*time.Hour {
			if err := a.forgetAnnouncements(ctx, now.Add(-announcementMemory)); err != nil && ctx.Err() == nil {
				a.Log.Warn().Err(err).Msg("pruning announcements failed")
			}
			pruned = now
		}
		if !next.IsZero() {
			// At least a second: a moment that is due now was just handled.
			next = maxTime(next, clock.Now().Add(time.Second))
		}
		if scheduler.SleepUntil(ctx, clock, next, wake) != nil {
			return nil
		}
	}
}

func (a *App) forgetAnnouncements(ctx context.Context, before time.Time) error {
	if a.OnCallStore == nil {
		return nil
	}
	_, err := a.OnCallStore.ForgetAnnouncementsBefore(ctx, before)
	return err
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// RunCalendars re-reads every attached calendar once at start, to catch up
// with changes made while toban was down, and then every `every` on
// clock. With no calendar attached it holds no timer and waits for
// one to be attached.
func (a *App) RunCalendars(ctx context.Context, clock scheduler.Clock, every time.Duration) error {
	a.RefreshCalendars(ctx)
	for ctx.Err() == nil {
		if has, err := a.HasCalendars(ctx); err == nil && !has {
			select {
			case <-ctx.Done():
				return nil
			case <-a.CalendarAttached():
			}
		}
		a.refreshCalendarsEvery(ctx, clock, every)
	}
	return nil
}

// refreshCalendarsEvery refreshes on a fixed schedule of ticks, every
// `every` from now, until ctx ends or no calendar is left. A round that
// overruns ticks is followed by one more round at once, not one per missed
// tick: every tick that passes is followed by a round that starts after
// it, which is also what lets tests move a fake clock and rely on a
// refresh.
func (a *App) refreshCalendarsEvery(ctx context.Context, clock scheduler.Clock, every time.Duration) {
	tick := clock.Now()
	for {
		now := clock.Now()
		if tick = tick.Add(every); !tick.After(now) {
			tick = tick.Add(now.Sub(tick).Truncate(every)) // the latest tick passed
		} else if scheduler.SleepUntil(ctx, clock, tick, nil) != nil {
			return
		}
		a.RefreshCalendars(ctx)
		if has, err := a.HasCalendars(ctx); ctx.Err() != nil || (err == nil && !has) {
			return
		}
	}
}
