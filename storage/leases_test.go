package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// leaseClock is a settable clock shared by several handles, as replicas
// share the real one.
type leaseClock struct{ ms atomic.Int64 }

func newLeaseClock() *leaseClock {
	c := &leaseClock{}
	c.ms.Store(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).UnixMilli())
	return c
}

func (c *leaseClock) now() time.Time          { return time.UnixMilli(c.ms.Load()).UTC() }
func (c *leaseClock) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// openReplicasClock opens n handles on one new database sharing clock.
func openReplicasClock(t *testing.T, n int, clock *leaseClock) []*DB {
	t.Helper()
	target := tempTarget(t)
	dbs := make([]*DB, n)
	for i := range dbs {
		db, err := Open(context.Background(), target, WithClock(clock.now))
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs
}

func TestAcquireLeaseOneOfManyWins(t *testing.T) {
	ctx := context.Background()
	dbs := openReplicasClock(t, 2, newLeaseClock())
	const rounds, perReplica = 20, 4
	for r := range rounds {
		name := fmt.Sprintf("poller-%d", r)
		var wg sync.WaitGroup
		var wins atomic.Int64
		start := make(chan struct{})
		for i, db := range dbs {
			for j := range perReplica {
				wg.Go(func() {
					<-start
					_, ok, err := db.AcquireLease(ctx, name, fmt.Sprintf("r%d-%d", i, j), 10*time.Second)
					if err != nil {
						t.Errorf("round %d: %v", r, err)
					}
					if ok {
						wins.Add(1)
					}
				})
			}
		}
		close(start)
		wg.Wait()
		if got, want := wins.Load(), int64(1); got != want {
			t.Errorf("round %d: winners = %d, want %d", r, got, want)
		}
	}
}

func TestLeaseTakeoverOnlyAfterExpiry(t *testing.T) {
	ctx := context.Background()
	clock := newLeaseClock()
	dbs := openReplicasClock(t, 2, clock)
	a, b := dbs[0], dbs[1]
	const ttl = 10 * time.Second

	la, ok, err := a.AcquireLease(ctx, "poller", "A", ttl)
	if err != nil || !ok {
		t.Fatalf("A acquire = %v, %v; want true", ok, err)
	}
	if got, want := la.ExpiresAt, clock.now().Add(ttl); !got.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", got, want)
	}

	steps := []struct {
		name    string
		advance time.Duration
		wantOK  bool
	}{
		{"while fresh", 0, false},
		{"just before expiry", ttl - time.Millisecond, false},
		{"at expiry", time.Millisecond, true},
	}
	var lb Lease
	for _, s := range steps {
		clock.advance(s.advance)
		got, ok, err := b.AcquireLease(ctx, "poller", "B", ttl)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if ok != s.wantOK {
			t.Fatalf("%s: B acquired = %v, want %v", s.name, ok, s.wantOK)
		}
		if !ok && got.Holder != "A" {
			t.Errorf("%s: current holder = %q, want A", s.name, got.Holder)
		}
		lb = got
	}
	if got, want := lb.Epoch, la.Epoch+1; got != want {
		t.Errorf("epoch after takeover = %d, want %d", got, want)
	}
	if !lb.TakenOver || la.TakenOver {
		t.Errorf("TakenOver: A %v, B %v; want false, true", la.TakenOver, lb.TakenOver)
	}

	// The stale holder finds out when it renews, and cannot take it back.
	if _, err := a.RenewLease(ctx, la, ttl); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("stale A renew: err = %v, want ErrLeaseLost", err)
	}
	if _, ok, _ := a.AcquireLease(ctx, "poller", "A", ttl); ok {
		t.Error("A re-acquired a lease B holds")
	}
	// A stale release must not free B's lease.
	if err := a.ReleaseLease(ctx, la); err != nil {
		t.Fatal(err)
	}
	if _, err := b.RenewLease(ctx, lb, ttl); err != nil {
		t.Errorf("B renew after A's stale release: %v", err)
	}
}

func TestRenewAndReleaseLease(t *testing.T) {
	ctx := context.Background()
	clock := newLeaseClock()
	dbs := openReplicasClock(t, 2, clock)
	a, b := dbs[0], dbs[1]
	const ttl = 3 * time.Second

	l, ok, err := a.AcquireLease(ctx, "reports", "A", ttl)
	if err != nil || !ok {
		t.Fatalf("acquire = %v, %v", ok, err)
	}
	// Renewing every ttl/3 keeps it for far longer than one ttl.
	for range 10 {
		clock.advance(ttl / 3)
		if l, err = a.RenewLease(ctx, l, ttl); err != nil {
			t.Fatalf("renew: %v", err)
		}
		if _, ok, _ := b.AcquireLease(ctx, "reports", "B", ttl); ok {
			t.Fatal("B took a lease A keeps renewing")
		}
	}
	held, err := b.Leases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(held), 1; got != want || held[0].Holder != "A" {
		t.Fatalf("Leases = %+v, want one held by A", held)
	}

	// A renewal after expiry fails even when nobody took the lease.
	clock.advance(ttl)
	if _, err := a.RenewLease(ctx, l, ttl); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("renew after expiry: err = %v, want ErrLeaseLost", err)
	}
	l, ok, err = a.AcquireLease(ctx, "reports", "A", ttl)
	if err != nil || !ok {
		t.Fatalf("re-acquire expired = %v, %v", ok, err)
	}

	// A release frees it at once, and the epoch still counts up.
	if err := a.ReleaseLease(ctx, l); err != nil {
		t.Fatal(err)
	}
	if held, _ := b.Leases(ctx); len(held) != 0 {
		t.Errorf("Leases after release = %+v, want none", held)
	}
	lb, ok, err := b.AcquireLease(ctx, "reports", "B", ttl)
	if err != nil || !ok {
		t.Fatalf("B acquire after release = %v, %v", ok, err)
	}
	if got, want := lb.Epoch, l.Epoch+1; got != want {
		t.Errorf("epoch = %d, want %d", got, want)
	}
	if lb.TakenOver {
		t.Error("acquiring a released lease counted as a takeover")
	}
}

func TestAcquireLeaseRefusesBadInput(t *testing.T) {
	db := openReplicasClock(t, 1, newLeaseClock())[0]
	tests := []struct {
		name, lease, holder string
		ttl                 time.Duration
	}{
		{"no name", "", "A", time.Second},
		{"no holder", "x", "", time.Second},
		{"zero ttl", "x", "A", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := db.AcquireLease(context.Background(), tt.lease, tt.holder, tt.ttl); err == nil {
				t.Error("err = nil, want an error")
			}
		})
	}
}
