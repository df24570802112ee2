package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tobanbot/toban/domain"
)

// State the replicas share so that what one process used to decide alone
// holds across all of them: claims on inbox events, Slack pacing, and the
// storm counters.

// ClaimedEvents is one ClaimEvents call's take.
type ClaimedEvents struct {
	// Events are the claimed events, in arrival order.
	Events []domain.InboxEvent
	// Retaken counts the events whose earlier claim, by another holder,
	// had lapsed unprocessed: that replica died or stalled.
	Retaken int
}

// ClaimEvents claims up to limit (100 when limit <= 0) pending events for
// holder until lease from now and returns them in arrival order. An event
// is claimable when it is unprocessed, its retry time (if it failed) has
// come, and no live claim of another holder is on it; and, as with
// PendingEvents, never past an earlier pending event of the same incident
// that is waiting for a retry or claimed by another holder, so that the
// events of one incident are processed in order by one replica at a time.
// A replica that dies holding claims loses them when the lease passes.
// Claims are taken one caller at a time (an advisory lock on PostgreSQL,
// SQLite's single writer), the rows with FOR UPDATE SKIP LOCKED.
func (db *DB) ClaimEvents(ctx context.Context, holder string, limit int, lease time.Duration) (ClaimedEvents, error) {
	if limit <= 0 {
		limit = defaultPendingLimit
	}
	if holder == "" {
		return ClaimedEvents{}, fmt.Errorf("claim events: %w", domain.Invalid("no holder"))
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return ClaimedEvents{}, fmt.Errorf("claim events: %w", err)
	}
	defer tx.Rollback()
	if err := db.serialize(ctx, tx, "inbox-claim"); err != nil {
		return ClaimedEvents{}, fmt.Errorf("claim events: %w", err)
	}
	lock := ""
	if db.pg {
		lock = " FOR UPDATE OF e SKIP LOCKED"
	}
	// Retry times are in the database's clock (the processor's), claims
	// in wall time like leases.
	now := db.leaseNow().UnixMilli()
	rows, err := tx.QueryContext(ctx, `
		SELECT e.seq, e.event_id, e.incident_id, e.type, e.source, e.payload, e.occurred_at, e.received_at, e.attempts, e.claimed_by, e.claim_until
		FROM incident_events e
		WHERE e.processed_at IS NULL AND (e.retry_at IS NULL OR e.retry_at <= $1)
		  AND (e.claim_until <= $4 OR e.claimed_by = $2)
		  AND NOT EXISTS (SELECT 1 FROM incident_events w
		      WHERE w.incident_id = e.incident_id AND w.processed_at IS NULL AND w.seq < e.seq
		        AND (w.retry_at > $1 OR (w.claim_until > $4 AND w.claimed_by <> $2)))
		ORDER BY e.seq LIMIT $3`+lock, db.now().UnixMilli(), holder, limit, now)
	if err != nil {
		return ClaimedEvents{}, fmt.Errorf("claim events: %w", err)
	}
	var out ClaimedEvents
	for rows.Next() {
		var (
			ie                   domain.InboxEvent
			col                  domain.IncidentEvent
			payload, claimedBy   string
			occurred, receivedMS int64
			claimUntil           int64
		)
		if err := rows.Scan(&ie.Seq, &col.ID, &col.IncidentID, &col.Type, &col.Source, &payload,
			&occurred, &receivedMS, &ie.Attempts, &claimedBy, &claimUntil); err != nil {
			rows.Close()
			return ClaimedEvents{}, fmt.Errorf("claim events: %w", err)
		}
		if err := json.Unmarshal([]byte(payload), &ie.Event); err != nil || ie.Event.ID != col.ID {
			col.OccurredAt = time.UnixMilli(occurred).UTC()
			ie.Event = col
		}
		ie.ReceivedAt = time.UnixMilli(receivedMS).UTC()
		if claimedBy != "" && claimedBy != holder && claimUntil > 0 {
			out.Retaken++
		}
		out.Events = append(out.Events, ie)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ClaimedEvents{}, fmt.Errorf("claim events: %w", err)
	}
	if len(out.Events) == 0 {
		return out, nil
	}
	args := []any{holder, now + lease.Milliseconds()}
	marks := make([]string, len(out.Events))
	for i, ev := range out.Events {
		args = append(args, ev.Seq)
		marks[i] = "$" + strconv.Itoa(i+3)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE incident_events SET claimed_by = $1, claim_until = $2
		WHERE seq IN (`+strings.Join(marks, ", ")+`)`, args...); err != nil {
		return ClaimedEvents{}, fmt.Errorf("claim events: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return ClaimedEvents{}, fmt.Errorf("claim events: %w", err)
	}
	return out, nil
}

// RenewEventClaims extends holder's claims on the events it has not
// processed yet to lease from now, and returns how many it extended. A
// replica calls it while it works through a batch, so that only a dead
// one's claims lapse.
func (db *DB) RenewEventClaims(ctx context.Context, holder string, lease time.Duration) (int64, error) {
	now := db.leaseNow().UnixMilli()
	res, err := db.sql.ExecContext(ctx, `UPDATE incident_events SET claim_until = $1
		WHERE processed_at IS NULL AND claimed_by = $2 AND claim_until > $3`, now+lease.Milliseconds(), holder, now)
	if err != nil {
		return 0, fmt.Errorf("renew event claims: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("renew event claims: %w", err)
	}
	return n, nil
}

// InboxDepth counts the events not processed yet (claimed or not).
func (db *DB) InboxDepth(ctx context.Context) (int64, error) {
	var n int64
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM incident_events WHERE processed_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("inbox depth: %w", err)
	}
	return n, nil
}

// PausePace makes every replica's writers under key wait until until (a
// 429's Retry-After).
func (db *DB) PausePace(ctx context.Context, key string, until time.Time) error {
	u := until.UnixMilli()
	_, err := db.sql.ExecContext(ctx, `
		INSERT INTO slack_pacing (key, tat, paused_until) VALUES ($1, $2, $2)
		ON CONFLICT (key) DO UPDATE SET paused_until = CASE WHEN slack_pacing.paused_until > $2 THEN slack_pacing.paused_until ELSE $2 END`,
		key, u)
	if err != nil {
		return fmt.Errorf("pause %s: %w", key, err)
	}
	return nil
}

// ReserveCardSlot decides, for every replica at once, whether the incident
// gets a card of its own in the channel or goes to the storm digest: it
// counts the incidents given a card there since since (the cards created,
// and the slots reserved by posts still under way) and, below threshold,
// reserves a slot for this one and returns true. An incident that already
// holds a slot gets true again (a retry after a crash). Deciding and
// reserving are one serialised transaction, so replicas racing at the
// threshold cannot both pass it.
func (db *DB) ReserveCardSlot(ctx context.Context, channelID, incidentID string, since time.Time, threshold int) (bool, error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("storm slot in %s: %w", channelID, err)
	}
	defer tx.Rollback()
	if err := db.serialize(ctx, tx, "storm/"+channelID); err != nil {
		return false, fmt.Errorf("storm slot in %s: %w", channelID, err)
	}
	var held, n int
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM storm_slots WHERE channel_id = $1 AND incident_id = $2`,
		channelID, incidentID).Scan(&held)
	if err != nil {
		return false, fmt.Errorf("storm slot in %s: %w", channelID, err)
	}
	if held > 0 {
		return true, nil
	}
	s := since.UnixMilli()
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (
		SELECT incident_id FROM incident_cards WHERE channel_id = $1 AND created_at >= $2
		UNION SELECT incident_id FROM storm_slots WHERE channel_id = $1 AND at >= $2) AS given`,
		channelID, s).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("storm slot in %s: %w", channelID, err)
	}
	if n >= threshold {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM storm_slots WHERE channel_id = $1 AND at < $2`, channelID, s); err != nil {
		return false, fmt.Errorf("storm slot in %s: %w", channelID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO storm_slots (channel_id, incident_id, at) VALUES ($1, $2, $3)`,
		channelID, incidentID, db.now().UnixMilli()); err != nil {
		return false, fmt.Errorf("storm slot in %s: %w", channelID, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("storm slot in %s: %w", channelID, err)
	}
	return true, nil
}

// Postgres reports whether the database is PostgreSQL, the engine several
// replicas share; state kept in one process is enough on SQLite.
func (db *DB) Postgres() bool { return db.pg }
