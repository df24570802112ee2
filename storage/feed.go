package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tobanbot/toban/domain"
)

// ClaimFeedCard records that a card for the incident is about to be posted
// in the channel. It returns the time of an earlier claim when there was
// one (a post that may have reached Slack before a crash), else zero.
func (db *DB) ClaimFeedCard(ctx context.Context, incidentID, channelID string) (time.Time, error) {
	// The insert decides: of replicas claiming at once, exactly one gets
	// its row back (comparing times instead would let two claims in one
	// millisecond both win).
	res, err := db.sql.ExecContext(ctx, `
		INSERT INTO feed_claims (incident_id, channel_id, claimed_at) VALUES ($1, $2, $3)
		ON CONFLICT (incident_id, channel_id) DO NOTHING`, incidentID, channelID, db.now().UnixMilli())
	if err != nil {
		return time.Time{}, fmt.Errorf("claim card of %s in %s: %w", incidentID, channelID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		if err != nil {
			return time.Time{}, fmt.Errorf("claim card of %s in %s: %w", incidentID, channelID, err)
		}
		return time.Time{}, nil
	}
	var claimed int64
	err = db.sql.QueryRowContext(ctx, `SELECT claimed_at FROM feed_claims WHERE incident_id = $1 AND channel_id = $2`,
		incidentID, channelID).Scan(&claimed)
	if err != nil {
		return time.Time{}, fmt.Errorf("claim card of %s in %s: %w", incidentID, channelID, err)
	}
	return time.UnixMilli(claimed), nil
}

// CardsCreatedSince counts the incident cards created in a channel since t,
// the measure of an alert storm.
func (db *DB) CardsCreatedSince(ctx context.Context, channelID string, t time.Time) (int, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM incident_cards WHERE channel_id = $1 AND created_at >= $2`,
		channelID, t.UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count cards in %s: %w", channelID, err)
	}
	return n, nil
}

// AddToDigest puts an incident into the channel's current digest for its
// service (one started within window), creating the digest if needed, and
// marks it for re-rendering. Adding the same incident twice is a no-op.
func (db *DB) AddToDigest(ctx context.Context, channelID, serviceID, serviceName string, window time.Duration, m domain.DigestMember) (int64, error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("add to digest: %w", err)
	}
	defer tx.Rollback()
	if err := db.serialize(ctx, tx, "digest/"+channelID+"/"+serviceID); err != nil {
		return 0, fmt.Errorf("add to digest: %w", err)
	}
	now := db.now()
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM digests WHERE channel_id = $1 AND service_id = $2 AND started_at >= $3
		ORDER BY started_at DESC LIMIT 1`, channelID, serviceID, now.Add(-window).UnixMilli()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, `INSERT INTO digests (channel_id, service_id, service_name, started_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			channelID, serviceID, serviceName, now.UnixMilli()).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("add to digest: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO digest_members (digest_id, incident_id, number, title, status, added_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, id, m.IncidentID, m.Number, m.Title, string(m.Status), now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("add %s to digest %d: %w", m.IncidentID, id, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE digests SET version = version + 1 WHERE id = $1`, id); err != nil {
			return 0, fmt.Errorf("add to digest %d: %w", id, err)
		}
	}
	return id, tx.Commit()
}

// InDigest reports whether an incident is shown in some digest.
func (db *DB) InDigest(ctx context.Context, incidentID string) (bool, error) {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM digest_members WHERE incident_id = $1`, incidentID).Scan(&n); err != nil {
		return false, fmt.Errorf("digest of %s: %w", incidentID, err)
	}
	return n > 0, nil
}

// SetDigestMemberStatus records an incident's new status in every digest
// that shows it and marks those digests for re-rendering.
func (db *DB) SetDigestMemberStatus(ctx context.Context, incidentID string, status domain.Status) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("digest status of %s: %w", incidentID, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE digests SET version = version + 1 WHERE id IN
		(SELECT digest_id FROM digest_members WHERE incident_id = $1 AND status <> $2)`, incidentID, string(status)); err != nil {
		return fmt.Errorf("digest status of %s: %w", incidentID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE digest_members SET status = $1 WHERE incident_id = $2`, string(status), incidentID); err != nil {
		return fmt.Errorf("digest status of %s: %w", incidentID, err)
	}
	return tx.Commit()
}

// DirtyDigests lists digests whose card is not up to date, with members.
func (db *DB) DirtyDigests(ctx context.Context) ([]domain.Digest, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id, channel_id, service_id, service_name, started_at, ts, version, rendered
		FROM digests WHERE version > rendered ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("dirty digests: %w", err)
	}
	var out []domain.Digest
	for rows.Next() {
		var d domain.Digest
		var started int64
		if err := rows.Scan(&d.ID, &d.ChannelID, &d.ServiceID, &d.ServiceName, &started, &d.TS, &d.Version, &d.Rendered); err != nil {
			rows.Close()
			return nil, fmt.Errorf("dirty digests: %w", err)
		}
		d.StartedAt = time.UnixMilli(started)
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("dirty digests: %w", err)
	}
	for i := range out {
		if out[i].Members, err = db.digestMembers(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Digest reads one digest with its members.
func (db *DB) Digest(ctx context.Context, id int64) (domain.Digest, error) {
	var d domain.Digest
	var started int64
	err := db.sql.QueryRowContext(ctx, `SELECT id, channel_id, service_id, service_name, started_at, ts, version, rendered
		FROM digests WHERE id = $1`, id).Scan(&d.ID, &d.ChannelID, &d.ServiceID, &d.ServiceName, &started, &d.TS, &d.Version, &d.Rendered)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Digest{}, fmt.Errorf("digest %d: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return domain.Digest{}, fmt.Errorf("digest %d: %w", id, err)
	}
	d.StartedAt = time.UnixMilli(started)
	d.Members, err = db.digestMembers(ctx, id)
	return d, err
}

func (db *DB) digestMembers(ctx context.Context, id int64) ([]domain.DigestMember, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT incident_id, number, title, status, added_at FROM digest_members
		WHERE digest_id = $1 ORDER BY added_at, incident_id`, id)
	if err != nil {
		return nil, fmt.Errorf("members of digest %d: %w", id, err)
	}
	defer rows.Close()
	var out []domain.DigestMember
	for rows.Next() {
		var m domain.DigestMember
		var status string
		var added int64
		if err := rows.Scan(&m.IncidentID, &m.Number, &m.Title, &status, &added); err != nil {
			return nil, fmt.Errorf("members of digest %d: %w", id, err)
		}
		m.Status, m.AddedAt = domain.Status(status), time.UnixMilli(added)
		out = append(out, m)
	}
	return out, rows.Err()
}

// MarkDigestRendered records that version of the digest is shown at ts.
func (db *DB) MarkDigestRendered(ctx context.Context, id int64, ts string, version int64) error {
	_, err := db.sql.ExecContext(ctx, `UPDATE digests SET ts = $1, rendered = CASE WHEN $2 > rendered THEN $2 ELSE rendered END WHERE id = $3`, ts, version, id)
	if err != nil {
		return fmt.Errorf("digest %d rendered: %w", id, err)
	}
	return nil
}
