package incidents

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// metadataIncidentCard tags feed cards so that a card posted just before a
// crash is found again.
const metadataIncidentCard = "toban_incident_card"

// maxEventAttempts bounds retries of one event before it is given up.
const maxEventAttempts = 8

// RunFeed processes the inbox until ctx ends: whenever wake fires, and
// every few seconds for events whose retry time has come.
func (a *Feature) RunFeed(ctx context.Context, inbox Inbox, wake <-chan struct{}) {
	var lastDigest time.Time
	for {
		// Digests are re-rendered once the inbox is drained, or every 2 s
		// in a long storm: chat.update is scarce (Slack's Tier 3).
		for a.drainInbox(ctx, inbox) {
			if time.Since(lastDigest) > 2*time.Second {
				a.renderDigests(ctx)
				lastDigest = time.Now()
			}
		}
		a.renderDigests(ctx)
		lastDigest = time.Now()
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-time.After(2 * time.Second):
		}
	}
}

// drainInbox processes one batch and reports whether more may be waiting.
// Events of one incident are applied in order; a failure holds back that
// incident's later events (the inbox does too) but not other incidents.
func (a *Feature) drainInbox(ctx context.Context, inbox Inbox) bool {
	const batch = 100
	pending, err := inbox.PendingEvents(ctx, batch)
	if err != nil {
		if ctx.Err() == nil {
			a.Log.Warn().Err(err).Msg("inbox unreadable")
		}
		return false
	}
	failed := map[string]bool{}
	changed := map[string]bool{}
	for _, p := range pending {
		ev := p.Event
		if failed[ev.IncidentID] {
			continue
		}
		err := a.processEvent(ctx, inbox, ev, changed)
		if err == nil {
			if err := inbox.MarkEventDone(ctx, p.Seq); err != nil {
				a.Log.Warn().Err(err).Int64("seq", p.Seq).Msg("event processed but not marked")
			}
			continue
		}
		failed[ev.IncidentID] = true
		if p.Attempts+1 >= maxEventAttempts {
			a.Log.Error().Err(err).Str("event", ev.ID).Str("incident", ev.IncidentID).Msg("event given up after retries")
			_ = inbox.MarkEventDone(ctx, p.Seq)
			continue
		}
		retry := a.now().Add(time.Duration(1<<min(p.Attempts, 6)) * time.Second)
		a.Log.Warn().Err(err).Str("event", ev.ID).Time("retry_at", retry).Msg("event failed; will retry")
		if err := inbox.MarkEventFailed(ctx, p.Seq, retry); err != nil {
			a.Log.Warn().Err(err).Int64("seq", p.Seq).Msg("event failure not recorded")
		}
	}
	// One re-read and one chat.update per incident, however many events.
	for id := range changed {
		a.syncIncidentCards(ctx, id)
	}
	return len(pending) == batch
}

