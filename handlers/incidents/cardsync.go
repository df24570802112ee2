package incidents

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// cardViewOf gathers what a card of inc shows: toban's activity and the
// Slack users behind the PagerDuty users it names.
func (a *Feature) cardViewOf(ctx context.Context, inc domain.Incident) cardView {
	v := cardView{Incident: inc, Location: a.location(), Now: a.now().In(a.location()), SlackUsers: map[string]string{}}
	if a.Runbook != nil {
		if row := a.Runbook.CardBlockFor(inc); row != nil {
			v.Runbook = row
		}
	}
	if a.Store == nil {
		return v
	}
	if acts, err := a.Store.Activities(ctx, inc.ID); err == nil {
		v.Activities = acts
	} else {
		a.Log.Warn().Err(err).Str("incident", inc.ID).Msg("activities unreadable; card shows less")
	}
	// One query for everyone the card names (assignees, acknowledgers,
	// who changed it last), not one each.
	var ids []string
	for _, p := range append(append([]domain.Person{inc.LastStatusChangeBy}, inc.Assignees...), acknowledgers(inc)...) {
		if p.ID != "" {
			ids = append(ids, p.ID)
		}
	}
	linked, err := a.Store.SlackUsersFor(ctx, ids)
	if err != nil {
		a.Log.Warn().Err(err).Msg("slack user lookup failed")
	}
	for _, id := range ids {
		v.SlackUsers[id] = linked[id] // "" for the unlinked: shown by name
	}
	return v
}

func acknowledgers(inc domain.Incident) []domain.Person {
	out := make([]domain.Person, len(inc.Acknowledgements))
	for i, ack := range inc.Acknowledgements {
		out[i] = ack.By
	}
	return out
}

// showOnCards makes every card of inc show its current state. A click on a
// channel message adopts that message as the channel's card; a click on an
// ephemeral list replaces that entry through response_url. Failed updates
// stay marked dirty in the database and are retried by RunCardSync, so the
// card ends up true even if Slack was rate limiting.
func (a *Feature) showOnCards(ctx context.Context, inc domain.Incident, place chat.Place) {
	a.showOnCardsIf(ctx, inc, place, true)
}

// showOnCardsIf is showOnCards that marks the cards stale only when
// changed is set; cards already stale are rendered either way.
func (a *Feature) showOnCardsIf(ctx context.Context, inc domain.Incident, place chat.Place, changed bool) {
	// The usual click, on a card toban knows, marks the cards and gets
	// them in one statement; a card it does not know yet is saved first.
	var cards []domain.Card
	known := false
	if changed {
		var err error
		if cards, err = a.Store.MarkCardsDirty(ctx, inc.ID); err != nil {
			a.Log.Warn().Err(err).Str("incident", inc.ID).Msg("card not marked for update")
		}
		known = err == nil && (place.MessageTS == "" || slices.ContainsFunc(cards, func(c domain.Card) bool {
			return c.ChannelID == place.ChannelID && c.TS == place.MessageTS
		}))
	}
	if !known {
		if place.MessageTS != "" && place.ChannelID != "" {
			err := a.Store.SaveCard(ctx, domain.Card{IncidentID: inc.ID, ChannelID: place.ChannelID, TS: place.MessageTS})
			if err != nil && !errors.Is(err, domain.ErrCardExists) {
				a.Log.Warn().Err(err).Str("incident", inc.ID).Msg("card not recorded")
			}
		}
		var err error
		if changed {
			cards, err = a.Store.MarkCardsDirty(ctx, inc.ID)
		} else {
			cards, err = a.Store.CardsForIncident(ctx, inc.ID)
		}
		if err != nil {
			a.Log.Warn().Err(err).Str("incident", inc.ID).Msg("cards unreadable")
			return
		}
	}
	a.renderCardsAt(ctx, inc, cards)
	if place.MessageTS == "" && place.ResponseURL != "" {
		view := a.cardViewOf(ctx, inc)
		view.Compact = true
		msg := renderCard(view)
		msg.ReplaceOriginal = true
		if err := a.Slack.Respond(ctx, place.ResponseURL, msg); err != nil {
			a.Log.Warn().Err(err).Str("incident", inc.ID).Msg("ephemeral card not replaced")
		}
	}
}

