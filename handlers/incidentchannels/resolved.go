package incidentchannels

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/scheduler"
)

// FeedEvent is the incident feed's hook (incidents.EventHook): a resolve
// posts the timeline (Resolved); other events change nothing here.
func (f *Feature) FeedEvent(ctx context.Context, ev domain.IncidentEvent) error {
	if ev.Type != domain.EventResolved {
		return nil
	}
	return f.Resolved(ctx, ev.IncidentID)
}

// Resolved posts the timeline in the incident's channel, if it has one,
// when PagerDuty says the incident is resolved. The same resolve arrives from the webhook and the poller,
// and on every replica: the timeline is claimed per resolve before it is
// posted, so it is posted once. A resolve that was since undone
// (reopened) posts nothing. Errors reading PagerDuty are returned, so the
// feed retries the event.
func (f *Feature) Resolved(ctx context.Context, incidentID string) error {
	if f.PagerDuty == nil {
		return nil
	}
	row, err := f.Store.IncidentChannel(ctx, incidentID)
	if errors.Is(err, domain.ErrNotFound) || err == nil && row.ChannelID == "" {
		return nil
	}
	if err != nil {
		return err
	}
	inc, err := f.PagerDuty.Incident(ctx, incidentID)
	if err != nil {
		return fmt.Errorf("timeline of %s: %w", incidentID, err)
	}
	if inc.Status != domain.StatusResolved {
		return nil
	}
	at := inc.LastStatusChangeAt
	if at.IsZero() {
		at = f.now()
	}
	if err := f.Store.MarkIncidentChannelResolved(ctx, inc.ID, at); err != nil {
		return err
	}
	tl, err := f.timelineOf(ctx, inc)
	if err != nil {
		return fmt.Errorf("timeline of %s: %w", incidentID, err)
	}
	key := fmt.Sprintf("thread:%s:timeline:%d", inc.ID, at.Unix())
	if first, err := f.Clicks.FirstClick(ctx, key); err != nil || !first {
		return err
	}
	for _, msg := range tl.SlackMessages(f.now(), f.location()) {
		if _, err := f.Slack.PostMessage(ctx, row.ChannelID, msg); err != nil {
			// Claimed, so a retry would post nothing: say it here.
			f.Log.Error().Err(err).Str("incident", inc.ID).Str("channel", row.ChannelID).Msg("timeline not posted")
			return nil
		}
	}
	f.Log.Info().Str("incident", inc.ID).Int("entries", len(tl.Entries)).Msg("timeline posted in the incident channel")
	return nil
}

// archiveEvery is how often Run looks for channels due at the latest; the
// next due time wakes it sooner.
const archiveEvery = time.Hour

// Run archives incident channels ArchiveAfter after their incident was
// resolved, until ctx ends. It does nothing when ArchiveAfter is 0.
// cmd/toban runs it on one replica (a lease).
func (f *Feature) Run(ctx context.Context) error {
	if f.ArchiveAfter <= 0 || f.PagerDuty == nil {
		return nil
	}
	for ctx.Err() == nil {
		f.ArchiveDue(ctx)
		if err := scheduler.SleepUntil(ctx, f.Clock, f.now().Add(min(archiveEvery, f.ArchiveAfter)), nil); err != nil {
			return nil
		}
	}
	return nil
}

// ArchiveDue archives every channel whose incident was resolved at least
// ArchiveAfter ago and is still resolved; a reopened incident's channel
// stays, its countdown stopped until the next resolve.
func (f *Feature) ArchiveDue(ctx context.Context) {
	due, err := f.Store.IncidentChannelsToArchive(ctx, f.now().Add(-f.ArchiveAfter))
	if err != nil {
		f.Log.Warn().Err(err).Msg("incident channels to archive unreadable")
		return
	}
	for _, c := range due {
		log := f.Log.With().Str("incident", c.IncidentID).Str("channel", c.ChannelID).Logger()
		inc, err := f.PagerDuty.Incident(ctx, c.IncidentID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			log.Warn().Err(err).Msg("incident unreadable; channel archived later")
			continue
		}
		if err == nil && inc.Status != domain.StatusResolved {
			if err := f.Store.MarkIncidentChannelResolved(ctx, c.IncidentID, time.Time{}); err != nil {
				log.Warn().Err(err).Msg("reopened incident's archive countdown not stopped")
			}
			continue
		}
		if err := f.Slack.ArchiveChannel(ctx, c.ChannelID); err != nil && !errors.Is(err, domain.ErrNotFound) {
			log.Warn().Err(err).Msg("incident channel not archived; will retry")
			continue
		}
		if err := f.Store.MarkIncidentChannelArchived(ctx, c.IncidentID); err != nil {
			log.Warn().Err(err).Msg("archive not recorded")
			continue
		}
		log.Info().Msg("incident channel archived")
	}
}
