package main

import (
	"context"
	"time"

	"github.com/tobanbot/toban/scheduler"
)

// announcementMemory is how long announcement claims are kept: shifts and
// gaps are only announced up to a week ahead, so older claims never
// matter again.
const announcementMemory = 8 * 24 * time.Hour

// runOnCallOps announces shift changes and gaps to the channels that
// follow a schedule, and closes maintenance cards when their windows end.
// It sleeps on m.Clock until the next of those moments (or the periodic
// re-read of followed schedules), never scanning on a tick, and wakes
// early when a handler changed follows or windows. With nothing to watch
// it holds no timer at all.
func (m *Main) runOnCallOps(ctx context.Context) {
	if m.pd == nil || m.app == nil {
		return
	}
	wake := m.app.OnCallOpsWake()
	var pruned time.Time
	for {
		next := m.app.OnCallOpsTick(ctx)
		if now := m.Clock.Now(); now.Sub(pruned) > 24*time.Hour {
			if _, err := m.db.ForgetAnnouncementsBefore(ctx, now.Add(-announcementMemory)); err != nil && ctx.Err() == nil {
				m.Log.Warn().Err(err).Msg("pruning announcements failed")
			}
			pruned = now
		}
		if !next.IsZero() {
			// At least a second: a moment that is due now was just handled.
			next = maxTime(next, m.Clock.Now().Add(time.Second))
		}
		if scheduler.SleepUntil(ctx, m.Clock, next, wake) != nil {
			return
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
