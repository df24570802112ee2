package main

import (
	"context"
	"github.com/tobanbot/toban/scheduler"
	"time"
)

// defaultCalendarRefresh is how often attached ICS calendars are read
// again (TOBAN_CALENDAR_REFRESH).
const defaultCalendarRefresh = 15 * time.Minute

// calendarRefresh is the refresh interval in use: TOBAN_CALENDAR_REFRESH.
func (m *Main) calendarRefresh() time.Duration {
	if m.Config.CalendarRefresh > 0 {
		return m.Config.CalendarRefresh
	}
	return defaultCalendarRefresh
}

// runCalendars re-reads every attached calendar once at start, to catch up
// with changes made while toban was down, and then every calendarRefresh()
// on m.Clock. With no calendar attached it holds no timer and waits for
// one to be attached.
func (m *Main) runCalendars(ctx context.Context) {
	every := m.calendarRefresh()
	m.app.RefreshCalendars(ctx)
	for ctx.Err() == nil {
		if has, err := m.app.HasCalendars(ctx); err == nil && !has {
			select {
			case <-ctx.Done():
				return
			case <-m.app.CalendarAttached():
			}
		}
		m.refreshCalendarsEvery(ctx, every)
	}
}

// refreshCalendarsEvery refreshes on a fixed schedule of ticks, every
// `every` from now, until ctx ends or no calendar is left. A round that
// overruns ticks is followed by one more round at once, not one per missed
// tick: every tick that passes is followed by a round that starts after
// it, which is also what lets tests move a fake clock and rely on a
// refresh.
func (m *Main) refreshCalendarsEvery(ctx context.Context, every time.Duration) {
	tick := m.Clock.Now()
	for {
		now := m.Clock.Now()
		if tick = tick.Add(every); !tick.After(now) {
			tick = tick.Add(now.Sub(tick).Truncate(every)) // the latest tick passed
		} else if scheduler.SleepUntil(ctx, m.Clock, tick, nil) != nil {
			return
		}
		m.app.RefreshCalendars(ctx)
		if has, err := m.app.HasCalendars(ctx); ctx.Err() != nil || (err == nil && !has) {
			return
		}
	}
}
