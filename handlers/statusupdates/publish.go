package statusupdates

import (
	"context"
	"errors"
	"fmt"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// publish shows a status update once in each card's thread and once in
// each stakeholders' channel of the incident's service, whoever comes
// first — the click that posted it, or PagerDuty's webhook about it. head
// says who posted it ("Status update by <@U1>"). It reports whether a
// thread line was posted now. A failed post is logged, not retried: the
// key is claimed, and a retry could show the line twice.
func (f *Feature) publish(ctx context.Context, inc domain.Incident, su domain.StatusUpdate, head string) bool {
	log := f.Log.With().Str("incident", inc.ID).Str("status_update", su.ID).Logger()
	posted := false
	if f.first(ctx, threadKey(inc.ID, su.ID), su.ID) {
		posted = f.inThreads(ctx, inc.ID, fmt.Sprintf(":loudspeaker: %s:\n%s", head, chat.Quote(su.Message)))
	}
	if inc.ServiceID == "" {
		return posted // an incident not read: its stakeholders are unknown
	}
	subs, err := f.Store.SubscriptionsFor(ctx, inc.ServiceID)
	if err != nil {
		log.Warn().Err(err).Msg("stakeholders' channels unreadable; status update not posted there")
		return posted
	}
	text := fmt.Sprintf(":loudspeaker: %s\n%s:\n%s", incidentLink(inc), head, chat.Quote(su.Message))
	for _, sub := range subs {
		if !sub.WantsStatusUpdates(inc.Urgency) || !f.first(ctx, stakeholdersKey(inc.ID, su.ID, sub.ChannelID), su.ID) {
			continue
		}
		if _, err := f.Slack.PostMessage(ctx, sub.ChannelID, chat.Message{Text: text}); err != nil {
			log.Warn().Err(err).Str("channel", sub.ChannelID).Msg("status update not posted in stakeholders' channel")
		}
	}
	return posted
}

// first claims key; an update without an ID (which PagerDuty always
// gives) cannot be matched with its echo and is shown without a claim.
func (f *Feature) first(ctx context.Context, key, id string) bool {
	if id == "" {
		return true
	}
	first, err := f.Store.FirstClick(ctx, key)
	if err != nil {
		f.Log.Warn().Err(err).Str("key", key).Msg("thread line not claimed; not posted")
		return false
	}
	return first
}

// inThreads posts line in the thread of every card of the incident and
// reports whether it reached one.
func (f *Feature) inThreads(ctx context.Context, incidentID, line string) bool {
	n, err := chat.InThreads(ctx, f.Store, f.Slack, incidentID, line)
	if err != nil {
		f.Log.Warn().Err(err).Str("incident", incidentID).Msg("thread line not posted everywhere")
	}
	return n > 0
}

// incidentLink names an incident for a channel without its card.
func incidentLink(inc domain.Incident) string {
	name := fmt.Sprintf("[#%d] %s", inc.Number, chat.Escape(inc.Title))
	if inc.ServiceName != "" {
		name += " (" + chat.Escape(inc.ServiceName) + ")"
	}
	if inc.URL == "" {
		return "*" + name + "*"
	}
	return fmt.Sprintf("<%s|%s>", inc.URL, name)
}

// FeedEvent is the incident feed's hook: it shows, once, status updates
// published in PagerDuty (in the cards' threads and the stakeholders'
// channels) and responders asked or answering (in the threads). Other
// events are not its business. An error makes the feed retry the event,
// which shows nothing twice: every line is claimed by its key first.
func (f *Feature) FeedEvent(ctx context.Context, ev domain.IncidentEvent) error {
	switch ev.Type {
	case domain.EventStatusUpdatePublished:
		if ev.StatusUpdate == nil {
			return nil
		}
		return f.published(ctx, ev)
	case domain.EventResponderAdded, domain.EventResponderReplied:
		if ev.Responder == nil {
			return nil
		}
		return f.responder(ctx, ev)
	}
	return nil
}

// published shows a status update PagerDuty reported. Its ID is the one
// PagerDuty answered toban's own post with, so toban's echo shows nothing.
func (f *Feature) published(ctx context.Context, ev domain.IncidentEvent) error {
	su := *ev.StatusUpdate
	// The event names the incident only; its service says which
	// stakeholders' channels get the update.
	inc, err := f.PagerDuty.Incident(ctx, ev.IncidentID)
	switch {
	case errors.Is(err, domain.ErrNotFound): // deleted: threads only
		inc = domain.Incident{ID: ev.IncidentID}
	case err != nil:
		return fmt.Errorf("read %s for its status update: %w", ev.IncidentID, err)
	}
	f.publish(ctx, inc, su, "PagerDuty: "+chat.Escape(personName(su.By))+" posted a status update")
	return nil
}

// responder shows a responder request or its answer in the cards'
// threads. A request toban made itself was shown under the same key.
func (f *Feature) responder(ctx context.Context, ev domain.IncidentEvent) error {
	r := *ev.Responder
	who := chat.Escape(personName(r.User))
	var key, line string
	switch {
	case ev.Type == domain.EventResponderAdded:
		key = responderKey(ev.IncidentID, r.User.ID)
		line = fmt.Sprintf(":sos: %s was asked to help", who)
		if r.RequestedBy.ID != "" || r.RequestedBy.Name != "" {
			line += " by " + chat.Escape(personName(r.RequestedBy))
		}
		line += "."
	case r.State == "joined":
		key, line = replyKey(ev.IncidentID, r.User.ID, r.State), fmt.Sprintf(":white_check_mark: %s accepted the request to help.", who)
	case r.State == "declined":
		key, line = replyKey(ev.IncidentID, r.User.ID, r.State), fmt.Sprintf(":no_entry_sign: %s declined the request to help.", who)
	default:
		return nil // still pending, or cancelled: nothing was answered
	}
	cards, err := f.Store.CardsForIncident(ctx, ev.IncidentID)
	if err != nil {
		return err
	}
	if len(cards) == 0 {
		return nil // no thread to show it in; keep the key for one that may come
	}
	if !f.first(ctx, key, r.User.ID) {
		return nil
	}
	f.inThreads(ctx, ev.IncidentID, line)
	return nil
}

// personName is how a PagerDuty user is named in a thread.
func personName(p domain.Person) string {
	switch {
	case p.Name != "":
		return p.Name
	case p.ID != "":
		return p.ID
	}
	return "someone"
}
