// Package storage keeps toban's state in one SQLite file (modernc.org/sqlite,
// no cgo). The schema lives in embedded, versioned migrations applied at
// start, each in its own transaction.
package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
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
	// inboxMu queues webhook inserts in the process: SQLite takes one
	// writer at a time, and writers colliding in its busy handler sleep
	// far longer than they wait here.
	inboxMu sync.Mutex
}

// Option changes how Open sets up the database.
type Option func(*DB)

// WithClock makes the database stamp rows with now instead of time.Now.
func WithClock(now func() time.Time) Option { return func(db *DB) { db.now = now } }

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

// Open opens (creating if needed) the SQLite file at path and brings its
// schema up to date.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	sqlDB, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{sql: sqlDB, now: time.Now}
	for _, o := range opts {
		o(db)
	}
	if err := db.migrate(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

func (db *DB) migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db.sql, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	current, known, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > known {
		return fmt.Errorf("%w: schema version %d, this binary knows up to %d; run a newer toban", ErrSchemaTooNew, current, known)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// SchemaVersion returns the version of the newest migration applied.
func (db *DB) SchemaVersion(ctx context.Context) (int64, error) {
	var v int64
	err := db.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&v)
	return v, err
}

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }

// CheckWritable proves the database accepts writes, for readiness probes.
func (db *DB) CheckWritable(ctx context.Context) error {
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO heartbeat (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at`,
		db.now().Unix())
	if err != nil {
		return fmt.Errorf("write heartbeat: %w", err)
	}
	return nil
}

// FirstDelivery records that the Slack event eventID is being handled and
// reports whether this is the first time; a redelivery returns false.
func (db *DB) FirstDelivery(ctx context.Context, eventID string) (bool, error) {
	res, err := db.sql.ExecContext(ctx,
		`INSERT INTO processed_events (event_id, received_at) VALUES (?, ?) ON CONFLICT DO NOTHING`,
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
	res, err := db.sql.ExecContext(ctx, `DELETE FROM processed_events WHERE received_at < ?`, t.Unix())
	if err != nil {
		return 0, fmt.Errorf("prune events: %w", err)
	}
	events, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune events: %w", err)
	}
	res, err = db.sql.ExecContext(ctx, `DELETE FROM answered_envelopes WHERE received_at < ?`, t.Unix())
	if err != nil {
		return events, fmt.Errorf("prune envelopes: %w", err)
	}
	envelopes, err := res.RowsAffected()
	if err != nil {
		return events, fmt.Errorf("prune envelopes: %w", err)
	}
	return events + envelopes, nil
}
