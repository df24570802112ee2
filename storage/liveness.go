package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// On PostgreSQL a replica's claims are also tied to its life, not only
// to their leases. The replica holds a session advisory lock named after
// its holder on a connection of its own for as long as it runs, and
// PostgreSQL releases that lock the moment the session ends: the process
// was SIGKILLed or crashed (the kernel closes its socket) or its machine
// was lost (TCP keepalive ends the session). Another replica retakes an
// unposted occurrence whose holder holds no such lock at its next sweep,
// instead of waiting out ClaimLease: a replica killed in the middle of a
// burst of firings delays its few claims by a sweep, not by a lease.
//
// A replica whose connection breaks while it lives loses the lock too,
// and its claims may be retaken while it is still posting; the retaking
// replica looks for the card in the channel first (as after any crash),
// which is the same guard a lapsed lease has always relied on.
// KeepHolderAlive takes the lock again on a new connection.

// holderLockKey is the advisory lock key of a holder, computed by
// PostgreSQL so that the liveness test below finds the same key.
const holderLockKey = `hashtextextended('toban-holder:' || %s, 0)`

// holderAlive is true when the holder named by the SQL expression %[1]s
// holds its lock in this database. pg_locks shows a bigint advisory key
// as two oids: its high and low 32 bits.
const holderAlive = `EXISTS (SELECT 1 FROM pg_locks l
	WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
	AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
	AND l.classid = ((hashtextextended('toban-holder:' || %[1]s, 0) >> 32) & 4294967295)::oid
	AND l.objid = (hashtextextended('toban-holder:' || %[1]s, 0) & 4294967295)::oid)`

// liveness is the connection holding this replica's holder lock.
type liveness struct {
	mu   sync.Mutex
	conn *sql.Conn
}

// KeepHolderAlive makes sure this handle holds its holder lock on
// PostgreSQL (see above), taking it again on a new connection if the
// old one broke. Open takes it first; call this every few seconds. It
// does nothing on SQLite or for a handle without a holder.
func (db *DB) KeepHolderAlive(ctx context.Context) error {
	if !db.pg || db.holder == "" {
		return nil
	}
	l := &db.live
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		if err := l.conn.PingContext(ctx); err == nil {
			return nil
		}
		discard(l.conn)
		l.conn = nil
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("hold replica lock: %w", err)
	}
	var held bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(`+fmt.Sprintf(holderLockKey, "$1")+`)`, db.holder).Scan(&held); err != nil {
		discard(conn)
		return fmt.Errorf("hold replica lock: %w", err)
	}
	if !held {
		discard(conn)
		return fmt.Errorf("hold replica lock: another session holds %s's", db.holder)
	}
	l.conn = conn
	return nil
}

// releaseHolder ends the session that holds the holder lock.
func (db *DB) releaseHolder() {
	l := &db.live
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		discard(l.conn)
		l.conn = nil
	}
}
