package main

import (
	"context"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/tasks"
	"github.com/tobanbot/toban/metrics"
	"github.com/tobanbot/toban/storage"
)

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
func (c inboxClaims) PendingEvents(ctx context.Context, limit int) ([]domain.InboxEvent, error) {
	got, err := c.ClaimEvents(ctx, c.holder, limit, storage.ClaimLease)
	if err != nil {
		return nil, err
	}
	c.metrics.ClaimsTaken.WithLabelValues("inbox").Add(float64(len(got.Events)))
	c.metrics.ClaimsRetaken.WithLabelValues("inbox").Add(float64(got.Retaken))
	return got.Events, nil
}

// renewClaims keeps this replica's claims (inbox events, occurrences
// being posted) alive while it lives, and retakes the occurrences whose
// claimers died: the share of a dead replica is someone else's within
// storage.ClaimLease and one period. On PostgreSQL a dead replica's
// session ends with it, which releases its holder lock, so its claims
// are retaken at the next sweep, once a second (storage.KeepHolderAlive).
func (m *Main) renewClaims(ctx context.Context) {
	renewEvery, sweepEvery := storage.ClaimLease/4, storage.ClaimLease/4
	if m.db.Postgres() {
		sweepEvery = time.Second
	}
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	lastRenewal := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if time.Since(lastRenewal) >= renewEvery-sweepEvery/2 {
			lastRenewal = time.Now()
			if err := m.db.KeepHolderAlive(ctx); err != nil && ctx.Err() == nil {
				m.Log.Warn().Err(err).Msg("replica lock not held; other replicas may retake this one's claims")
			}
			if _, err := m.db.RenewEventClaims(ctx, m.elector.Holder(), storage.ClaimLease); err != nil && ctx.Err() == nil {
				m.Log.Warn().Err(err).Msg("inbox claims not renewed")
			}
			if _, err := m.db.RenewOccurrenceClaims(ctx); err != nil && ctx.Err() == nil {
				m.Log.Warn().Err(err).Msg("occurrence claims not renewed")
			}
		}
		if err := m.app.Tasks.Recover(ctx); err != nil && ctx.Err() == nil {
			m.Log.Warn().Err(err).Msg("task recovery failed")
		}
	}
}

// taskClaims counts the task occurrences this replica claims: new ones as
// taken, and claimed-but-unposted ones it picks up after another attempt
// (a replica that died before posting) as retaken.
type taskClaims struct {
	tasks.Store
	metrics *metrics.Registry
}

// ClaimOccurrence claims as the store does, counting.
func (c taskClaims) ClaimOccurrence(ctx context.Context, taskID string, due time.Time, late bool, channelID string, escalateAt time.Time) (domain.Occurrence, bool, error) {
	o, claimed, err := c.Store.ClaimOccurrence(ctx, taskID, due, late, channelID, escalateAt)
	switch {
	case err != nil:
	case claimed:
		c.metrics.ClaimsTaken.WithLabelValues("task").Inc()
	case o.TS == "" && !o.HeldElsewhere:
		c.metrics.ClaimsRetaken.WithLabelValues("task").Inc()
	}
	return o, claimed, err
}

// RetakeUnposted retakes as the store does, counting.
func (c taskClaims) RetakeUnposted(ctx context.Context) ([]domain.Occurrence, error) {
	occs, err := c.Store.RetakeUnposted(ctx)
	c.metrics.ClaimsRetaken.WithLabelValues("task").Add(float64(len(occs)))
	return occs, err
}

// inboxDepth reads the shared inbox's depth for /metrics.
func (m *Main) inboxDepth() (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return m.db.InboxDepth(ctx)
}
