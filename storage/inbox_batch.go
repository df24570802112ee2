package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/tobanbot/toban/domain"
)

// Webhook deliveries arrive in bursts from many senders at once (PagerDuty
// delivers in parallel and a storm sends hundreds in a second). Writing
// each as its own statement makes every one pay a commit (a WAL flush on
// both engines), so ingest is bounded by commits per second. The inbox's
// batcher groups the deliveries waiting while a write is under way into
// the next write: one INSERT of many rows, one commit. An idle inbox
// writes a lone delivery at once, so grouping adds no latency; each
// caller still returns only after its own events are committed.

// acceptCall is one AcceptEvents to write.
type acceptCall struct {
	webhookID string
	evs       []domain.IncidentEvent
	payloads  [][]byte
}

// maxInboxBatchRows bounds one INSERT: 9 parameters a row stays far below
// SQLite's and PostgreSQL's parameter limits.
const maxInboxBatchRows = 500

// maxInboxCalls bounds the deliveries of one group (whose rows are then
// written maxInboxBatchRows at a time).
const maxInboxCalls = 1000

// accept returns how many of c's events were new once they are committed.
func (db *DB) accept(ctx context.Context, c acceptCall) (int, error) {
	n, err := db.inbox.do(ctx, c, maxInboxCalls, db.writeInboxGroup)
	if err != nil {
		// After a cancelled wait the events may still be stored; a
		// redelivery finds them.
		return 0, fmt.Errorf("accept events: %w", err)
	}
	return n, nil
}

// inboxRow is one event to insert, with the call that brought it.
type inboxRow struct {
	call      int // index in the group
	webhookID string
	ev        domain.IncidentEvent
	payload   []byte
}

// writeInboxGroup inserts the events of every call in group, returns how
// many of each call's events were new, and fails them all together (each
// delivery is then redelivered, and deduplicated). On SQLite the group is
// one transaction.
//
// Rows get their seq in arrival order, which is the order the feed
// processes them in (a trigger before its acknowledgement). An event
// repeated within the group counts for the first call that brought it.
func (db *DB) writeInboxGroup(ctx context.Context, group []acceptCall) ([]int, error) {
	seen := map[string]bool{}
	var rows []inboxRow
	for ci, c := range group {
		for i, ev := range c.evs {
			if seen[ev.ID] {
				continue
			}
			seen[ev.ID] = true
			rows = append(rows, inboxRow{ci, c.webhookID, ev, c.payloads[i]})
		}
	}
	var inserted map[string]bool
	var err error
	if db.pg {
		inserted, err = db.insertInboxPostgres(ctx, rows)
	} else {
		inserted, err = db.insertInboxSQLite(ctx, rows)
	}
	if err != nil {
		return nil, err
	}
	accepted := make([]int, len(group))
	for _, r := range rows {
		if inserted[r.ev.ID] {
			accepted[r.call]++
		}
	}
	return accepted, nil
}

// insertInboxSQLite inserts rows in arrival order in one transaction and
// returns the IDs of the events that were new.
func (db *DB) insertInboxSQLite(ctx context.Context, rows []inboxRow) (map[string]bool, error) {
	now := db.now().UnixMilli()
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	inserted := map[string]bool{}
	for chunk := range slices.Chunk(rows, maxInboxBatchRows) {
		var q strings.Builder
		q.WriteString(`INSERT INTO incident_events
			(event_id, incident_id, type, source, webhook_id, payload, occurred_at, received_at) VALUES `)
		args := make([]any, 0, len(chunk)*8)
		for i, r := range chunk {
			args = appendRow(&q, i == 0, args, "(?, ?, ?, ?, ?, ?, ?, ?)",
				r.ev.ID, r.ev.IncidentID, r.ev.Type, r.ev.Source, r.webhookID, string(r.payload), r.ev.OccurredAt.UnixMilli(), now)
		}
		q.WriteString(` ON CONFLICT (event_id) DO NOTHING RETURNING event_id`)
		res, err := tx.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return nil, err
		}
		if err := collectIDs(res, inserted); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return inserted, nil
}

// collectIDs adds the first column of every row to into, and closes rows.
func collectIDs(rows *sql.Rows, into map[string]bool) error {
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		into[id] = true
	}
	return rows.Err()
}

// insertInboxPostgres inserts a group's rows on PostgreSQL without holding
// the other replicas back. Replicas insert at once, and two inserts that
// share an event (a duplicate delivered to both) would deadlock if they
// took its row in different orders; so each statement inserts its rows
// sorted by event ID, and keeps the arrival order in the seq values it
// draws from the sequence, in arrival order, before inserting. Each
// statement is atomic; a group too large for one is written as several,
// in arrival order, and a failure fails the whole group (its deliveries
// are redelivered, and what was written is deduplicated).
func (db *DB) insertInboxPostgres(ctx context.Context, rows []inboxRow) (map[string]bool, error) {
	now := db.now().UnixMilli()
	inserted := map[string]bool{}
	for chunk := range slices.Chunk(rows, maxInboxBatchRows) {
		sorted := make([]int, len(chunk))
		for i := range chunk {
			sorted[i] = i
		}
		slices.SortFunc(sorted, func(a, b int) int { return strings.Compare(chunk[a].ev.ID, chunk[b].ev.ID) })
		var b strings.Builder
		// A CTE calling nextval is materialised, its rows drawn in the
		// order generate_series gives them: ord 1 (the first to arrive)
		// gets the lowest seq.
		fmt.Fprintf(&b, `WITH seqs AS (
				SELECT ord, nextval(pg_get_serial_sequence('incident_events', 'seq')) AS seq
				FROM generate_series(1, %d) AS ord)
			INSERT INTO incident_events
				(seq, event_id, incident_id, type, source, webhook_id, payload, occurred_at, received_at)
			SELECT seqs.seq, v.event_id, v.incident_id, v.type, v.source, v.webhook_id, v.payload, v.occurred_at, v.received_at
			FROM (VALUES `, len(chunk))
		args := make([]any, 0, len(chunk)*9)
		for k, i := range sorted {
			r := chunk[i]
			args = appendRow(&b, k == 0, args, "(?::int, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::bigint, ?::bigint)",
				i+1, r.ev.ID, r.ev.IncidentID, r.ev.Type, r.ev.Source, r.webhookID, string(r.payload), r.ev.OccurredAt.UnixMilli(), now)
		}
		b.WriteString(`) AS v (ord, event_id, incident_id, type, source, webhook_id, payload, occurred_at, received_at)
			JOIN seqs ON seqs.ord = v.ord
			ORDER BY v.event_id
			ON CONFLICT (event_id) DO NOTHING RETURNING event_id`)
		res, err := db.sql.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return nil, err
		}
		if err := collectIDs(res, inserted); err != nil {
			return nil, err
		}
	}
	return inserted, nil
}
