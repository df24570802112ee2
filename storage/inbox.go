package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tobanbot/toban/domain"
)

// defaultPendingLimit is how many events PendingEvents returns for a limit
// of 0 or less.
const defaultPendingLimit = 100

// AcceptEvents stores evs in the inbox, in one transaction (shared with the
// deliveries arriving meanwhile, see inboxBatcher), and returns how many
// were new. Events are deduplicated by Event.ID: one already stored
// (processed or not), or repeated within evs, is skipped, so a redelivered
// webhook (same X-Webhook-Id, same event IDs) or a poller overlap is a
// no-op. webhookID is the delivery's X-Webhook-Id ("" for the poller); it
// is kept for diagnosis only. Each event is stored as JSON, its Incident
// snapshot included. An event without ID, Type, IncidentID or OccurredAt
// is refused with an error wrapping domain.ErrInvalid, and then nothing is
// stored.
func (db *DB) AcceptEvents(ctx context.Context, webhookID string, evs []domain.IncidentEvent) (int, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	payloads := make([][]byte, len(evs))
	for i, ev := range evs {
		if err := checkEvent(ev); err != nil {
			return 0, fmt.Errorf("accept events: %w", err)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return 0, fmt.Errorf("accept event %s: %w", ev.ID, err)
		}
		payloads[i] = b
	}
	return db.accept(ctx, acceptCall{webhookID: webhookID, evs: evs, payloads: payloads})
}

func checkEvent(ev domain.IncidentEvent) error {
	switch {
	case ev.ID == "":
		return domain.Invalid("an incident event has no ID")
	case ev.Type == "":
		return domain.Invalid("incident event %s has no type", ev.ID)
	case ev.IncidentID == "":
		return domain.Invalid("incident event %s names no incident", ev.ID)
	case ev.OccurredAt.IsZero():
		return domain.Invalid("incident event %s has no time", ev.ID)
	}
	return nil
}

// PendingEvents returns up to limit (100 when limit <= 0) unprocessed
// events in arrival order (Seq). An event marked failed is left out until
// its retryAt, and so are the later events of the same incident: within an
// incident, events are never handed out past one that is waiting for a
// retry. (A caller processing a batch should likewise stop on an incident
// after one of its events fails.)
func (db *DB) PendingEvents(ctx context.Context, limit int) ([]domain.InboxEvent, error) {
	if limit <= 0 {
		limit = defaultPendingLimit
	}
	rows, err := db.sql.QueryContext(ctx, `
		SELECT e.seq, e.event_id, e.incident_id, e.type, e.source, e.payload, e.occurred_at, e.received_at, e.attempts
		FROM incident_events e
		WHERE e.processed_at IS NULL AND (e.retry_at IS NULL OR e.retry_at <= $1)
		  AND NOT EXISTS (SELECT 1 FROM incident_events w
		      WHERE w.incident_id = e.incident_id AND w.processed_at IS NULL
		        AND w.seq < e.seq AND w.retry_at > $1)
		ORDER BY e.seq LIMIT $2`, db.now().UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("pending events: %w", err)
	}
	defer rows.Close()
	var out []domain.InboxEvent
	for rows.Next() {
		var (
			ie                   domain.InboxEvent
			col                  domain.IncidentEvent
			payload              string
			occurred, receivedMS int64
		)
		if err := rows.Scan(&ie.Seq, &col.ID, &col.IncidentID, &col.Type, &col.Source, &payload,
			&occurred, &receivedMS, &ie.Attempts); err != nil {
			return nil, fmt.Errorf("pending events: %w", err)
		}
		if err := json.Unmarshal([]byte(payload), &ie.Event); err != nil || ie.Event.ID != col.ID {
			// An unreadable payload must not block the inbox: hand out
			// what the indexed columns say, and the processor re-reads
			// the incident.
			col.OccurredAt = time.UnixMilli(occurred).UTC()
			ie.Event = col
		}
		ie.ReceivedAt = time.UnixMilli(receivedMS).UTC()
		out = append(out, ie)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending events: %w", err)
	}
	return out, nil
}

