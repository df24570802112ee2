// Package storage keeps toban's state in one SQLite file (modernc.org/sqlite,
// no cgo) or, for several replicas, in a PostgreSQL database (pgx). The
// schema lives in embedded, versioned migrations applied at start, each in
// its own transaction; one set serves both engines (see dialect.go).
//
// It owns rows and SQL only: the entities it reads and writes (Task,
// Occurrence, Card, Calendar, ReportSchedule…) are domain types, which
// validate themselves; a scheduler.Rule is encoded once when a row is
// written and decoded once when it is read. It may import domain and
// scheduler; never handlers or another adapter (bot, pagerduty, webhook,
// poller).
package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrSchemaTooNew means the database was migrated by a newer toban; running
// an older binary against it could corrupt data, so Open refuses.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// DB is toban's database. It is safe for concurrent use.
type DB struct {
	sql *sql.DB
	now func() time.Time
	// leaseNow stamps leases. It is apart from now because leader
	// electors time their tenure with the process's own timers, so lease
	// expiries must be in the same (wall) time even when the rest of the
	// database follows a scheduler clock that tests move by hours.
	leaseNow func() time.Time
	// pg is set on PostgreSQL, where a few statements need row locks that
	// SQLite's single writer makes unnecessary.
	pg bool
	// target names the database in errors and logs, password removed.
	target string
	// inbox groups concurrent webhook inserts into one write (and so
	// queues them in the process: SQLite takes one writer at a time, and
	// writers colliding in its busy handler sleep far longer than they
	// wait here).
	inbox batcher[acceptCall, int]
	// claims, posts and taskReads batch the scheduler's concurrent
	// firings the same way (occurrences_group.go, tasks.go).
	claims    batcher[claimRequest, claimOutcome]
	posts     batcher[postedRequest, postedOutcome]
	taskReads batcher[string, taskRead]
	// live holds the holder's advisory lock on PostgreSQL (liveness.go).
	live liveness
	// paces batches concurrent reservations of Slack's budgets (pacing.go).
	paces batcher[paceRequest, time.Time]
	// pgURL is the PostgreSQL URL, for the LISTEN connection of Changes.
	pgURL string
	// hub fans change notifications out to Changes subscribers.
	hub changeHub
	// holder names the replica in the claims it takes (WithHolder); a
	// handle without one takes claims any replica may retake at once.
	holder string
}

// pgIdleConns is how many idle PostgreSQL connections a replica keeps
// ready (see README's deployment notes on max_connections).
const pgIdleConns = 16

// sqliteIdleConns is how many idle SQLite connections a process keeps:
// as many as the scheduler's concurrent firings.
const sqliteIdleConns = 32

// Option changes how Open sets up the database.
type Option func(*DB)

// WithClock makes the database stamp rows with now instead of time.Now.
func WithClock(now func() time.Time) Option { return func(db *DB) { db.now = now } }

// WithHolder names the replica that holds this handle's claims on task
// occurrences: for ClaimLease after claiming (renewed with
// RenewOccurrenceClaims) no other replica posts the occurrence's card.
func WithHolder(name string) Option { return func(db *DB) { db.holder = name } }

// WithLeaseClock makes leases expire by now instead of the WithClock
// clock; give it wall time when WithClock is a clock that can jump.
func WithLeaseClock(now func() time.Time) Option { return func(db *DB) { db.leaseNow = now } }

