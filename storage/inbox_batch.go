package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tobanbot/toban/domain"
)

// Webhook deliveries arrive in bursts from many senders at once (PagerDuty
// delivers in parallel and a storm sends hundreds in a second). Writing
// each as its own statement makes every one pay a commit (a WAL flush on
// both engines), so ingest is bounded by commits per second. inboxBatcher
// groups the deliveries waiting while a write is under way into the next
// write: one INSERT of many rows, one commit. An idle inbox writes a
// lone delivery at once, so grouping adds no latency; each caller still
// returns only after its own events are committed.
type inboxBatcher struct {
	mu      sync.Mutex
	queue   []*acceptCall
	writing bool
}

// acceptCall is one AcceptEvents waiting to be written.
type acceptCall struct {
	webhookID string
	evs       []domain.IncidentEvent
	payloads  [][]byte
	// done receives how many of evs were new, or the write's error.
	done     chan acceptResult
	accepted int
}

type acceptResult struct {
	accepted int
	err      error
}

// maxInboxBatchRows bounds one INSERT: 8 parameters a row stays far below
// SQLite's and PostgreSQL's parameter limits.
const maxInboxBatchRows = 500

// inboxWriteTimeout bounds a grouped write, which runs on behalf of every
// caller in it and so is not cancelled with the one that happens to run it.
const inboxWriteTimeout = 30 * time.Second

// accept queues c and returns when its events are committed. The first
// caller to find no write under way becomes the writer: it writes every
// queued call in groups until the queue is empty, then returns its own
// result.
func (db *DB) accept(ctx context.Context, c *acceptCall) (int, error) {
	b := &db.inbox
	b.mu.Lock()
	b.queue = append(b.queue, c)
	if b.writing {
		b.mu.Unlock()
		select {
		case r := <-c.done:
			return r.accepted, r.err
		case <-ctx.Done():
			// The events may still be stored; a redelivery finds them.
			return 0, fmt.Errorf("accept events: %w", ctx.Err())
		}
	}
	b.writing = true
	for len(b.queue) > 0 {
		group := b.queue
		b.queue = nil
		b.mu.Unlock()
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), inboxWriteTimeout)
		err := db.writeInboxGroup(wctx, group)
		cancel()
		for _, g := range group {
			g.done <- acceptResult{g.accepted, err}
		}
		b.mu.Lock()
	}
	b.writing = false
	b.mu.Unlock()
	r := <-c.done
	return r.accepted, r.err
}

// inboxRow is one event to insert, with the call that brought it.
type inboxRow struct {
	call    *acceptCall
	ev      domain.IncidentEvent
	payload []byte
}

// writeInboxGroup inserts the events of every call in group in one
// transaction, sets each call's accepted count, and fails them all
// together (each delivery is then redelivered, and deduplicated).
//
// Rows get their seq in arrival order, which is the order the feed
// processes them in (a trigger before its acknowledgement). An event
// repeated within the group counts for the first call that brought it.
func (db *DB) writeInboxGroup(ctx context.Context, group []*acceptCall) error {
	seen := map[string]bool{}
	var rows []inboxRow
	for _, c := range group {
		c.accepted = 0
		for i, ev := range c.evs {
			if seen[ev.ID] {
				continue
			}
			seen[ev.ID] = true
			rows = append(rows, inboxRow{c, ev, c.payloads[i]})
		}
	}
	if db.pg {
		return db.writeInboxGroupPostgres(ctx, rows)
	}
	now := db.now().UnixMilli()
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("accept events: %w", err)
	}
	defer tx.Rollback()
	inserted := map[string]bool{}
	for chunk := range slices.Chunk(rows, maxInboxBatchRows) {
		var q strings.Builder
		q.WriteString(`INSERT INTO incident_events
			(event_id, incident_id, type, source, webhook_id, payload, occurred_at, received_at) VALUES `)
		args := make([]any, 0, len(chunk)*8)
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8)
			args = append(args, r.ev.ID, r.ev.IncidentID, r.ev.Type, r.ev.Source, r.call.webhookID,
				string(r.payload), r.ev.OccurredAt.UnixMilli(), now)
		}
		q.WriteString(` ON CONFLICT (event_id) DO NOTHING RETURNING event_id`)
		res, err := tx.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return fmt.Errorf("accept events: %w", err)
		}
		for res.Next() {
			var id string
			if err := res.Scan(&id); err != nil {
				res.Close()
				return fmt.Errorf("accept events: %w", err)
			}
			inserted[id] = true
		}
		if err := res.Close(); err != nil {
			return fmt.Errorf("accept events: %w", err)
		}
		if err := res.Err(); err != nil {
			return fmt.Errorf("accept events: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("accept events: %w", err)
	}
	for _, r := range rows {
		if inserted[r.ev.ID] {
			r.call.accepted++
		}
	}
	return nil
}

// writeInboxGroupPostgres writes a group on PostgreSQL without holding
// the other replicas back. Replicas insert at once, and two inserts that
// share an event (a duplicate delivered to both) would deadlock if they
// took its row in different orders; so each statement inserts its rows
// sorted by event ID, and keeps the arrival order in the seq values it
// draws from the sequence, in arrival order, before inserting. Each
// statement is atomic; a group too large for one is written as several,
// in arrival order, and a failure fails the whole group (its deliveries
// are redelivered, and what was written is deduplicated).
func (db *DB) writeInboxGroupPostgres(ctx context.Context, rows []inboxRow) error {
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
			if k > 0 {
				b.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&b, "($%d::int, $%d::text, $%d::text, $%d::text, $%d::text, $%d::text, $%d::text, $%d::bigint, $%d::bigint)",
				n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9)
			args = append(args, i+1, r.ev.ID, r.ev.IncidentID, r.ev.Type, r.ev.Source, r.call.webhookID,
				string(r.payload), r.ev.OccurredAt.UnixMilli(), now)
		}
		b.WriteString(`) AS v (ord, event_id, incident_id, type, source, webhook_id, payload, occurred_at, received_at)
			JOIN seqs ON seqs.ord = v.ord
			ORDER BY v.event_id
			ON CONFLICT (event_id) DO NOTHING RETURNING event_id`)
		res, err := db.sql.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return fmt.Errorf("accept events: %w", err)
		}
		for res.Next() {
			var id string
			if err := res.Scan(&id); err != nil {
				res.Close()
				return fmt.Errorf("accept events: %w", err)
			}
			inserted[id] = true
		}
		res.Close()
		if err := res.Err(); err != nil {
			return fmt.Errorf("accept events: %w", err)
		}
	}
	for _, r := range rows {
		if inserted[r.ev.ID] {
			r.call.accepted++
		}
	}
	return nil
}
