package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tobanbot/toban/domain"
)

// ErrLeaseLost means a lease is no longer the caller's: it expired, or
// another holder took it over, or it was released.
var ErrLeaseLost = errors.New("lease lost")

// Lease is one replica's claim to run the singleton Name until ExpiresAt.
type Lease struct {
	Name   string
	Holder string
	// Epoch grows by one on every acquisition, takeovers included, and is
	// never reused: it tells one tenure from the next even when the same
	// holder comes back.
	Epoch      int64
	AcquiredAt time.Time
	ExpiresAt  time.Time
	// TakenOver is set when this tenure began by taking the lease from
	// another holder whose lease expired unreleased: it crashed, stalled
	// or lost the database. Metrics count these.
	TakenOver bool
}

// AcquireLease takes the lease name for holder for ttl, when it is free,
// expired, or already holder's (which starts a new epoch). It is one
// conditional upsert, so of replicas racing for a lease exactly one gets
// true. On false, the returned Lease is the current holder's as read just
// after (zero if it vanished meanwhile), for status pages.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (Lease, bool, error) {
	if name == "" || holder == "" || ttl <= 0 {
		return Lease{}, false, fmt.Errorf("acquire lease %q: %w", name, domain.Invalid("lease needs a name, a holder and a positive ttl"))
	}
	now := db.leaseNow()
	l, err := scanLease(db.sql.QueryRowContext(ctx,
		`INSERT INTO leases (name, holder, epoch, acquired_at, expires_at, taken_over) VALUES ($1, $2, 1, $3, $4, 0)
		 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, epoch = leases.epoch + 1,
		   acquired_at = excluded.acquired_at, expires_at = excluded.expires_at,
		   taken_over = CASE WHEN leases.expires_at > 0 AND leases.holder <> excluded.holder THEN 1 ELSE 0 END
		 WHERE leases.expires_at <= $3 OR leases.holder = excluded.holder
		 RETURNING name, holder, epoch, acquired_at, expires_at, taken_over`,
		name, holder, now.UnixMilli(), now.Add(ttl).UnixMilli()))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		cur, err := db.lease(ctx, name)
		if err != nil {
			return Lease{}, false, fmt.Errorf("acquire lease %s: %w", name, err)
		}
		return cur, false, nil
	case err != nil:
		return Lease{}, false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return l, true, nil
}

// RenewLease extends l to ttl from now. It fails with ErrLeaseLost unless
// l is still the current, unexpired tenure: a holder whose lease expired,
// even if nobody took it yet, must stop, because it cannot know whether
// another replica already started.
func (db *DB) RenewLease(ctx context.Context, l Lease, ttl time.Duration) (Lease, error) {
	now := db.leaseNow()
	renewed, err := scanLease(db.sql.QueryRowContext(ctx,
		`UPDATE leases SET expires_at = $1
		 WHERE name = $2 AND holder = $3 AND epoch = $4 AND expires_at > $5
		 RETURNING name, holder, epoch, acquired_at, expires_at, taken_over`,
		now.Add(ttl).UnixMilli(), l.Name, l.Holder, l.Epoch, now.UnixMilli()))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Lease{}, fmt.Errorf("renew lease %s epoch %d: %w", l.Name, l.Epoch, ErrLeaseLost)
	case err != nil:
		return Lease{}, fmt.Errorf("renew lease %s: %w", l.Name, err)
	}
	return renewed, nil
}

// ReleaseLease gives l up at once so another replica need not wait for it
// to expire. The row stays, expired, so the next epoch still counts up.
// Releasing a lease already lost is not an error.
func (db *DB) ReleaseLease(ctx context.Context, l Lease) error {
	_, err := db.sql.ExecContext(ctx,
		`UPDATE leases SET expires_at = 0 WHERE name = $1 AND holder = $2 AND epoch = $3`,
		l.Name, l.Holder, l.Epoch)
	if err != nil {
		return fmt.Errorf("release lease %s: %w", l.Name, err)
	}
	return nil
}

// Leases lists the leases currently held (unexpired), by name, for status
// pages.
func (db *DB) Leases(ctx context.Context) ([]Lease, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT name, holder, epoch, acquired_at, expires_at, taken_over FROM leases WHERE expires_at > $1 ORDER BY name`,
		db.leaseNow().UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list leases: %w", err)
	}
	defer rows.Close()
	var out []Lease
	for rows.Next() {
		l, err := scanLease(rows)
		if err != nil {
			return nil, fmt.Errorf("list leases: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list leases: %w", err)
	}
	return out, nil
}

// lease reads name's row, zero when there is none.
func (db *DB) lease(ctx context.Context, name string) (Lease, error) {
	l, err := scanLease(db.sql.QueryRowContext(ctx,
		`SELECT name, holder, epoch, acquired_at, expires_at, taken_over FROM leases WHERE name = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return Lease{}, nil
	}
	return l, err
}

func scanLease(row interface{ Scan(...any) error }) (Lease, error) {
	var l Lease
	var acquired, expires, takenOver int64
	if err := row.Scan(&l.Name, &l.Holder, &l.Epoch, &acquired, &expires, &takenOver); err != nil {
		return Lease{}, err
	}
	l.TakenOver = takenOver == 1
	l.AcquiredAt, l.ExpiresAt = time.UnixMilli(acquired).UTC(), time.UnixMilli(expires).UTC()
	return l, nil
}
