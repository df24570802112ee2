package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tobanbot/toban/domain"
)

// ClaimIncidentChannel claims the right to create the incident's channel
// for openedBy. claimed is true when the caller must create it (then call
// SetIncidentChannel, or ReleaseIncidentChannel on failure); otherwise the
// row returned is the existing channel, or another's claim still being
// created (ChannelID empty). A claim left empty for longer than stale (its
// replica died) is taken over.
func (db *DB) ClaimIncidentChannel(ctx context.Context, incidentID, openedBy string, stale time.Duration) (domain.IncidentChannel, bool, error) {
	if incidentID == "" {
		return domain.IncidentChannel{}, false, fmt.Errorf("claim incident channel: %w", domain.Invalid("no incident"))
	}
	now := db.now().UnixMilli()
	res, err := db.sql.ExecContext(ctx, `
		INSERT INTO incident_channels (incident_id, opened_by, claimed_at) VALUES ($1, $2, $3)
		ON CONFLICT (incident_id) DO NOTHING`, incidentID, openedBy, now)
	if err != nil {
		return domain.IncidentChannel{}, false, fmt.Errorf("claim channel of %s: %w", incidentID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return domain.IncidentChannel{IncidentID: incidentID, OpenedBy: openedBy, ClaimedAt: fromMillis(now)}, true, nil
	}
	res, err = db.sql.ExecContext(ctx, `
		UPDATE incident_channels SET opened_by = $2, claimed_at = $3
		WHERE incident_id = $1 AND channel_id = '' AND claimed_at < $4`,
		incidentID, openedBy, now, now-stale.Milliseconds())
	if err != nil {
		return domain.IncidentChannel{}, false, fmt.Errorf("take over channel claim of %s: %w", incidentID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return domain.IncidentChannel{IncidentID: incidentID, OpenedBy: openedBy, ClaimedAt: fromMillis(now)}, true, nil
	}
	c, err := db.IncidentChannel(ctx, incidentID)
	return c, false, err
}

// SetIncidentChannel records the channel created under a claim.
func (db *DB) SetIncidentChannel(ctx context.Context, c domain.IncidentChannel) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("save incident channel: %w", err)
	}
	res, err := db.sql.ExecContext(ctx, `UPDATE incident_channels SET channel_id = $2, name = $3 WHERE incident_id = $1`,
		c.IncidentID, c.ChannelID, c.Name)
	if err != nil {
		return fmt.Errorf("save channel of %s: %w", c.IncidentID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("save channel of %s: %w", c.IncidentID, domain.ErrNotFound)
	}
	return nil
}

// ReleaseIncidentChannel gives up a claim whose channel could not be
// created, so that a later click may try again. A created channel stays.
func (db *DB) ReleaseIncidentChannel(ctx context.Context, incidentID string) error {
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM incident_channels WHERE incident_id = $1 AND channel_id = ''`, incidentID); err != nil {
		return fmt.Errorf("release channel claim of %s: %w", incidentID, err)
	}
	return nil
}

const incidentChannelColumns = `incident_id, channel_id, name, opened_by, claimed_at, resolved_at, archived_at`

func scanIncidentChannel(row rowScanner) (domain.IncidentChannel, error) {
	var c domain.IncidentChannel
	var claimed, resolved, archived int64
	if err := row.Scan(&c.IncidentID, &c.ChannelID, &c.Name, &c.OpenedBy, &claimed, &resolved, &archived); err != nil {
		return c, err
	}
	c.ClaimedAt = fromMillis(claimed)
	if resolved > 0 {
		c.ResolvedAt = fromMillis(resolved)
	}
	if archived > 0 {
		c.ArchivedAt = fromMillis(archived)
	}
	return c, nil
}

// IncidentChannel reads the incident's channel row; domain.ErrNotFound
// when nobody opened one.
func (db *DB) IncidentChannel(ctx context.Context, incidentID string) (domain.IncidentChannel, error) {
	c, err := scanIncidentChannel(db.sql.QueryRowContext(ctx,
		`SELECT `+incidentChannelColumns+` FROM incident_channels WHERE incident_id = $1`, incidentID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("channel of %s: %w", incidentID, domain.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("channel of %s: %w", incidentID, err)
	}
	return c, nil
}

// MarkIncidentChannelResolved records when the incident was resolved,
// which starts its channel's archive countdown; at zero (reopened)
// stops it. domain.ErrNotFound when the incident has no channel.
func (db *DB) MarkIncidentChannelResolved(ctx context.Context, incidentID string, at time.Time) error {
	ms := int64(0)
	if !at.IsZero() {
		ms = at.UnixMilli()
	}
	res, err := db.sql.ExecContext(ctx, `UPDATE incident_channels SET resolved_at = $2 WHERE incident_id = $1 AND channel_id <> ''`, incidentID, ms)
	if err != nil {
		return fmt.Errorf("mark channel of %s resolved: %w", incidentID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("mark channel of %s resolved: %w", incidentID, domain.ErrNotFound)
	}
	return nil
}

// IncidentChannelsToArchive lists the channels of incidents resolved at
// or before resolvedBefore that toban has not archived yet, oldest first.
func (db *DB) IncidentChannelsToArchive(ctx context.Context, resolvedBefore time.Time) ([]domain.IncidentChannel, error) {
	list, err := queryRows(ctx, db.sql, scanIncidentChannel, `SELECT `+incidentChannelColumns+` FROM incident_channels
		WHERE channel_id <> '' AND archived_at = 0 AND resolved_at > 0 AND resolved_at <= $1
		ORDER BY resolved_at, incident_id`, resolvedBefore.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("incident channels to archive: %w", err)
	}
	return list, nil
}

// MarkIncidentChannelArchived records that the incident's channel was
// archived, so it is not archived again.
func (db *DB) MarkIncidentChannelArchived(ctx context.Context, incidentID string) error {
	if _, err := db.sql.ExecContext(ctx, `UPDATE incident_channels SET archived_at = $2 WHERE incident_id = $1`,
		incidentID, db.now().UnixMilli()); err != nil {
		return fmt.Errorf("mark channel of %s archived: %w", incidentID, err)
	}
	return nil
}