// processEvent applies one event: a new incident gets cards in the
// channels subscribed to its service; a change marks the incident's cards
// for re-rendering from PagerDuty's current state (so a late, older event
// can never roll a card back); notes, escalations and reassignments are
// replied in the cards' threads.
func (a *Feature) processEvent(ctx context.Context, inbox Inbox, ev domain.IncidentEvent, changed map[string]bool) error {
	if !domain.HandledEventTypes[ev.Type] {
		return nil
	}
	latest, err := inbox.LatestOccurred(ctx, ev.IncidentID)
	if err != nil {
		return err
	}
	stale := ev.OccurredAt.Before(latest)
	cards, err := a.Store.CardsForIncident(ctx, ev.IncidentID)
	if err != nil {
		return err
	}
	if ev.Type == domain.EventTriggered || ev.Type == domain.EventReopened || len(cards) == 0 {
		if err := a.postFeedCards(ctx, ev, stale); err != nil {
			return err
		}
		if cards, err = a.Store.CardsForIncident(ctx, ev.IncidentID); err != nil {
			return err
		}
	}
	// A new incident on a service with runbook checks gets them run, once:
	// the inbox hands each event to one processEvent.
	if ev.Type == domain.EventTriggered && !stale && a.Runbook != nil && len(cards) > 0 {
		inc, err := a.eventIncident(ctx, ev, stale)
		if err != nil {
			return err
		}
		if inc.ID != "" && a.Runbook.HasActions(inc) {
			a.Runbook.Triggered(inc)
		}
	}
	if ev.Type != domain.EventTriggered || stale {
		if len(cards) > 0 {
			if err := a.Store.MarkCardDirty(ctx, ev.IncidentID); err != nil {
				return err
			}
			changed[ev.IncidentID] = true
		}
		if status, ok := statusAfter(ev.Type); ok && !stale {
			if err := a.Feed.SetDigestMemberStatus(ctx, ev.IncidentID, status); err != nil {
				return err
			}
		}
	}
	if a.Tasks != nil && ev.Type != domain.EventAnnotated {
		a.Tasks.ShowIncident(ctx, ev.IncidentID)
	}
	if err := a.replyFeedEvent(ctx, ev, cards); err != nil {
		return err
	}
	for _, h := range a.EventHooks {
		if err := h.FeedEvent(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

func statusAfter(eventType string) (domain.Status, bool) {
	switch eventType {
	case domain.EventAcknowledged:
		return domain.StatusAcknowledged, true
	case domain.EventResolved:
		return domain.StatusResolved, true
	case domain.EventUnacknowledged, domain.EventReopened, domain.EventTriggered:
		return domain.StatusTriggered, true
	}
	return "", false
}

// eventIncident is the incident as the event carried it when that is
// trustworthy, else as PagerDuty has it now.
func (a *Feature) eventIncident(ctx context.Context, ev domain.IncidentEvent, stale bool) (domain.Incident, error) {
	if ev.Incident != nil && !stale && ev.Incident.ServiceID != "" {
		return *ev.Incident, nil
	}
	inc, err := a.PagerDuty.Incident(ctx, ev.IncidentID)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Incident{}, nil // deleted or invisible: nothing to show
	}
	return inc, err
}

// postFeedCards puts a card for the incident into every subscribed channel
// that has none, or into the channel's storm digest.
func (a *Feature) postFeedCards(ctx context.Context, ev domain.IncidentEvent, stale bool) error {
	inc, err := a.eventIncident(ctx, ev, stale)
	if err != nil || inc.ID == "" || !inc.Open() {
		return err
	}
	subs, err := a.Store.SubscriptionsFor(ctx, inc.ServiceID)
	if err != nil {
		return err
	}
	for _, sub := range subs {
		if !sub.Wants(inc.Urgency) {
			continue
		}
		if _, err := a.Store.CardIn(ctx, inc.ID, sub.ChannelID); err == nil {
			continue
		} else if !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		if err := a.postOrDigest(ctx, inc, sub); err != nil {
			return err
		}
	}
	return nil
}

func (a *Feature) postOrDigest(ctx context.Context, inc domain.Incident, sub domain.Subscription) error {
	storm := a.Storm
	if storm.Threshold > 0 {
		if in, err := a.Feed.InDigest(ctx, inc.ID); err != nil || in {
			return err
		}
	}
	claimedBefore, err := a.Feed.ClaimFeedCard(ctx, inc.ID, sub.ChannelID)
	if err != nil {
		return err
	}
	if !claimedBefore.IsZero() {
		// A post may have reached Slack before a crash: look before posting,
		// and before digesting, or the incident would show twice.
		ts, found, err := a.Slack.FindMessage(ctx, sub.ChannelID, claimedBefore.Add(-time.Minute), metadataIncidentCard, inc.ID)
		if err != nil {
			return err
		}
		if found {
			return a.saveFeedCard(ctx, inc.ID, sub.ChannelID, ts)
		}
	}
	if storm.Threshold > 0 {
		own, err := a.Feed.ReserveCardSlot(ctx, sub.ChannelID, inc.ID, a.now().Add(-storm.Window), storm.Threshold)
		if err != nil {
			return err
		}
		if !own {
			_, err := a.Feed.AddToDigest(ctx, sub.ChannelID, inc.ServiceID, inc.ServiceName, storm.Window,
				domain.DigestMember{IncidentID: inc.ID, Number: inc.Number, Title: inc.Title, Status: inc.Status})
			return err
		}
	}
	msg := renderCard(a.cardViewOf(ctx, inc))
	msg.Metadata = &chat.Metadata{EventType: metadataIncidentCard, Key: inc.ID}
	ts, err := a.Slack.PostMessage(ctx, sub.ChannelID, msg)
	if err != nil {
		return fmt.Errorf("post card of %s in %s: %w", inc.ID, sub.ChannelID, err)
	}
	return a.saveFeedCard(ctx, inc.ID, sub.ChannelID, ts)
}

func (a *Feature) saveFeedCard(ctx context.Context, incidentID, channelID, ts string) error {
	err := a.Store.SaveCard(ctx, domain.Card{IncidentID: incidentID, ChannelID: channelID, TS: ts})
	if err != nil && !errors.Is(err, domain.ErrCardExists) {
		return err
	}
	return nil
}

// replyFeedEvent posts notes, escalations and reassignments in the cards'
// threads, as the channel's subscription asks, without @mentions. Changes
// toban made itself were already replied when they were made.
func (a *Feature) replyFeedEvent(ctx context.Context, ev domain.IncidentEvent, cards []domain.Card) error {
	kind := map[string]string{
		domain.EventAnnotated: domain.SubscriptionNotes, domain.EventEscalated: domain.SubscriptionEscalations,
		domain.EventReassigned: domain.SubscriptionReassignments, domain.EventDelegated: domain.SubscriptionReassignments,
	}[ev.Type]
	if kind == "" || len(cards) == 0 || a.madeByToban(ctx, ev) {
		return nil
	}
	text, err := a.replyText(ctx, ev)
	if err != nil || text == "" {
		return err
	}
	for _, c := range cards {
		subs, err := a.Store.Subscriptions(ctx, c.ChannelID)
		if err != nil {
			return err
		}
		wanted := false
		for _, s := range subs {
			wanted = wanted || s.Replies(kind)
		}
		if !wanted {
			continue
		}
		// The same change can come from a webhook and from the poller with
		// different IDs: key the reply on what changed, not on the event.
		key := fmt.Sprintf("feed-reply:%s:%s:%s:%d:%x", c.ChannelID, ev.IncidentID, ev.Type, ev.OccurredAt.Unix(), hashOf(ev.Note))
		if first, err := a.Store.FirstClick(ctx, key); err != nil || !first {
			return err
		}
		if _, err := a.Slack.PostMessage(ctx, c.ChannelID, chat.Message{Text: text, ThreadTS: c.TS}); err != nil {
			return fmt.Errorf("thread reply for %s: %w", ev.IncidentID, err)
		}
	}
	return nil
}

func (a *Feature) replyText(ctx context.Context, ev domain.IncidentEvent) (string, error) {
	who := ev.Agent.Name
	if who == "" {
		who = "PagerDuty"
	}
	switch ev.Type {
	case domain.EventAnnotated:
		if ev.Note == "" {
			return "", nil
		}
		return fmt.Sprintf(":memo: Note from %s:\n%s", chat.Escape(who), chat.Quote(ev.Note)), nil
	default:
		inc, err := a.eventIncident(ctx, ev, false)
		if err != nil {
			return "", err
		}
		assigned := cardView{Incident: inc}.assignees()
		if ev.Type == domain.EventEscalated {
			return fmt.Sprintf(":arrow_double_up: Escalated by %s; now assigned to %s.", chat.Escape(who), assigned), nil
		}
		return fmt.Sprintf(":bust_in_silhouette: Reassigned by %s; now assigned to %s.", chat.Escape(who), assigned), nil
	}
}

// madeByToban reports whether toban itself made this change from Slack
// (and so already replied in the thread).
func (a *Feature) madeByToban(ctx context.Context, ev domain.IncidentEvent) bool {
	acts, err := a.Store.Activities(ctx, ev.IncidentID)
	if err != nil {
		return false
	}
	for _, act := range acts {
		near := act.At.Sub(ev.OccurredAt).Abs() < 2*time.Minute
		switch {
		case ev.Type == domain.EventAnnotated && act.Kind == activityNote && act.Detail == ev.Note:
			return true
		case ev.Type == domain.EventEscalated && act.Kind == activityEscalated && near:
			return true
		case ev.Type == domain.EventReassigned && act.Kind == domain.ActivityReassigned && near:
			return true // handlers/incidentactions said it in the thread
		}
	}
	return false
}

func hashOf(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}
