package oncall

// Extend 30 min and End now on maintenance cards and lists, and the end
// of windows noticed by the on-call runner.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

func (oc *Feature) maintenanceClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	place := chat.PlaceOf(cb)
	if oc.PagerDuty == nil {
		return oc.respondLater(place.ResponseURL, chat.Message{Text: chat.NotConfigured})
	}
	deps, ok := oc.onCallOpsDeps()
	if !ok || act.Value == "" {
		return oc.respondLater(place.ResponseURL, chat.NotYetMessage("maintenance"))
	}
	return chat.Response{Then: oc.once(chat.ClickKey(cb, act, act.Value), func(ctx context.Context) error {
		actor, ok, err := oc.actorFor(ctx, place)
		if !ok {
			return err
		}
		_ = actor // PagerDuty records no requester for these; only linked people may act
		switch act.ActionID {
		case actionMaintExtend:
			return oc.extendMaintenance(ctx, deps, place, act.Value)
		case actionMaintEnd:
			return oc.endMaintenance(ctx, deps, place, act.Value)
		}
		return nil
	})}
}

func (oc *Feature) extendMaintenance(ctx context.Context, deps onCallDeps, place chat.Place, id string) error {
	mw, err := deps.ops.MaintenanceWindow(ctx, id)
	if err != nil {
		return fmt.Errorf("maintenance window %s: %w", id, err)
	}
	now := oc.now()
	if !mw.End.After(now) {
		return oc.alreadyEnded(ctx, deps, place, id, mw.End, now)
	}
	mw, err = deps.ops.ExtendMaintenanceWindow(ctx, id, mw.End.Add(maintExtension))
	if errors.Is(err, domain.ErrMaintenanceEnded) {
		return oc.alreadyEnded(ctx, deps, place, id, time.Time{}, now)
	}
	if err != nil {
		return fmt.Errorf("extend maintenance window %s: %w", id, err)
	}
	if err := deps.store.ExtendMaintenanceCard(ctx, id, mw.End, place.UserID); err == nil {
		oc.showMaintenanceCard(ctx, deps, id)
	} else if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	oc.wakeOnCallOps()
	if place.MessageTS == "" {
		return oc.tellClicker(ctx, place, chat.Message{Text: fmt.Sprintf(":timer_clock: Extended: the window now ends at %s.", chat.DayTime(now, mw.End, oc.location()))})
	}
	return nil
}

func (oc *Feature) endMaintenance(ctx context.Context, deps onCallDeps, place chat.Place, id string) error {
	mw, err := deps.ops.MaintenanceWindow(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		oc.maintenanceOver(ctx, deps, id, "", oc.now())
		return oc.tellClicker(ctx, place, chat.Message{Text: "That maintenance window no longer exists in PagerDuty."})
	}
	if err != nil {
		return fmt.Errorf("maintenance window %s: %w", id, err)
	}
	now := oc.now()
	if !mw.End.After(now) {
		return oc.alreadyEnded(ctx, deps, place, id, mw.End, now)
	}
	if err := deps.ops.EndMaintenanceWindow(ctx, id); err != nil {
		if errors.Is(err, domain.ErrMaintenanceEnded) {
			return oc.alreadyEnded(ctx, deps, place, id, time.Time{}, now)
		}
		return fmt.Errorf("end maintenance window %s: %w", id, err)
	}
	state := domain.MaintenanceEnded
	if now.Before(mw.Start) {
		state = domain.MaintenanceCancelled
	}
	won, err := deps.store.EndMaintenanceCard(ctx, id, state, place.UserID, now)
	if err != nil {
		return err
	}
	verb := "ended"
	if state == domain.MaintenanceCancelled {
		verb = "cancelled"
	}
	text := fmt.Sprintf(":white_check_mark: <@%s> %s the maintenance window for %s; PagerDuty opens incidents for them again.", place.UserID, verb, serviceNames(mw.Services))
	if won {
		oc.showMaintenanceCard(ctx, deps, id)
		if c, err := deps.store.MaintenanceCard(ctx, id); err == nil {
			if _, err := oc.Slack.PostMessage(ctx, c.ChannelID, chat.Message{Text: text, ThreadTS: c.TS}); err != nil {
				oc.Log.Warn().Err(err).Msg("maintenance end not announced")
			}
		}
	}
	if place.MessageTS == "" {
		return oc.tellClicker(ctx, place, chat.Message{Text: text})
	}
	return nil
}

