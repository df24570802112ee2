package storage

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pressly/goose/v3/lock"
)

// lockMigrations makes replicas that open one new database at the same
// moment migrate it one after the other, the later ones finding nothing to
// do; without it the second crashes with "table … already exists". Both
// locks die with their holder, so a replica killed mid-migration never
// blocks the next start.
func (db *DB) lockMigrations(ctx context.Context, t Target) (unlock func(), err error) {
	if db.pg {
		return db.lockPostgres(ctx)
	}
	return lockFile(ctx, t.Path)
}

// lockPostgres takes goose's session-level advisory lock on a connection
// held for the migration, retrying each second for up to 5 minutes.
func (db *DB) lockPostgres(ctx context.Context) (func(), error) {
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300), lock.WithUnlockTimeout(1, 10))
	if err != nil {
		return nil, err
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if err := locker.SessionLock(ctx, conn); err != nil {
		conn.Close()
		return nil, err
	}
	return func() {
		// A failed unlock is harmless: closing the session releases it.
		_ = locker.SessionUnlock(context.WithoutCancel(ctx), conn)
		conn.Close()
	}, nil
}

// lockFile takes an exclusive flock on PATH.migrate-lock, beside the WAL
// and shared-memory files SQLite keeps there anyway. SQLite's own locks
// cannot serve: goose migrates on other pooled connections, which a write
// lock held for the duration would block.
func lockFile(ctx context.Context, path string) (func(), error) {
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return func() {}, nil // private to this process, or the caller's own URI
	}
	f, err := os.OpenFile(path+".migrate-lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := tryFlock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if ok {
			return func() { unFlock(f); f.Close() }, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("wait for another process migrating %s: %w", path, ctx.Err())
		case <-tick.C:
		}
	}
}