// dsn builds the connection string. The pragmas are in the DSN so that every
// pooled connection gets them, not just the first: WAL lets readers proceed
// during a write, busy_timeout makes a second writer wait instead of failing
// with SQLITE_BUSY, and _txlock=immediate takes the write lock at BEGIN so
// two read-then-write transactions cannot deadlock.
func dsn(path string) string {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Open opens the database named by target and brings its schema up to date:
// a postgres:// or postgresql:// URL opens PostgreSQL, anything else is the
// path of a SQLite file, created if needed. Replicas may call Open on one
// new database at the same moment: migrations are serialised (see lock.go).
func Open(ctx context.Context, target string, opts ...Option) (*DB, error) {
	t, err := ParseTarget(target)
	if err != nil {
		return nil, err
	}
	db := &DB{now: time.Now, pg: t.Postgres, target: t.String()}
	for _, o := range opts {
		o(db)
	}
	if db.leaseNow == nil {
		db.leaseNow = db.now
	}
	if t.Postgres {
		db.pgURL = t.url.String()
		db.sql, err = sql.Open("pgx", db.pgURL)
		if err == nil {
			// database/sql keeps 2 idle connections by default; a click
			// uses more at once (the incident lock holds one), and each
			// connection opened again costs PostgreSQL a backend process
			// and an authentication: milliseconds on the click's path.
			// No cap on open connections: a held lock waiting for a
			// second connection must never wait for itself.
			db.sql.SetMaxIdleConns(pgIdleConns)
			db.sql.SetConnMaxIdleTime(5 * time.Minute)
		}
	} else {
		db.sql = openSQLite(dsn(t.Path))
		// Opening a SQLite connection runs the pragmas and parses the
		// whole schema (a millisecond); with database/sql's 2 idle
		// connections, a burst of firings or webhooks reopened one for
		// most statements, inside the write gate.
		db.sql.SetMaxIdleConns(sqliteIdleConns)
		db.sql.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", db.target, err)
	}
	if err := db.migrate(ctx, t); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("open %s: %w", db.target, err)
	}
	if err := db.KeepHolderAlive(ctx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("open %s: %w", db.target, err)
	}
	return db, nil
}

// SchemaVersion returns the version of the newest migration applied.
func (db *DB) SchemaVersion(ctx context.Context) (int64, error) {
	var v int64
	err := db.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&v)
	return v, err
}

// Close stops change notifications and closes the database.
func (db *DB) Close() error {
	db.hub.stop()
	db.releaseHolder()
	return db.sql.Close()
}

// String names the database without its password, for logs and messages.
func (db *DB) String() string { return db.target }

// CheckWritable proves the database accepts writes, for readiness probes.
func (db *DB) CheckWritable(ctx context.Context) error {
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO heartbeat (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at`,
		db.now().Unix())
	if err != nil {
		return fmt.Errorf("write heartbeat: %w", err)
	}
	return nil
}

// FirstDelivery records that the Slack event eventID is being handled and
// reports whether this is the first time; a redelivery returns false. The
// insert is one statement on a primary key, so on PostgreSQL replicas
// racing for one event get one true between them.
func (db *DB) FirstDelivery(ctx context.Context, eventID string) (bool, error) {
	res, err := db.sql.ExecContext(ctx,
		`INSERT INTO processed_events (event_id, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		eventID, db.now().Unix())
	if err != nil {
		return false, fmt.Errorf("record event %s: %w", eventID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record event %s: %w", eventID, err)
	}
	return n == 1, nil
}

// ForgetDeliveriesBefore deletes event and envelope records older than t.
// Slack retries for minutes, not days, so a day of history is plenty.
func (db *DB) ForgetDeliveriesBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM processed_events WHERE received_at < $1`, t.Unix())
	if err != nil {
		return 0, fmt.Errorf("prune events: %w", err)
	}
	events, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune events: %w", err)
	}
	res, err = db.sql.ExecContext(ctx, `DELETE FROM answered_envelopes WHERE received_at < $1`, t.Unix())
	if err != nil {
		return events, fmt.Errorf("prune envelopes: %w", err)
	}
	envelopes, err := res.RowsAffected()
	if err != nil {
		return events, fmt.Errorf("prune envelopes: %w", err)
	}
	return events + envelopes, nil
}

// boolInt stores a flag as 0 or 1: the columns are integers on both
// engines, and pgx does not encode a Go bool into one.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// serialize makes read-then-write transactions on one key run one after
// the other across replicas. SQLite needs nothing: its transactions start
// with BEGIN IMMEDIATE, so there is one writer at a time already. On
// PostgreSQL, where READ COMMITTED transactions interleave, it takes a
// transaction-scoped advisory lock on the key's hash, released at commit
// or rollback.
func (db *DB) serialize(ctx context.Context, tx *sql.Tx, key string) error {
	if !db.pg {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, key); err != nil {
		return fmt.Errorf("lock %s: %w", key, err)
	}
	return nil
}
