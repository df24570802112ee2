package storage

import (
	"context"
	"testing"
	"time"

	"github.com/tobanbot/toban/internal/pgtest"
)

// TestClaimsOfAnEndedSessionAreRetakenAtOnce: on PostgreSQL, an
// occurrence claimed by a replica whose session has ended (it was
// killed) is retaken by another at its next sweep, well inside the
// claim's lease; a live replica's claim is never retaken early; and a
// replica that lost its connection holds its lock again after
// KeepHolderAlive.
func TestClaimsOfAnEndedSessionAreRetakenAtOnce(t *testing.T) {
	if pgtest.Backend() != "postgres" {
		t.Skip("replica liveness is PostgreSQL's (sessions and advisory locks)")
	}
	target := tempTarget(t)
	ctx := context.Background()
	clock := func() time.Time { return time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC) }
	open := func(holder string) *DB {
		db, err := Open(ctx, target, WithClock(clock), WithHolder(holder))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open("replica-a"), open("replica-b")
	due := time.Date(2026, 11, 21, 9, 59, 0, 0, time.UTC)
	if _, claimed, err := a.ClaimOccurrence(ctx, "t_a", due, false, "C1", time.Time{}); err != nil || !claimed {
		t.Fatalf("claim by a: %v, %v", claimed, err)
	}
	if got, err := b.RetakeUnposted(ctx); err != nil || len(got) != 0 {
		t.Fatalf("b retook %d of a live replica's claims (%v), want none", len(got), err)
	}

	a.releaseHolder() // a's session ends, as when its process is killed
	var retaken int
	deadline := time.Now().Add(5 * time.Second)
	for retaken == 0 && time.Now().Before(deadline) {
		got, err := b.RetakeUnposted(ctx)
		if err != nil {
			t.Fatal(err)
		}
		retaken = len(got)
		time.Sleep(20 * time.Millisecond)
	}
	if retaken != 1 {
		t.Fatalf("b retook %d claims of an ended session within 5 s, want 1 (the lease is %v)", retaken, ClaimLease)
	}

	if err := a.KeepHolderAlive(ctx); err != nil {
		t.Fatal(err)
	}
	if _, claimed, err := a.ClaimOccurrence(ctx, "t_b", due, false, "C1", time.Time{}); err != nil || !claimed {
		t.Fatalf("claim by a after reconnecting: %v, %v", claimed, err)
	}
	if got, err := b.RetakeUnposted(ctx); err != nil || len(got) != 0 {
		t.Errorf("b retook %d claims of a replica holding its lock again (%v), want none", len(got), err)
	}
}
