package maintenance

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
	"github.com/tobanbot/toban/handlers/identity"
)

func (mt *Feature) maintenanceClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	place := chat.PlaceOf(cb)
	if !mt.available() || act.Value == "" {
		return chat.RespondLater(mt.Slack, place.ResponseURL, chat.NotYetMessage("maintenance"))
	}
	return chat.Response{Then: chat.Once(mt.Clicks, chat.ClickKey(cb, act, act.Value), func(ctx context.Context) error {
		actor, ok, err := identity.ActorFor(ctx, mt.Identity, mt.Slack, place)
		if !ok {
			return err
		}
		_ = actor // PagerDuty records no requester for these; only linked people may act
		switch act.ActionID {
		case actionMaintExtend:
			return mt.extendMaintenance(ctx, place, act.Value)
		case actionMaintEnd:
			return mt.endMaintenance(ctx, place, act.Value)
		}
		return nil
	})}
}

func (mt *Feature) extendMaintenance(ctx context.Context, place chat.Place, id string) error {
	mw, err := mt.Windows.MaintenanceWindow(ctx, id)
	if err != nil {
		return fmt.Errorf("maintenance window %s: %w", id, err)
	}
	now := mt.now()
	if !mw.End.After(now) {
		return mt.alreadyEnded(ctx, place, id, mw.End, now)
	}
	mw, err = mt.Windows.ExtendMaintenanceWindow(ctx, id, mw.End.Add(maintExtension))
	if errors.Is(err, domain.ErrMaintenanceEnded) {
		return mt.alreadyEnded(ctx, place, id, time.Time{}, now)
	}
	if err != nil {
		return fmt.Errorf("extend maintenance window %s: %w", id, err)
	}
	if err := mt.Store.ExtendMaintenanceCard(ctx, id, mw.End, place.UserID); err == nil {
		mt.showMaintenanceCard(ctx, id)
	} else if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	mt.windowsChanged()
	if place.MessageTS == "" {
		return chat.TellClicker(ctx, mt.Slack, place, chat.Message{Text: fmt.Sprintf(":timer_clock: Extended: the window now ends at %s.", chat.DayTime(now, mw.End, mt.location()))})
	}
	return nil
}

func (mt *Feature) endMaintenance(ctx context.Context, place chat.Place, id string) error {
	mw, err := mt.Windows.MaintenanceWindow(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		mt.maintenanceOver(ctx, id, "", mt.now())
		return chat.TellClicker(ctx, mt.Slack, place, chat.Message{Text: "That maintenance window no longer exists in PagerDuty."})
	}
	if err != nil {
		return fmt.Errorf("maintenance window %s: %w", id, err)
	}
	now := mt.now()
	if !mw.End.After(now) {
		return mt.alreadyEnded(ctx, place, id, mw.End, now)
	}
	if err := mt.Windows.EndMaintenanceWindow(ctx, id); err != nil {
		if errors.Is(err, domain.ErrMaintenanceEnded) {
			return mt.alreadyEnded(ctx, place, id, time.Time{}, now)
		}
		return fmt.Errorf("end maintenance window %s: %w", id, err)
	}
	state := domain.MaintenanceEnded
	if now.Before(mw.Start) {
		state = domain.MaintenanceCancelled
	}
	won, err := mt.Store.EndMaintenanceCard(ctx, id, state, place.UserID, now)
	if err != nil {
		return err
	}
	verb := "ended"
	if state == domain.MaintenanceCancelled {
		verb = "cancelled"
	}
	text := fmt.Sprintf(":white_check_mark: <@%s> %s the maintenance window for %s; PagerDuty opens incidents for them again.", place.UserID, verb, serviceNames(mw.Services))
	if won {
		mt.showMaintenanceCard(ctx, id)
		if c, err := mt.Store.MaintenanceCard(ctx, id); err == nil {
			if _, err := mt.Slack.PostMessage(ctx, c.ChannelID, chat.Message{Text: text, ThreadTS: c.TS}); err != nil {
				mt.Log.Warn().Err(err).Msg("maintenance end not announced")
			}
		}
	}
	if place.MessageTS == "" {
		return chat.TellClicker(ctx, mt.Slack, place, chat.Message{Text: text})
	}
	return nil
}

// alreadyEnded records that the window ended without the click and tells
// the clicker: at end when its end is known, else (PagerDuty refused the
// change as too late) just now.
func (mt *Feature) alreadyEnded(ctx context.Context, place chat.Place, id string, end, now time.Time) error {
	if end.IsZero() {
		mt.maintenanceOver(ctx, id, "", now)
		return chat.TellClicker(ctx, mt.Slack, place, chat.Message{Text: ":information_source: That maintenance window has already ended."})
	}
	mt.maintenanceOver(ctx, id, "", end)
	return chat.TellClicker(ctx, mt.Slack, place, chat.Message{Text: fmt.Sprintf(":information_source: That maintenance window already ended at %s.", chat.DayTime(now, end, mt.location()))})
}

// maintenanceOver records that a window ended without us (by itself, or
// in PagerDuty's web app) and shows it on its card, once.
func (mt *Feature) maintenanceOver(ctx context.Context, id, by string, at time.Time) {
	won, err := mt.Store.EndMaintenanceCard(ctx, id, domain.MaintenanceEnded, by, at)
	if err != nil || !won {
		return
	}
	mt.showMaintenanceCard(ctx, id)
	if c, err := mt.Store.MaintenanceCard(ctx, id); err == nil {
		text := fmt.Sprintf(":bell: The maintenance window for %s has ended; PagerDuty opens incidents for them again.", serviceNames(c.Services))
		if _, err := mt.Slack.PostMessage(ctx, c.ChannelID, chat.Message{Text: text}); err != nil {
			mt.Log.Warn().Err(err).Msg("maintenance end not announced")
		}
	}
}

func (mt *Feature) showMaintenanceCard(ctx context.Context, id string) {
	c, err := mt.Store.MaintenanceCard(ctx, id)
	if err != nil || c.TS == "" {
		return
	}
	if err := mt.Slack.UpdateMessage(ctx, c.ChannelID, c.TS, mt.maintenanceCard(c)); err != nil {
		mt.Log.Warn().Err(err).Str("window", id).Msg("maintenance card not updated")
	}
}

// Tick closes the cards of windows whose end has come (after
// checking PagerDuty, where they may have been extended) and returns the
// next end to watch.
func (mt *Feature) Tick(ctx context.Context, now time.Time) time.Time {
	cards, err := mt.Store.OpenMaintenanceCards(ctx)
	if err != nil {
		mt.Log.Warn().Err(err).Msg("maintenance cards unreadable")
		return now.Add(retry)
	}
	var next time.Time
	for _, c := range cards {
		if c.End.After(now) {
			next = chat.Earliest(next, c.End)
			continue
		}
		mw, err := mt.Windows.MaintenanceWindow(ctx, c.WindowID)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			mt.maintenanceOver(ctx, c.WindowID, "", now)
		case err != nil:
			mt.Log.Warn().Err(err).Str("window", c.WindowID).Msg("maintenance window unreadable")
			next = chat.Earliest(next, now.Add(retry))
		case mw.End.After(now): // extended in PagerDuty
			if err := mt.Store.ExtendMaintenanceCard(ctx, c.WindowID, mw.End, ""); err == nil {
				mt.showMaintenanceCard(ctx, c.WindowID)
			}
			next = chat.Earliest(next, mw.End)
		default:
			mt.maintenanceOver(ctx, c.WindowID, "", mw.End)
		}
	}
	return next
}
