package oncall

import (
	"context"
	"time"

	"github.com/tobanbot/toban/scheduler"
)

// announcementMemory is how long announcement claims are kept: shifts and
// gaps are only announced up to a week ahead, so older claims never
// matter again.
const announcementMemory = 8 * 24 * time.Hour

// Run announces shift changes and gaps to the channels that
// follow a schedule, and closes maintenance cards when their windows end.
// It sleeps on Clock until the next of those moments (or the periodic
// re-read of followed schedules), never scanning on a tick, and wakes
// early when a handler changed follows or windows. With nothing to watch
// it holds no timer at all.
func (oc *Feature) Run(ctx context.Context) error {
	clock := oc.Clock
	if oc.PagerDuty == nil {
		return nil
	}
	wake := oc.opsWake().C()
	var pruned time.Time
	for {
		next := oc.Tick(ctx)
		if now := clock.Now(); now.Sub(pruned) > 24*time.Hour {
			if err := oc.forgetAnnouncements(ctx, now.Add(-announcementMemory)); err != nil && ctx.Err() == nil {
				oc.Log.Warn().Err(err).Msg("pruning announcements failed")
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

func (oc *Feature) forgetAnnouncements(ctx context.Context, before time.Time) error {
	if oc.Store == nil {
		return nil
	}
	_, err := oc.Store.ForgetAnnouncementsBefore(ctx, before)
	return err
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
