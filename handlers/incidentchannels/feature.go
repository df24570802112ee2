// Package incidentchannels is the incident channel feature: "Open
// incident channel" in a card's More actions… menu creates a Slack channel
// for the incident (inc-<number>-<slug of title>), invites the clicker and
// the assignees and responders linked to Slack users, mirrors the card
// there (both copies stay in sync: cards are rows per incident and
// channel) and links the channel in the original card's thread. When the
// incident is resolved it posts the timeline of who did what when in the
// channel, once, and Run archives the channel N days later when asked to.
// `toban incident timeline` prints the same timeline for a postmortem.
//
// Opening a channel acts in Slack only, never in PagerDuty, so it needs no
// linked PagerDuty account: anyone who sees the card may open the channel,
// as anyone may create a channel in Slack.
//
// It reaches Slack, PagerDuty, the incident cards and the database only
// through the ports declared here, given concrete values in cmd/toban. It
// may import domain, scheduler and the toolkit (handlers/chat); never
// storage, pagerduty, bot, webhook, poller, the router (handlers) or
// another feature.
package incidentchannels

import (
	"context"
	"time"

	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/scheduler"
)

// Slack is the part of Slack's Web API the feature uses.
type Slack interface {
	chat.Teller
	// CreateChannel creates a public channel and returns its ID;
	// domain.ErrChannelNameTaken when the name is used.
	CreateChannel(ctx context.Context, name string) (string, error)
	// InviteToChannel invites users; those already in are no error.
	InviteToChannel(ctx context.Context, channel string, users []string) error
	// ArchiveChannel archives a channel; one already archived is no error.
	ArchiveChannel(ctx context.Context, channel string) error
}

// PagerDuty is what the feature reads of an incident.
type PagerDuty interface {
	// Incident reads an incident by ID or number.
	Incident(ctx context.Context, id string) (domain.Incident, error)
	// IncidentLog reads the incident's log, oldest first.
	IncidentLog(ctx context.Context, incidentID string) ([]domain.LogEntry, error)
}

// Cards are the incident feature's cards: one more is posted in the new
// channel, and the others' threads get the link.
type Cards interface {
	// PostCard posts the incident's card in channelID and records it with
	// the incident's other cards; it returns the card's ts.
	PostCard(ctx context.Context, incidentID, channelID string) (ts string, err error)
	// CardThreads are the incident's posted cards.
	CardThreads(ctx context.Context, incidentID string) ([]domain.Card, error)
}

// Store keeps which channel belongs to which incident (*storage.DB).
type Store interface {
	ClaimIncidentChannel(ctx context.Context, incidentID, openedBy string, stale time.Duration) (domain.IncidentChannel, bool, error)
	SetIncidentChannel(ctx context.Context, c domain.IncidentChannel) error
	ReleaseIncidentChannel(ctx context.Context, incidentID string) error
	IncidentChannel(ctx context.Context, incidentID string) (domain.IncidentChannel, error)
	MarkIncidentChannelResolved(ctx context.Context, incidentID string, at time.Time) error
	IncidentChannelsToArchive(ctx context.Context, resolvedBefore time.Time) ([]domain.IncidentChannel, error)
	MarkIncidentChannelArchived(ctx context.Context, incidentID string) error
}

// Records are what people did through toban (domain.Activity), and who a
// PagerDuty user is in Slack (/toban link).
type Records interface {
	RecordActivity(ctx context.Context, a domain.Activity) error
	Activities(ctx context.Context, incidentID string) ([]domain.Activity, error)
	// SlackUserFor is the Slack user linked to a PagerDuty user;
	// domain.ErrNotFound (or "") when nobody is.
	SlackUserFor(ctx context.Context, pdUserID string) (string, error)
}

// Feature is the incident channel feature.
type Feature struct {
	Slack Slack
	// PagerDuty is nil when PagerDuty is not configured; the feature then
	// says so.
	PagerDuty PagerDuty
	Cards     Cards
	Store     Store
	Records   Records
	// Clicks makes a click act once and the timeline be posted once.
	Clicks chat.Clicks
	// ArchiveAfter archives an incident's channel that long after the
	// incident was resolved; 0 never archives.
	ArchiveAfter time.Duration
	// Location is where times are shown as fallback text (TOBAN_TIMEZONE).
	Location *time.Location
	// Clock is toban's clock (the archive loop and every "now").
	Clock scheduler.Clock
	Log   zerolog.Logger
}

// claimStale is how long a claim may stay without a channel before another
// click takes it over: creating a channel takes seconds, so a claim this
// old belongs to a replica that died midway.
const claimStale = 2 * time.Minute

func (f *Feature) now() time.Time {
	if f.Clock == nil {
		return chat.Now(nil, "handlers/incidentchannels: Feature.Clock")
	}
	return f.Clock.Now()
}

func (f *Feature) location() *time.Location { return chat.Location(f.Location) }