// MarkEventsDone records that the events seqs have been processed (or
// given up on); they are no longer pending. Marking one again is a no-op.
// The feed marks a batch's events together: one statement instead of one
// per event. If any seq is unknown, the others are still marked and the
// error wraps domain.ErrNotFound.
func (db *DB) MarkEventsDone(ctx context.Context, seqs ...int64) error {
	if len(seqs) == 0 {
		return nil
	}
	distinct := slices.Compact(slices.Sorted(slices.Values(seqs)))
	args := append([]any{db.now().UnixMilli()}, anySlice(distinct)...)
	res, err := db.sql.ExecContext(ctx,
		`UPDATE incident_events SET processed_at = COALESCE(processed_at, $1) WHERE seq IN (`+placeholderList(2, len(distinct))+`)`,
		args...)
	what := fmt.Sprintf("mark %d events done", len(distinct))
	if len(distinct) == 1 {
		what = fmt.Sprintf("mark event %d done", distinct[0])
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n < int64(len(distinct)) {
		return fmt.Errorf("%s: %d of them: %w", what, int64(len(distinct))-n, domain.ErrNotFound)
	}
	return nil
}

// MarkEventFailed records a failed attempt at processing the event seq:
// Attempts goes up by one and PendingEvents leaves the event, and the
// later events of its incident, out until retryAt. An unknown seq gives an
// error wrapping domain.ErrNotFound.
//
// Claims (ClaimEvents) on the incident's pending events are released, so
// that whichever replica claims next, once retryAt has come, takes the
// failed event and those after it together.
func (db *DB) MarkEventFailed(ctx context.Context, seq int64, retryAt time.Time) error {
	res, err := db.sql.ExecContext(ctx,
		`UPDATE incident_events SET attempts = attempts + 1, retry_at = $1 WHERE seq = $2`,
		retryAt.UnixMilli(), seq)
	if err := checkOneRow(res, err, fmt.Sprintf("mark event %d failed", seq)); err != nil {
		return err
	}
	_, err = db.sql.ExecContext(ctx, `UPDATE incident_events SET claimed_by = '', claim_until = 0
		WHERE processed_at IS NULL AND incident_id = (SELECT incident_id FROM incident_events WHERE seq = $1)`, seq)
	if err != nil {
		return fmt.Errorf("mark event %d failed: release claims: %w", seq, err)
	}
	return nil
}

// checkOneRow returns the error of an update of one row, saying what it
// did; no row updated is domain.ErrNotFound.
func checkOneRow(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, domain.ErrNotFound)
	}
	return nil
}

// LatestOccurred returns when the newest processed event of the incident
// happened (millisecond precision), or the zero time when none has been
// processed (or they have been forgotten). The processor uses it to
// ignore an older event arriving late.
func (db *DB) LatestOccurred(ctx context.Context, incidentID string) (time.Time, error) {
	got, err := db.LatestOccurredEach(ctx, []string{incidentID})
	if err != nil {
		return time.Time{}, err
	}
	return got[incidentID], nil
}

// LatestOccurredEach is LatestOccurred for several incidents in one
// query; an incident with nothing processed is missing from the map.
func (db *DB) LatestOccurredEach(ctx context.Context, incidentIDs []string) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(incidentIDs))
	if len(incidentIDs) == 0 {
		return out, nil
	}
	args := anySlice(incidentIDs)
	rows, err := db.sql.QueryContext(ctx, `SELECT incident_id, MAX(occurred_at) FROM incident_events
		WHERE incident_id IN (`+placeholderList(1, len(args))+`) AND processed_at IS NOT NULL
		GROUP BY incident_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("latest events of %d incidents: %w", len(args), err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var ms int64
		if err := rows.Scan(&id, &ms); err != nil {
			return nil, fmt.Errorf("latest events of %d incidents: %w", len(args), err)
		}
		out[id] = time.UnixMilli(ms).UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("latest events of %d incidents: %w", len(args), err)
	}
	return out, nil
}

// ForgetEventsBefore deletes the events processed before t and returns how
// many it deleted. Pending events are kept however old. A forgotten event
// delivered again would be processed again, so keep more than PagerDuty's
// redelivery window (about 20 minutes) and the poller's overlap: a day is
// plenty.
func (db *DB) ForgetEventsBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := db.sql.ExecContext(ctx,
		`DELETE FROM incident_events WHERE processed_at IS NOT NULL AND processed_at < $1`, t.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune incident events: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune incident events: %w", err)
	}
	return n, nil
}

// Cursor returns the value saved under name, or "" when none is.
func (db *DB) Cursor(ctx context.Context, name string) (string, error) {
	var v string
	err := db.sql.QueryRowContext(ctx, `SELECT value FROM cursors WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read cursor %s: %w", name, err)
	}
	return v, nil
}

// SetCursor saves value under name, replacing any earlier value. An empty
// name is refused with an error wrapping domain.ErrInvalid.
func (db *DB) SetCursor(ctx context.Context, name, value string) error {
	if name == "" {
		return fmt.Errorf("save cursor: %w", domain.Invalid("empty cursor name"))
	}
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO cursors (name, value, updated_at) VALUES ($1, $2, $3)
		 ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		name, value, db.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("save cursor %s: %w", name, err)
	}
	return nil
}
