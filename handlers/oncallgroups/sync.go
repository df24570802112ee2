package oncallgroups

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/scheduler"
)

// lookahead is how far ahead a sync reads shifts, to find the next
// boundary.
const lookahead = time.Hour

// decision is what one sync does for one tie.
type decision struct {
	// Members is what the group holds afterwards (sorted).
	Members []string
	// Update says usergroups.users.update must be called with Members.
	Update bool
	// WarnGap says the channel must be told of the gap now.
	WarnGap bool
	// GapWarned is the tie's gap flag afterwards.
	GapWarned bool
}

// decide compares the group's members with who is on call. Nobody on call
// never empties the group: it keeps its members and the gap is told once;
// someone on call again clears the flag, so that the next gap is told.
func decide(members, onCall []string, gapWarned bool) decision {
	have := sortedSet(members)
	if len(onCall) == 0 {
		return decision{Members: have, WarnGap: !gapWarned && len(have) > 0, GapWarned: gapWarned || len(have) > 0}
	}
	want := sortedSet(onCall)
	return decision{Members: want, Update: !slices.Equal(have, want)}
}

func sortedSet(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// current splits entries into who is on call at now and the next time
// that changes (a current shift's end or a coming shift's start; zero when
// none is in sight).
func current(entries []domain.OnCall, now time.Time) (onCall []domain.Person, next time.Time) {
	soonest := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, e := range entries {
		if !e.Start.IsZero() && e.Start.After(now) {
			soonest(e.Start)
			continue
		}
		if !e.End.IsZero() && !e.End.After(now) {
			continue
		}
		onCall = append(onCall, e.User)
		soonest(e.End)
	}
	return onCall, next
}

// Run keeps every tie's group equal to who is on call: a sync at start,
// at each shift boundary it sees, at least every Every, and when a tie is
// made. Without PagerDuty it does nothing. It runs on one replica.
func (f *Feature) Run(ctx context.Context) error {
	if f.PagerDuty == nil {
		return nil
	}
	for ctx.Err() == nil {
		next, ties := f.Sync(ctx)
		var wake time.Time
		if ties {
			wake = f.Clock.Now().Add(Every)
			if !next.IsZero() && next.Before(wake) {
				wake = next
			}
		}
		if err := scheduler.SleepUntil(ctx, f.Clock, wake, f.wake.C()); err != nil {
			return nil
		}
	}
	return nil
}

// Sync brings every tie's group up to date once. It returns the next
// shift boundary it saw (zero when none) and whether there are ties.
func (f *Feature) Sync(ctx context.Context) (next time.Time, ties bool) {
	list, err := f.Store.OnCallGroups(ctx)
	if err != nil {
		f.Log.Error().Err(err).Msg("on-call groups unreadable")
		return time.Time{}, true
	}
	if len(list) == 0 {
		return time.Time{}, false
	}
	groups, err := f.Slack.UserGroups(ctx)
	if errors.Is(err, domain.ErrPaidPlanOnly) {
		for _, tie := range list {
			f.warnFreePlan(ctx, tie)
		}
		return time.Time{}, true
	}
	if err != nil {
		f.Log.Warn().Err(err).Msg("user groups unreadable; on-call groups not synced")
		return time.Time{}, true
	}
	members := map[string][]string{}
	for _, g := range groups {
		members[g.ID] = g.Members
	}
	slackIDs := map[string]string{} // PagerDuty user → Slack user, this round
	for _, tie := range list {
		have, ok := members[tie.GroupID]
		if !ok {
			f.Log.Warn().Str("usergroup", tie.GroupID).Str("handle", tie.Handle).Msg("tied user group no longer exists")
			continue
		}
		boundary, err := f.syncOne(ctx, tie, have, slackIDs)
		if err != nil {
			f.Log.Warn().Err(err).Str("usergroup", tie.GroupID).Msg("on-call group not synced")
			continue
		}
		if !boundary.IsZero() && (next.IsZero() || boundary.Before(next)) {
			next = boundary
		}
	}
	return next, true
}

func (f *Feature) syncOne(ctx context.Context, tie domain.OnCallGroup, have []string, slackIDs map[string]string) (time.Time, error) {
	entries, err := f.PagerDuty.OnCallsFor(ctx, tie.ScheduleID, tie.PolicyID, tie.Level, lookahead)
	if err != nil {
		return time.Time{}, err
	}
	people, next := current(entries, f.Clock.Now())
	var onCall []string
	for _, p := range people {
		id, err := f.slackUser(ctx, p, slackIDs)
		if err != nil {
			return time.Time{}, err
		}
		if id == "" {
			f.Log.Warn().Str("pd_user", p.ID).Str("usergroup", tie.GroupID).Msg("on-call person not found in Slack")
			continue
		}
		onCall = append(onCall, id)
	}
	d := decide(have, onCall, tie.GapWarned)
	freeWarned := tie.FreePlanWarned
	if d.Update {
		err := f.Slack.UpdateUserGroupMembers(ctx, tie.GroupID, d.Members)
		if errors.Is(err, domain.ErrPaidPlanOnly) {
			f.warnFreePlan(ctx, tie)
			return next, nil
		}
		if err != nil {
			return time.Time{}, err
		}
		f.Log.Info().Str("usergroup", tie.GroupID).Strs("members", d.Members).Msg("on-call group updated")
	}
	if d.WarnGap {
		msg := fmt.Sprintf(":warning: Nobody I can find in Slack is on call for *%s* now. @%s keeps %s until someone is, rather than mention nobody.",
			sourceText(tie), tie.Handle, mentions(d.Members))
		if _, err := f.Slack.PostMessage(ctx, tie.ChannelID, chatMessage(msg)); err != nil {
			return time.Time{}, fmt.Errorf("warn of gap: %w", err)
		}
	}
	if d.Update || d.GapWarned != tie.GapWarned || !slices.Equal(d.Members, tie.Members) {
		if err := f.Store.SetOnCallGroupState(ctx, tie.ID, d.Members, d.GapWarned, freeWarned); err != nil {
			return time.Time{}, err
		}
	}
	return next, nil
}

// slackUser finds a PagerDuty user's Slack user: their /toban link, else
// the Slack user with their email; "" when neither.
func (f *Feature) slackUser(ctx context.Context, p domain.Person, cache map[string]string) (string, error) {
	if id, ok := cache[p.ID]; ok {
		return id, nil
	}
	id := ""
	if f.Links != nil {
		linked, err := f.Links.SlackUserFor(ctx, p.ID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return "", fmt.Errorf("slack user for %s: %w", p.ID, err)
		}
		id = linked
	}
	if id == "" && p.Email != "" {
		found, err := f.Slack.UserIDByEmail(ctx, p.Email)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return "", fmt.Errorf("slack user for %s: %w", p.ID, err)
		}
		id = found
	}
	cache[p.ID] = id
	return id, nil
}

// warnFreePlan tells the tie's channel once that Slack refuses user
// groups.
func (f *Feature) warnFreePlan(ctx context.Context, tie domain.OnCallGroup) {
	if tie.FreePlanWarned {
		return
	}
	if _, err := f.Slack.PostMessage(ctx, tie.ChannelID, chatMessage(FreePlan)); err != nil {
		f.Log.Warn().Err(err).Str("usergroup", tie.GroupID).Msg("free plan warning not posted")
		return
	}
	if err := f.Store.SetOnCallGroupState(ctx, tie.ID, tie.Members, tie.GapWarned, true); err != nil {
		f.Log.Warn().Err(err).Str("usergroup", tie.GroupID).Msg("free plan warning not recorded")
	}
}
