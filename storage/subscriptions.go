package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/tobanbot/toban/domain"
)

// Subscribe adds a subscription, or replaces the channel's subscription to
// the same service.
func (db *DB) Subscribe(ctx context.Context, s domain.Subscription) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	_, err := db.sql.ExecContext(ctx, `
		INSERT INTO subscriptions (channel_id, service_id, service_name, urgencies, events, created_by, created_at, stakeholders)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (channel_id, service_id) DO UPDATE SET
			service_name = excluded.service_name, urgencies = excluded.urgencies,
			events = excluded.events, created_by = excluded.created_by, created_at = excluded.created_at,
			stakeholders = excluded.stakeholders`,
		s.ChannelID, s.ServiceID, s.ServiceName, strings.Join(s.Urgencies, ","), strings.Join(s.Events, ","),
		s.CreatedBy, db.now().Unix(), boolInt(s.Stakeholders))
	if err != nil {
		return fmt.Errorf("subscribe %s to %s: %w", s.ChannelID, s.ServiceID, err)
	}
	return nil
}

const subscriptionColumns = `id, channel_id, service_id, service_name, urgencies, events, created_by, created_at, stakeholders`

func scanSubscriptions(rows *sql.Rows) ([]domain.Subscription, error) {
	defer rows.Close()
	var out []domain.Subscription
	for rows.Next() {
		var s domain.Subscription
		var urgencies, events string
		var created, stakeholders int64
		if err := rows.Scan(&s.ID, &s.ChannelID, &s.ServiceID, &s.ServiceName, &urgencies, &events, &s.CreatedBy, &created, &stakeholders); err != nil {
			return nil, err
		}
		s.Stakeholders = stakeholders == 1
		s.Urgencies = splitList(urgencies)
		s.Events = splitList(events)
		s.CreatedAt = time.Unix(created, 0)
		out = append(out, s)
	}
	return out, rows.Err()
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// Subscriptions lists a channel's subscriptions by service name.
func (db *DB) Subscriptions(ctx context.Context, channelID string) ([]domain.Subscription, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE channel_id = $1 ORDER BY service_name, id`, channelID)
	if err != nil {
		return nil, fmt.Errorf("subscriptions of %s: %w", channelID, err)
	}
	return scanSubscriptions(rows)
}

// SubscriptionsFor lists the subscriptions to a service.
func (db *DB) SubscriptionsFor(ctx context.Context, serviceID string) ([]domain.Subscription, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE service_id = $1 ORDER BY id`, serviceID)
	if err != nil {
		return nil, fmt.Errorf("subscriptions to %s: %w", serviceID, err)
	}
	return scanSubscriptions(rows)
}

// Subscription reads one subscription.
func (db *DB) Subscription(ctx context.Context, id int64) (domain.Subscription, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id = $1`, id)
	if err != nil {
		return domain.Subscription{}, fmt.Errorf("subscription %d: %w", id, err)
	}
	list, err := scanSubscriptions(rows)
	if err != nil {
		return domain.Subscription{}, fmt.Errorf("subscription %d: %w", id, err)
	}
	if len(list) == 0 {
		return domain.Subscription{}, fmt.Errorf("subscription %d: %w", id, domain.ErrNotFound)
	}
	return list[0], nil
}

// Unsubscribe deletes a subscription.
func (db *DB) Unsubscribe(ctx context.Context, id int64) error {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM subscriptions WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("unsubscribe %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("unsubscribe %d: %w", id, domain.ErrNotFound)
	}
	return nil
}
