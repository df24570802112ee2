package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Replicas tell each other "the tasks changed, reload them" through
// NotifyChanged and Changes. Every change bumps a counter row per topic in
// change_topics; on PostgreSQL the same transaction sends NOTIFY, which a
// dedicated LISTEN connection per handle receives at once; on SQLite
// (one process, or several on one host sharing the file) each handle polls
// the counters, which costs one small indexed read per poll.

// TopicTasks is the topic every change to the tasks table is announced
// on, in the same transaction, so that each replica re-arms its scheduler
// at once instead of at its next periodic reload.
const TopicTasks = "tasks"

// TopicReports is the topic every change to scheduled reports is
// announced on, in the same transaction, so that the replica running the
// report scheduler learns of a schedule saved on another one.
const TopicReports = "reports"

// changesChannel is the PostgreSQL NOTIFY channel; the payload is the topic.
const changesChannel = "toban_changes"

// changePoll is how often a SQLite handle reads the change counters: well
// inside the 2 s in which a change must reach the other replicas.
const changePoll = 200 * time.Millisecond

// Reconnect backoff of the LISTEN connection.
const (
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 5 * time.Second
)

// NotifyChanged tells every handle on this database, this one included,
// that what topic names changed. Call it after the change is committed.
func (db *DB) NotifyChanged(ctx context.Context, topic string) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("notify %s: %w", topic, err)
	}
	defer tx.Rollback()
	if err := db.changedTx(ctx, tx, topic); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("notify %s: %w", topic, err)
	}
	return nil
}

