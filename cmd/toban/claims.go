package main

import (
	"context"
	"time"

	"github.com/tobanbot/toban/handlers"
	"github.com/tobanbot/toban/metrics"
	"github.com/tobanbot/toban/storage"
)

// inboxLease is how long an inbox claim outlives a replica that stops
// renewing it (it died): then another replica retakes the events.
const inboxLease = 15 * time.Second

// inboxClaims is the feed's inbox as every replica runs it: each batch
// the feed asks for is claimed for this replica under a lease (renewed by
// renewInboxClaims while it works), so an event accepted by any replica
// is processed by exactly one, and a dead replica's events by another.
type inboxClaims struct {
	*storage.DB
	holder  string
	metrics *metrics.Registry
}

// PendingEvents claims up to limit events for this replica.
func (c inboxClaims) PendingEvents(ctx context.Context, limit int) ([]storage.InboxEvent, error) {
	got, err := c.ClaimEvents(ctx, c.holder, limit, inboxLease)
	if err != nil {
		return nil, err
	}
	c.metrics.ClaimsTaken.WithLabelValues("inbox").Add(float64(len(got.Events)))
	c.metrics.ClaimsRetaken.WithLabelValues("inbox").Add(float64(got.Retaken))
	return got.Events, nil
}

// renewInboxClaims keeps this replica's inbox claims alive while it lives.
func (m *Main) renewInboxClaims(ctx context.Context) {
	t := time.NewTicker(inboxLease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := m.db.RenewEventClaims(ctx, m.elector.Holder(), inboxLease); err != nil && ctx.Err() == nil {
			m.Log.Warn().Err(err).Msg("inbox claims not renewed")
		}
	}
}

// taskClaims counts the task occurrences this replica claims: new ones as
// taken, and claimed-but-unposted ones it picks up after another attempt
// (a replica that died before posting) as retaken.
type taskClaims struct {
	handlers.TaskStore
	metrics *metrics.Registry
}

// ClaimOccurrence claims as the store does, counting.
func (c taskClaims) ClaimOccurrence(ctx context.Context, taskID string, due time.Time, late bool, channelID string, escalateAt time.Time) (storage.Occurrence, bool, error) {
	o, claimed, err := c.TaskStore.ClaimOccurrence(ctx, taskID, due, late, channelID, escalateAt)
	switch {
	case err != nil:
	case claimed:
		c.metrics.ClaimsTaken.WithLabelValues("task").Inc()
	case o.State == storage.OccClaimed:
		c.metrics.ClaimsRetaken.WithLabelValues("task").Inc()
	}
	return o, claimed, err
}

// inboxDepth reads the shared inbox's depth for /metrics.
func (m *Main) inboxDepth() (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return m.db.InboxDepth(ctx)
}
