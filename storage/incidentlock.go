package storage

import (
	"context"
	"database/sql/driver"
	"fmt"
	"sync"
)

// LockIncident serialises the work on one incident (a click's re-read and
// write) across every process sharing the database, and returns the
// unlock. On PostgreSQL it is a session advisory lock on a connection held
// for the duration, so that two replicas never both act on a stale read;
// SQLite serves one process, so a lock in the process is the same thing.
// It waits until ctx ends.
func (db *DB) LockIncident(ctx context.Context, incidentID string) (unlock func(), err error) {
	key := "incident:" + incidentID
	if !db.pg {
		// Several handles on one file (replicas in one test process)
		// share the lock through the file's name.
		return sqliteLocks.lock(db.target + "\x00" + key), nil
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock incident %s: %w", incidentID, err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtextextended($1, 0))`, key); err != nil {
		discard(conn)
		return nil, fmt.Errorf("lock incident %s: %w", incidentID, err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			// Not ctx: the lock must be released even when the work's
			// context has ended. A connection that cannot say so is
			// dropped, which ends its session and the lock with it.
			if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, key); err != nil {
				discard(conn)
				return
			}
			conn.Close()
		})
	}, nil
}

// discard closes conn so that the pool drops it instead of reusing it
// (with whatever session state it holds).
func discard(conn interface {
	Raw(func(any) error) error
	Close() error
}) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}

// sqliteLocks serves LockIncident on SQLite, which one process uses.
var sqliteLocks keyedLocks

// keyedLocks is a mutex per key, kept while anyone holds or waits for it.
type keyedLocks struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	mu    sync.Mutex
	users int
}

func (k *keyedLocks) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.users++
	k.mu.Unlock()
	l.mu.Lock()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Unlock()
			k.mu.Lock()
			if l.users--; l.users == 0 {
				delete(k.locks, key)
			}
			k.mu.Unlock()
		})
	}
}