// renderCards updates every dirty card of inc. The caller holds inc's
// lock and read inc after the change that dirtied the cards, so the state
// shown is at least as new as the versions recorded.
func (a *Feature) renderCards(ctx context.Context, inc domain.Incident) {
	cards, err := a.Store.CardsForIncident(ctx, inc.ID)
	if err != nil {
		a.Log.Warn().Err(err).Str("incident", inc.ID).Msg("cards unreadable")
		return
	}
	a.renderCardsAt(ctx, inc, cards)
}

func (a *Feature) renderCardsAt(ctx context.Context, inc domain.Incident, cards []domain.Card) {
	var msg *chat.Message
	for _, c := range cards {
		if !c.Dirty() {
			continue
		}
		if msg == nil {
			m := renderCard(a.cardViewOf(ctx, inc))
			msg = &m
		}
		err := a.Slack.UpdateMessage(ctx, c.ChannelID, c.TS, *msg)
		if errors.Is(err, domain.ErrNotFound) {
			// The message or toban's access to the channel is gone for
			// good; retrying would only block the queue.
			a.Log.Warn().Err(err).Str("incident", inc.ID).Str("channel", c.ChannelID).Msg("card gone; forgetting it")
			if err := a.Store.DeleteCard(ctx, c.IncidentID, c.ChannelID); err != nil && !errors.Is(err, domain.ErrNotFound) {
				a.Log.Warn().Err(err).Msg("card not forgotten")
			}
			continue
		}
		if err != nil {
			a.Log.Warn().Err(err).Str("incident", inc.ID).Str("channel", c.ChannelID).Msg("card update failed; will retry")
			continue
		}
		if err := a.Store.MarkCardRendered(ctx, c.IncidentID, c.ChannelID, c.Version); err != nil {
			a.Log.Warn().Err(err).Str("incident", inc.ID).Msg("card rendered but not recorded")
		}
	}
}

// replyOnCards posts msg in the thread of every card of the incident.
func (a *Feature) replyOnCards(ctx context.Context, incidentID string, msg chat.Message) {
	cards, err := a.Store.CardsForIncident(ctx, incidentID)
	if err != nil {
		a.Log.Warn().Err(err).Str("incident", incidentID).Msg("cards unreadable; no thread reply")
		return
	}
	for _, c := range cards {
		reply := msg
		reply.ThreadTS = c.TS
		if _, err := a.Slack.PostMessage(ctx, c.ChannelID, reply); err != nil {
			a.Log.Warn().Err(err).Str("incident", incidentID).Str("channel", c.ChannelID).Msg("thread reply failed")
		}
	}
}

// RunCardSync retries card updates that failed (Slack rate limits, network
// errors, a restart in between) until ctx ends.
func (a *Feature) RunCardSync(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.SyncDirtyCards(ctx)
		}
	}
}

// SyncDirtyCards re-renders cards whose last update did not reach Slack.
func (a *Feature) SyncDirtyCards(ctx context.Context) {
	if a.PagerDuty == nil || a.Store == nil {
		return
	}
	cards, err := a.Store.DirtyCards(ctx, 50)
	if err != nil {
		a.Log.Warn().Err(err).Msg("dirty cards unreadable")
		return
	}
	done := map[string]bool{}
	for _, c := range cards {
		if done[c.IncidentID] {
			continue
		}
		done[c.IncidentID] = true
		a.syncIncidentCards(ctx, c.IncidentID)
	}
}

// syncIncidentCards reads the card versions first and the incident second,
// under the incident's lock, so what is shown is never older than what is
// recorded as shown.
func (a *Feature) syncIncidentCards(ctx context.Context, incidentID string) {
	unlock, err := a.Store.LockIncident(ctx, incidentID)
	if err != nil {
		a.Log.Warn().Err(err).Str("incident", incidentID).Msg("incident lock unavailable; card sync later")
		return
	}
	defer unlock()
	cards, err := a.Store.CardsForIncident(ctx, incidentID)
	if err != nil {
		a.Log.Warn().Err(err).Str("incident", incidentID).Msg("cards unreadable")
		return
	}
	inc, err := a.PagerDuty.Incident(ctx, incidentID)
	if err != nil {
		a.Log.Warn().Err(err).Str("incident", incidentID).Msg("incident unreadable; card sync later")
		return
	}
	a.renderCardsAt(ctx, inc, cards)
}