// changedTx is NotifyChanged inside the caller's transaction, so that the
// change and its notice commit together: a writer that crashes between
// them can neither leave other replicas unaware nor wake them for nothing.
func (db *DB) changedTx(ctx context.Context, tx *sql.Tx, topic string) error {
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO change_topics (topic, version) VALUES ($1, 1)
		 ON CONFLICT (topic) DO UPDATE SET version = change_topics.version + 1`, topic); err != nil {
		return fmt.Errorf("notify %s: %w", topic, err)
	}
	if db.pg {
		// Delivered at commit, so a listener never reloads before the
		// counter moved.
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, changesChannel, topic); err != nil {
			return fmt.Errorf("notify %s: %w", topic, err)
		}
	}
	return nil
}

// Changes returns a channel that receives a value after every
// NotifyChanged(topic) on any handle of this database, within about 2 s.
// Notifications coalesce: a burst while the receiver is busy leaves one
// value, so the receiver reloads once. After a lost PostgreSQL connection
// every subscriber gets one value, since notifications sent meanwhile are
// gone. The channel is closed when ctx ends or the DB is closed. The error
// is for the first LISTEN connection (or first read on SQLite); later
// failures are retried in the background.
func (db *DB) Changes(ctx context.Context, topic string) (<-chan struct{}, error) {
	ch := make(chan struct{}, 1)
	if err := db.hub.subscribe(topic, ch); err != nil {
		return nil, err
	}
	if err := db.hub.start(ctx, db); err != nil {
		db.hub.unsubscribe(topic, ch)
		return nil, fmt.Errorf("watch %s: %w", topic, err)
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-db.hub.closing():
		}
		db.hub.unsubscribe(topic, ch)
	}()
	return ch, nil
}

// changeHub fans notifications out to subscribers. One background loop per
// DB serves every topic; it starts with the first subscriber and stops
// with Close.
type changeHub struct {
	startMu sync.Mutex // held while starting or stopping the loop
	running bool
	cancel  context.CancelFunc
	done    chan struct{} // closed when the loop returned

	mu      sync.Mutex
	subs    map[string]map[chan struct{}]bool
	stopped bool
	closed  chan struct{} // closed by stop
}

var errClosed = errors.New("database closed")

func (h *changeHub) closing() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed == nil {
		h.closed = make(chan struct{})
	}
	return h.closed
}

func (h *changeHub) subscribe(topic string, ch chan struct{}) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return errClosed
	}
	if h.subs == nil {
		h.subs = map[string]map[chan struct{}]bool{}
	}
	if h.subs[topic] == nil {
		h.subs[topic] = map[chan struct{}]bool{}
	}
	h.subs[topic][ch] = true
	return nil
}

func (h *changeHub) unsubscribe(topic string, ch chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[topic][ch] {
		delete(h.subs[topic], ch)
		close(ch)
	}
}

// signal wakes topic's subscribers, or every subscriber for topic "".
func (h *changeHub) signal(topic string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for t, subs := range h.subs {
		if topic != "" && t != topic {
			continue
		}
		for ch := range subs {
			select {
			case ch <- struct{}{}:
			default: // one value already waits: coalesce
			}
		}
	}
}

// start runs the loop unless it runs already. Its first connection or read
// happens here, so that a change made after Changes returns is never missed.
func (h *changeHub) start(ctx context.Context, db *DB) error {
	h.startMu.Lock()
	defer h.startMu.Unlock()
	if h.running {
		return nil
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	var run func()
	if db.pg {
		conn, err := listen(ctx, db.pgURL)
		if err != nil {
			cancel()
			return err
		}
		run = func() { h.listenLoop(loopCtx, db.pgURL, conn) }
	} else {
		seen, err := db.changeVersions(ctx)
		if err != nil {
			cancel()
			return err
		}
		run = func() { h.pollLoop(loopCtx, db, seen) }
	}
	h.running, h.cancel, h.done = true, cancel, make(chan struct{})
	go func() {
		defer close(h.done)
		run()
	}()
	return nil
}

// stop ends the loop and closes every subscriber's channel.
func (h *changeHub) stop() {
	h.startMu.Lock()
	if h.running {
		h.cancel()
		<-h.done
		h.running = false
	}
	h.startMu.Unlock()
	h.closing()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return
	}
	h.stopped = true
	close(h.closed)
}

// pollLoop is SQLite's listener: it compares the counters with the last
// read and wakes the topics that moved.
func (h *changeHub) pollLoop(ctx context.Context, db *DB, seen map[string]int64) {
	tick := time.NewTicker(changePoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		cur, err := db.changeVersions(ctx)
		if err != nil {
			continue // a busy or closing database: the next poll retries
		}
		for topic, v := range cur {
			if seen[topic] != v {
				h.signal(topic)
			}
		}
		seen = cur
	}
}

func (db *DB) changeVersions(ctx context.Context) (map[string]int64, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT topic, version FROM change_topics`)
	if err != nil {
		return nil, fmt.Errorf("read change counters: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var topic string
		var v int64
		if err := rows.Scan(&topic, &v); err != nil {
			return nil, fmt.Errorf("read change counters: %w", err)
		}
		out[topic] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read change counters: %w", err)
	}
	return out, nil
}

// listen opens a connection of its own (not from the pool: LISTEN belongs
// to a session) and subscribes it to changesChannel.
func listen(ctx context.Context, url string) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect listener: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("listen: %w", err)
	}
	return conn, nil
}

// listenLoop is PostgreSQL's listener. When the connection fails (a
// failover, a restart, a killed backend) it reconnects with backoff and
// then wakes every subscriber once for what it may have missed.
func (h *changeHub) listenLoop(ctx context.Context, url string, conn *pgx.Conn) {
	defer func() { conn.Close(context.WithoutCancel(ctx)) }()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err == nil {
			h.signal(n.Payload)
			continue
		}
		conn.Close(context.WithoutCancel(ctx))
		if ctx.Err() != nil {
			return
		}
		backoff := listenRetryMin
		for {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			if conn, err = listen(ctx, url); err == nil {
				break
			}
			backoff = min(2*backoff, listenRetryMax)
		}
		h.signal("")
	}
}
