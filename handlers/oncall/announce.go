package oncall

// Shift-change announcements for channels that follow a schedule, and the
// tick that drives them and the end of maintenance windows.

import (
	"context"
	"fmt"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// Announcement timing.
const (
	// onCallRecompute is how often followed schedules are read again, to
	// pick up rota edits made in PagerDuty.
	onCallRecompute = 10 * time.Minute
	// announceLookback: a shift change is still announced this late (say,
	// after a restart); older ones are not news any more.
	announceLookback = time.Hour
	announceHorizon  = 7 * 24 * time.Hour
	// gapWarnAhead is how long before a gap in the rota channels are warned.
	gapWarnAhead = 12 * time.Hour
	onCallRetry  = time.Minute
)

// Tick tells following channels about shift changes and coming
// gaps, and maintenance channels about windows that ended, each once. It
// returns when it next has something to do: the next shift change, gap
// warning or window end (at most onCallRecompute away while a channel
// follows a schedule), or zero when nothing is watched.
func (oc *Feature) Tick(ctx context.Context) time.Time {
	deps, ok := oc.onCallOpsDeps()
	if !ok {
		return time.Time{}
	}
	now := oc.now()
	return chat.Earliest(oc.announceShifts(ctx, deps, now), oc.windowsTick(ctx, now))
}

// windowsTick closes the cards of maintenance windows that ended, and
// returns the next end to watch (zero when none, or no Windows).
func (oc *Feature) windowsTick(ctx context.Context, now time.Time) time.Time {
	if oc.Windows == nil {
		return time.Time{}
	}
	return oc.Windows.Tick(ctx, now)
}

// shiftKey identifies one shift's announcement in one channel.
func shiftKey(channelID, scheduleID string, start time.Time, userID string) string {
	return fmt.Sprintf("shift:%s:%s:%d:%s", channelID, scheduleID, start.Unix(), userID)
}

// gap is a stretch of a rota nobody covers; open when nothing is
// scheduled after it within the horizon.
type gap struct {
	start, end time.Time
	open       bool
}

// rotaGaps finds the uncovered stretches of shifts (sorted) in [since,
// horizon). A gap starting at since began at an unknown time.
func rotaGaps(shifts []domain.Shift, since, horizon time.Time) []gap {
	cursor := since
	var out []gap
	for _, s := range shifts {
		if s.Start.After(cursor) {
			out = append(out, gap{start: cursor, end: s.Start})
		}
		if s.End.After(cursor) {
			cursor = s.End
		}
	}
	if cursor.Before(horizon) {
		out = append(out, gap{start: cursor, end: horizon, open: true})
	}
	return out
}

// announceShifts posts "now on call" at each shift change and a warning
// ahead of each gap to the channels following a schedule.
func (oc *Feature) announceShifts(ctx context.Context, deps onCallDeps, now time.Time) time.Time {
	follows, err := deps.store.Follows(ctx, "")
	if err != nil {
		oc.Log.Warn().Err(err).Msg("follows unreadable")
		return now.Add(onCallRetry)
	}
	if len(follows) == 0 {
		return time.Time{}
	}
	bySchedule := map[string][]domain.Follow{}
	var order []string
	for _, f := range follows {
		if bySchedule[f.ScheduleID] == nil {
			order = append(order, f.ScheduleID)
		}
		bySchedule[f.ScheduleID] = append(bySchedule[f.ScheduleID], f)
	}
	loc := oc.location()
	since, horizon := now.Add(-announceLookback), now.Add(announceHorizon)
	next := now.Add(onCallRecompute)
	for _, id := range order {
		sched, shifts, err := deps.ops.ScheduleShifts(ctx, id, since, horizon)
		if err != nil {
			oc.Log.Warn().Err(err).Str("schedule", id).Msg("followed schedule unreadable")
			next = chat.Earliest(next, now.Add(onCallRetry))
			continue
		}
		name := firstNonEmptyString(sched.Name, bySchedule[id][0].ScheduleName)
		var current *domain.Shift
		for i, s := range shifts {
			if !s.Start.After(now) && s.End.After(now) {
				current = &shifts[i]
			}
			for _, t := range []time.Time{s.Start, s.End} {
				if t.After(now) {
					next = chat.Earliest(next, t)
				}
			}
		}
		gaps := rotaGaps(shifts, since, horizon)
		for _, g := range gaps {
			if warn := g.start.Add(-gapWarnAhead); warn.After(now) {
				next = chat.Earliest(next, warn)
			}
		}
		for _, f := range bySchedule[id] {
			if current != nil && current.Start.After(since) && !current.Start.Before(f.CreatedAt) {
				oc.announceOnce(ctx, deps.store, shiftKey(f.ChannelID, id, current.Start, current.User.ID), f.ChannelID,
					fmt.Sprintf(":bell: Now on call for *%s*: %s %s.", chat.Escape(name), oc.personMention(ctx, current.User), untilText(now, current.End, horizon, loc)))
			}
			for _, g := range gaps {
				if !g.start.After(since) || g.start.Before(f.CreatedAt) || g.start.After(now.Add(gapWarnAhead)) || !g.end.After(now) {
					continue
				}
				when := chat.SpanText(now, g.start, g.end, loc)
				if g.open {
					when = fmt.Sprintf("from %s, and nobody is scheduled after that", chat.DayTime(now, g.start, loc))
				}
				oc.announceOnce(ctx, deps.store, fmt.Sprintf("gap:%s:%s:%d", f.ChannelID, id, g.start.Unix()), f.ChannelID,
					fmt.Sprintf(":warning: Heads-up: nobody is on call for *%s* %s. Take it with `/toban oncall %s`.", chat.Escape(name), when, chat.Escape(name)))
			}
		}
	}
	return next
}

// untilText says until when a shift lasts; one reaching the end of what
// was read lasts "for at least a week".
func untilText(now, end, horizon time.Time, loc *time.Location) string {
	if !end.Before(horizon) {
		return "for at least a week"
	}
	return "until " + chat.DayTime(now, end, loc)
}

// announceOnce posts text in channel unless key was announced already;
// a failed post is released, to be tried again on the next tick.
func (oc *Feature) announceOnce(ctx context.Context, store Store, key, channelID, text string) {
	first, err := store.ClaimAnnouncement(ctx, key)
	if err != nil || !first {
		if err != nil {
			oc.Log.Warn().Err(err).Str("key", key).Msg("announcement not claimed")
		}
		return
	}
	if _, err := oc.Slack.PostMessage(ctx, channelID, chat.Message{Text: text}); err != nil {
		oc.Log.Warn().Err(err).Str("channel", channelID).Msg("announcement not posted; will retry")
		if rerr := store.ReleaseAnnouncement(ctx, key); rerr != nil {
			oc.Log.Warn().Err(rerr).Str("key", key).Msg("announcement claim not released")
		}
	}
}

func firstNonEmptyString(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