// alreadyEnded records that the window ended without the click and tells
// the clicker: at end when its end is known, else (PagerDuty refused the
// change as too late) just now.
func (oc *Feature) alreadyEnded(ctx context.Context, deps onCallDeps, place chat.Place, id string, end, now time.Time) error {
	if end.IsZero() {
		oc.maintenanceOver(ctx, deps, id, "", now)
		return oc.tellClicker(ctx, place, chat.Message{Text: ":information_source: That maintenance window has already ended."})
	}
	oc.maintenanceOver(ctx, deps, id, "", end)
	return oc.tellClicker(ctx, place, chat.Message{Text: fmt.Sprintf(":information_source: That maintenance window already ended at %s.", chat.DayTime(now, end, oc.location()))})
}

// maintenanceOver records that a window ended without us (by itself, or
// in PagerDuty's web app) and shows it on its card, once.
func (oc *Feature) maintenanceOver(ctx context.Context, deps onCallDeps, id, by string, at time.Time) {
	won, err := deps.store.EndMaintenanceCard(ctx, id, domain.MaintenanceEnded, by, at)
	if err != nil || !won {
		return
	}
	oc.showMaintenanceCard(ctx, deps, id)
	if c, err := deps.store.MaintenanceCard(ctx, id); err == nil {
		text := fmt.Sprintf(":bell: The maintenance window for %s has ended; PagerDuty opens incidents for them again.", serviceNames(c.Services))
		if _, err := oc.Slack.PostMessage(ctx, c.ChannelID, chat.Message{Text: text}); err != nil {
			oc.Log.Warn().Err(err).Msg("maintenance end not announced")
		}
	}
}

func (oc *Feature) showMaintenanceCard(ctx context.Context, deps onCallDeps, id string) {
	c, err := deps.store.MaintenanceCard(ctx, id)
	if err != nil || c.TS == "" {
		return
	}
	if err := oc.Slack.UpdateMessage(ctx, c.ChannelID, c.TS, oc.maintenanceCard(c)); err != nil {
		oc.Log.Warn().Err(err).Str("window", id).Msg("maintenance card not updated")
	}
}

// maintenanceTick closes the cards of windows whose end has come (after
// checking PagerDuty, where they may have been extended) and returns the
// next end to watch.
func (oc *Feature) maintenanceTick(ctx context.Context, deps onCallDeps, now time.Time) time.Time {
	cards, err := deps.store.OpenMaintenanceCards(ctx)
	if err != nil {
		oc.Log.Warn().Err(err).Msg("maintenance cards unreadable")
		return now.Add(onCallRetry)
	}
	var next time.Time
	for _, c := range cards {
		if c.End.After(now) {
			next = earliest(next, c.End)
			continue
		}
		mw, err := deps.ops.MaintenanceWindow(ctx, c.WindowID)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			oc.maintenanceOver(ctx, deps, c.WindowID, "", now)
		case err != nil:
			oc.Log.Warn().Err(err).Str("window", c.WindowID).Msg("maintenance window unreadable")
			next = earliest(next, now.Add(onCallRetry))
		case mw.End.After(now): // extended in PagerDuty
			if err := deps.store.ExtendMaintenanceCard(ctx, c.WindowID, mw.End, ""); err == nil {
				oc.showMaintenanceCard(ctx, deps, c.WindowID)
			}
			next = earliest(next, mw.End)
		default:
			oc.maintenanceOver(ctx, deps, c.WindowID, "", mw.End)
		}
	}
	return next
}
