package incidents

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
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
	d := drain{changed: changed, shown: map[string]bool{}, subs: map[string][]domain.Subscription{}}
	if err := d.prefetch(ctx, inbox, a.Store, pending); err != nil {
		if ctx.Err() == nil {
			a.Log.Warn().Err(err).Msg("inbox batch unreadable")
		}
		return false
	}
	for _, p := range pending {
		ev := p.Event
		if failed[ev.IncidentID] {
			continue
		}
		err := a.processEvent(ctx, ev, &d)
		if err == nil {
			d.done(p)
			if d.markNow {
				a.markDone(ctx, inbox, &d)
			}
			continue
		}
		failed[ev.IncidentID] = true
		if p.Attempts+1 >= maxEventAttempts {
			a.Log.Error().Err(err).Str("event", ev.ID).Str("incident", ev.IncidentID).Msg("event given up after retries")
			d.done(p)
			continue
		}
		// A failure releases the claims on the incident's pending events,
		// so the events processed before it are marked first: no other
		// replica may take them again.
		a.markDone(ctx, inbox, &d)
		retry := a.now().Add(time.Duration(1<<min(p.Attempts, 6)) * time.Second)
		a.Log.Warn().Err(err).Str("event", ev.ID).Time("retry_at", retry).Msg("event failed; will retry")
		if err := inbox.MarkEventFailed(ctx, p.Seq, retry); err != nil {
			a.Log.Warn().Err(err).Int64("seq", p.Seq).Msg("event failure not recorded")
		}
	}
	a.markDone(ctx, inbox, &d)
	// One re-read and one chat.update per incident, however many events.
	for id := range changed {
		a.syncIncidentCards(ctx, id)
	}
	if a.Tasks != nil && len(d.shown) > 0 {
		a.Tasks.ShowIncidents(ctx, slices.Sorted(maps.Keys(d.shown)))
	}
	return len(pending) == batch
}

// drain is what one batch of events gathers as it is applied.
type drain struct {
	// changed are the incidents whose cards are to be re-rendered.
	changed map[string]bool
	// shown are the incidents to show on task cards (TaskCards).
	shown map[string]bool
	// subs are the subscriptions of the services seen in the batch: a
	// storm brings many incidents of a few services.
	subs map[string][]domain.Subscription
	// latest and cards are, per incident of the batch, when its newest
	// processed event happened and its cards: read for the whole batch
	// at once and kept current as the batch goes. Nobody else changes
	// them meanwhile: the inbox gives one replica an incident's events
	// at a time, and only the feed posts an incident's feed cards.
	latest map[string]time.Time
	cards  map[string][]domain.Card
	// unmarked are the events processed and not yet marked done;
	// markNow asks for them to be marked before the next event.
	unmarked []int64
	markNow  bool
}

// prefetch reads latest and cards for the incidents of pending.
func (d *drain) prefetch(ctx context.Context, inbox Inbox, store Store, pending []domain.InboxEvent) error {
	seen := map[string]bool{}
	var ids []string
	for _, p := range pending {
		if id := p.Event.IncidentID; !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	var err error
	if d.latest, err = inbox.LatestOccurredEach(ctx, ids); err != nil {
		return err
	}
	d.cards, err = store.CardsForIncidents(ctx, ids)
	return err
}

// done records that the event p is processed: as LatestOccurred would
// see it at once, and in the inbox at the next markDone.
func (d *drain) done(p domain.InboxEvent) {
	ev := p.Event
	if ev.OccurredAt.After(d.latest[ev.IncidentID]) {
		d.latest[ev.IncidentID] = ev.OccurredAt.Truncate(time.Millisecond)
	}
	d.unmarked = append(d.unmarked, p.Seq)
}

// markDone marks the batch's processed events done in the inbox, in one
// statement. Until then they stay claimed by this replica, so only a
// crash makes them processed again, by whichever replica retakes them:
// what they did is claimed by key (cards, digests, thread replies,
// timelines, status updates) and is not done twice. A runbook started
// by an event is not: such an event is marked at once (markNow).
func (a *Feature) markDone(ctx context.Context, inbox Inbox, d *drain) {
	d.markNow = false
	if len(d.unmarked) == 0 {
		return
	}
	if err := inbox.MarkEventsDone(ctx, d.unmarked...); err != nil {
		a.Log.Warn().Err(err).Int("events", len(d.unmarked)).Msg("events processed but not marked")
	}
	d.unmarked = d.unmarked[:0]
}

// processEvent applies one event: a new incident gets cards in the
// channels subscribed to its service; a change marks the incident's cards
// for re-rendering from PagerDuty's current state (so a late, older event
// can never roll a card back); notes, escalations and reassignments are
// replied in the cards' threads.
func (a *Feature) processEvent(ctx context.Context, ev domain.IncidentEvent, d *drain) error {
	if !domain.HandledEventTypes[ev.Type] {
		return nil
	}
	stale := ev.OccurredAt.Before(d.latest[ev.IncidentID])
	cards := d.cards[ev.IncidentID]
	if ev.Type == domain.EventTriggered || ev.Type == domain.EventReopened || len(cards) == 0 {
		posted, err := a.postFeedCards(ctx, ev, stale, d)
		if err != nil {
			return err
		}
		if posted {
			if cards, err = a.Store.CardsForIncident(ctx, ev.IncidentID); err != nil {
				return err
			}
			d.cards[ev.IncidentID] = cards
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
			d.markNow = true
		}
	}
	if ev.Type != domain.EventTriggered || stale {
		if len(cards) > 0 {
			if err := a.Store.MarkCardDirty(ctx, ev.IncidentID); err != nil {
				return err
			}
			d.changed[ev.IncidentID] = true
		}
		if status, ok := statusAfter(ev.Type); ok && !stale {
			if err := a.Feed.SetDigestMemberStatus(ctx, ev.IncidentID, status); err != nil {
				return err
			}
		}
	}
	if ev.Type != domain.EventAnnotated {
		d.shown[ev.IncidentID] = true
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
// that has none, or into the channel's storm digest, and reports whether
// it tried any (the incident's cards may have changed).
func (a *Feature) postFeedCards(ctx context.Context, ev domain.IncidentEvent, stale bool, d *drain) (bool, error) {
	inc, err := a.eventIncident(ctx, ev, stale)
	if err != nil || inc.ID == "" || !inc.Open() {
		return false, err
	}
	subs, known := d.subs[inc.ServiceID]
	if !known {
		if subs, err = a.Store.SubscriptionsFor(ctx, inc.ServiceID); err != nil {
			return false, err
		}
		d.subs[inc.ServiceID] = subs
	}
	tried := false
	for _, sub := range subs {
		if !sub.Wants(inc.Urgency) {
			continue
		}
		if _, err := a.Store.CardIn(ctx, inc.ID, sub.ChannelID); err == nil {
			continue
		} else if !errors.Is(err, domain.ErrNotFound) {
			return tried, err
		}
		tried = true
		if err := a.postOrDigest(ctx, inc, sub); err != nil {
			return tried, err
		}
	}
	return tried, nil
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
