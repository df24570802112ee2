package incidents

import (
	"context"
	"time"

	"github.com/tobanbot/toban/domain"
)

// Inbox is the durable queue of incident events from webhooks and the
// poller.
type Inbox interface {
	PendingEvents(ctx context.Context, limit int) ([]domain.InboxEvent, error)
	// MarkEventsDone records that the events are processed (or given up).
	MarkEventsDone(ctx context.Context, seqs ...int64) error
	MarkEventFailed(ctx context.Context, seq int64, retryAt time.Time) error
	// LatestOccurredEach says when the newest processed event of each
	// incident happened; incidents with none are missing.
	LatestOccurredEach(ctx context.Context, incidentIDs []string) (map[string]time.Time, error)
}

// FeedStore is what the incident feed keeps in the database.
type FeedStore interface {
	ClaimFeedCard(ctx context.Context, incidentID, channelID string) (time.Time, error)
	// ReserveCardSlot says whether the incident gets a card of its own in
	// the channel (true, and its slot is taken) or goes to the digest,
	// counting the cards given there since since across every replica.
	ReserveCardSlot(ctx context.Context, channelID, incidentID string, since time.Time, threshold int) (bool, error)
	AddToDigest(ctx context.Context, channelID, serviceID, serviceName string, window time.Duration, m domain.DigestMember) (int64, error)
	InDigest(ctx context.Context, incidentID string) (bool, error)
	SetDigestMemberStatus(ctx context.Context, incidentID string, status domain.Status) error
	DirtyDigests(ctx context.Context) ([]domain.Digest, error)
	Digest(ctx context.Context, id int64) (domain.Digest, error)
	MarkDigestRendered(ctx context.Context, id int64, ts string, version int64) error
}

// StormPolicy limits new cards per channel: beyond Threshold new cards
// within Window, incidents roll into one digest card per service.
type StormPolicy struct {
	Threshold int
	Window    time.Duration
}

// EventHook is a feature told of every incident event the feed
// processes, after the cards are up to date: it shows what the feed does
// not (status updates, responders). An error retries the event, so a hook
// must show nothing twice.
type EventHook interface {
	FeedEvent(ctx context.Context, ev domain.IncidentEvent) error
}
