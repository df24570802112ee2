package incidents

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
)

// Click routes a click on an incident card button.
func (a *Feature) Click(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	if act.ActionID == actionOpenInPD {
		return chat.Response{} // Slack opened the link in the browser
	}
	place := chat.PlaceOf(cb)
	if a.PagerDuty == nil {
		return chat.RespondLater(a.Slack, place.ResponseURL, chat.Message{Text: chat.NotConfigured})
	}
	incidentID := act.Value
	return chat.Response{Then: chat.Once(a.Store, chat.ClickKey(cb, act, incidentID), func(ctx context.Context) error {
		switch act.ActionID {
		case actionAcknowledge:
			return a.changeStatus(ctx, place, incidentID, domain.StatusAcknowledged)
		case actionResolve:
			return a.changeStatus(ctx, place, incidentID, domain.StatusResolved)
		case actionEscalate:
			return a.openEscalate(ctx, cb.TriggerID, place, incidentID)
		case actionAddNote:
			return a.openNote(ctx, cb.TriggerID, place, incidentID)
		}
		return nil
	})}
}

// changeStatus acknowledges or resolves an incident as the clicker. The
// incident is re-read under a per-incident lock first, so stale and
// simultaneous clicks make no second write.
func (a *Feature) changeStatus(ctx context.Context, place chat.Place, incidentID string, to domain.Status) error {
	actor, ok, err := identity.ActorFor(ctx, a, a.Slack, place)
	if !ok {
		return err
	}
	inc, unlock, err := a.lockIncident(ctx, incidentID)
	if err != nil {
		return err
	}
	defer unlock()
	if msg := a.alreadyDone(ctx, inc, to); msg != "" {
		// Tell first: a person who lost a race should know at once.
		err := chat.TellClicker(ctx, a.Slack, place, chat.Message{Text: msg})
		a.showOnCardsIf(ctx, inc, place, !a.changeShownByToban(ctx, inc))
		return err
	}
	if to == domain.StatusAcknowledged {
		inc, err = a.PagerDuty.Acknowledge(ctx, incidentID, actor)
	} else {
		inc, err = a.PagerDuty.Resolve(ctx, incidentID, actor)
	}
	if errors.Is(err, domain.ErrInvalid) {
		// Someone got there between our read and our write (on a phone,
		// say): PagerDuty refuses, and the fresh state says who.
		if fresh, rerr := a.PagerDuty.Incident(ctx, incidentID); rerr == nil {
			if msg := a.alreadyDone(ctx, fresh, to); msg != "" {
				a.showOnCards(ctx, fresh, place)
				return chat.TellClicker(ctx, a.Slack, place, chat.Message{Text: msg})
			}
		}
	}
	if err != nil {
		return fmt.Errorf("%s incident %s: %w", verb(to), incidentID, err)
	}
	kind := activityAcknowledged
	if to == domain.StatusResolved {
		kind = activityResolved
	}
	if err := a.Store.RecordActivity(ctx, domain.Activity{IncidentID: inc.ID, Kind: kind, SlackUserID: place.UserID, PDUserID: actor.ID, At: a.now()}); err != nil {
		a.Log.Warn().Err(err).Str("incident", inc.ID).Msg("activity not recorded")
	}
	a.showOnCards(ctx, inc, place)
	return nil
}

func verb(to domain.Status) string {
	if to == domain.StatusResolved {
		return "resolve"
	}
	return "acknowledge"
}

// changeShownByToban reports whether inc's latest status change is one
// toban made and recorded: then toban re-rendered the cards right after
// (under the incident's lock; a failed render leaves them dirty for card
// sync), so the click that lost the race need not update them again — 19
// losing clicks would otherwise spend the app's chat.update budget on
// identical cards. A change made elsewhere (the phone app) is not known to
// be shown, and the cards are refreshed.
func (a *Feature) changeShownByToban(ctx context.Context, inc domain.Incident) bool {
	acts, err := a.Store.Activities(ctx, inc.ID)
	if err != nil || len(acts) == 0 {
		return false
	}
	last := acts[len(acts)-1]
	by := inc.LastStatusChangeBy.ID
	switch inc.Status {
	case domain.StatusAcknowledged:
		if n := len(inc.Acknowledgements); n > 0 {
			by = inc.Acknowledgements[n-1].By.ID
		}
		return last.Kind == activityAcknowledged && by != "" && last.PDUserID == by
	case domain.StatusResolved:
		return last.Kind == activityResolved && by != "" && last.PDUserID == by
	}
	return false
}

// alreadyDone says, for a click that would change nothing, who already did
// it; "" when the change is still to be made.
func (a *Feature) alreadyDone(ctx context.Context, inc domain.Incident, to domain.Status) string {
	if inc.Status != domain.StatusResolved && (to != domain.StatusAcknowledged || inc.Status != domain.StatusAcknowledged) {
		return "" // the usual click: no need to read who is who
	}
	view := a.cardViewOf(ctx, inc)
	switch {
	case inc.Status == domain.StatusResolved:
		return fmt.Sprintf(":information_source: #%d was already resolved by %s %s. Nothing to do.",
			inc.Number, view.person(inc.LastStatusChangeBy), chat.SlackTime(view.Now, inc.LastStatusChangeAt.In(view.Location)))
	case to == domain.StatusAcknowledged && inc.Status == domain.StatusAcknowledged:
		by, at := inc.LastStatusChangeBy, inc.LastStatusChangeAt
		if n := len(inc.Acknowledgements); n > 0 {
			by, at = inc.Acknowledgements[n-1].By, inc.Acknowledgements[n-1].At
		}
		return fmt.Sprintf(":information_source: #%d was already acknowledged by %s %s.",
			inc.Number, view.person(by), chat.SlackTime(view.Now, at.In(view.Location)))
	}
	return ""
}

// The click preamble: chat.Once (a redelivered envelope acts once),
// identity.ActorFor (who the clicker acts as in PagerDuty, or why nobody),
// lockIncident (the incident's lock, then a fresh read).

// lockIncident takes the incident's lock and re-reads it, so that a stale
// or simultaneous click sees the change already made and makes no second
// write. The caller defers unlock.
func (a *Feature) lockIncident(ctx context.Context, id string) (domain.Incident, func(), error) {
	unlock, err := a.Store.LockIncident(ctx, id)
	if err != nil {
		return domain.Incident{}, nil, err
	}
	inc, err := a.PagerDuty.Incident(ctx, id)
	if err != nil {
		unlock()
		return domain.Incident{}, nil, fmt.Errorf("read incident %s: %w", id, err)
	}
	return inc, unlock, nil
}
