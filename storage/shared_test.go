package storage

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
)

// TestClaimEventsAcrossReplicas: four workers on two handles (two
// replicas) drain one inbox by claims; every event is handed out exactly
// once, and each incident's events are processed in arrival order.
func TestClaimEventsAcrossReplicas(t *testing.T) {
	dbs := openReplicas(t, 2)
	ctx := context.Background()
	const incidents, each = 20, 10
	var evs []string
	for i := range each {
		for inc := range incidents {
			e := ev(fmt.Sprintf("E%02d-%02d", inc, i), fmt.Sprintf("P%02d", inc), i)
			if _, err := dbs[i%2].AcceptEvents(ctx, "W", []domain.IncidentEvent{e}); err != nil {
				t.Fatal(err)
			}
			evs = append(evs, e.ID)
		}
	}
	var mu sync.Mutex
	handed := map[string]int{}
	order := map[string][]string{}
	var wg sync.WaitGroup
	for w := range 4 {
		db := dbs[w%2]
		holder := fmt.Sprintf("replica-%d", w)
		wg.Go(func() {
			for idle := 0; idle < 3; {
				got, err := db.ClaimEvents(ctx, holder, 7, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got.Events) == 0 {
					idle++
					time.Sleep(5 * time.Millisecond)
					continue
				}
				idle = 0
				for _, e := range got.Events {
					mu.Lock()
					handed[e.Event.ID]++
					order[e.Event.IncidentID] = append(order[e.Event.IncidentID], e.Event.ID)
					mu.Unlock()
					if err := db.MarkEventsDone(ctx, e.Seq); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	for _, id := range evs {
		if handed[id] != 1 {
			t.Errorf("event %s handed out %d times, want 1", id, handed[id])
		}
	}
	for inc, ids := range order {
		for i := 1; i < len(ids); i++ {
			if ids[i] < ids[i-1] {
				t.Errorf("incident %s processed out of order: %v", inc, ids)
				break
			}
		}
	}
}

// TestClaimEventsLapsedClaimsRetaken: a holder that never finishes (it
// died) blocks its events for the lease only; then another takes them,
// counted as retaken, and renewing keeps a live holder's claims.
func TestClaimEventsLapsedClaimsRetaken(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	db, err := Open(context.Background(), tempTarget(t), WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	mustAccept(t, db, ev("A", "P1", 1), ev("B", "P1", 2), ev("C", "P2", 3))
	dead, err := db.ClaimEvents(ctx, "dead", 0, 10*time.Second)
	if err != nil || len(dead.Events) != 3 || dead.Retaken != 0 {
		t.Fatalf("first claim: %+v, %v; want 3 events, none retaken", dead, err)
	}
	if got, _ := db.ClaimEvents(ctx, "live", 0, 10*time.Second); len(got.Events) != 0 {
		t.Fatalf("claimed %d events under another's live claim", len(got.Events))
	}
	advance(9 * time.Second)
	if n, err := db.RenewEventClaims(ctx, "dead", 10*time.Second); err != nil || n != 3 {
		t.Fatalf("renew: %d, %v; want 3", n, err)
	}
	advance(9 * time.Second)
	if got, _ := db.ClaimEvents(ctx, "live", 0, 10*time.Second); len(got.Events) != 0 {
		t.Fatalf("claimed %d events under a renewed claim", len(got.Events))
	}
	advance(2 * time.Second)
	got, err := db.ClaimEvents(ctx, "live", 0, 10*time.Second)
	if err != nil || len(got.Events) != 3 || got.Retaken != 3 {
		t.Fatalf("after the lease: %d events, %d retaken, %v; want 3 and 3", len(got.Events), got.Retaken, err)
	}
	if depth, err := db.InboxDepth(ctx); err != nil || depth != 3 {
		t.Errorf("inbox depth %d, %v; want 3", depth, err)
	}
	// A failure releases the incident's claims: after its retry time
	// anyone takes the failed event and the one behind it, in order.
	if err := db.MarkEventFailed(ctx, got.Events[0].Seq, clock().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkEventsDone(ctx, got.Events[2].Seq); err != nil {
		t.Fatal(err)
	}
	advance(time.Second)
	again, err := db.ClaimEvents(ctx, "third", 0, 10*time.Second)
	if err != nil || len(again.Events) != 2 || again.Events[0].Event.ID != "A" || again.Events[1].Event.ID != "B" {
		t.Fatalf("after a failure: %+v, %v; want A then B", again.Events, err)
	}
}

// TestReservePaceSharedByReplicas: writers on two handles share one
// channel's budget: a burst, then one per interval, and a Retry-After
// recorded on one replica holds back the other.
func TestReservePaceSharedByReplicas(t *testing.T) {
	dbs := openReplicas(t, 2)
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	var got []time.Duration
	for i := range 5 {
		at, err := dbs[i%2].ReservePace(ctx, "C1", time.Second, 3, now)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, at.Sub(now))
	}
	want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("slots %v, want %v", got, want)
	}
	if err := dbs[0].PausePace(ctx, "C2", now.Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	at, err := dbs[1].ReservePace(ctx, "C2", time.Second, 3, now)
	if err != nil || at.Before(now.Add(5*time.Second)) {
		t.Errorf("slot after a 5 s pause at +%v (%v), want ≥ 5 s", at.Sub(now), err)
	}
	later := now.Add(time.Minute) // an idle channel gets its burst back
	if at, _ := dbs[0].ReservePace(ctx, "C1", time.Second, 3, later); !at.Equal(later) {
		t.Errorf("slot after a minute idle at +%v, want now", at.Sub(later))
	}
}

// TestReserveCardSlotAcrossReplicas: of many incidents racing on two
// replicas, exactly threshold get cards of their own in a window.
func TestReserveCardSlotAcrossReplicas(t *testing.T) {
	dbs := openReplicas(t, 2)
	ctx := context.Background()
	since := time.Date(2026, 11, 21, 9, 55, 0, 0, time.UTC)
	var granted atomic.Int32
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := range 20 {
				ok, err := dbs[w%2].ReserveCardSlot(ctx, "C1", fmt.Sprintf("P%d-%d", w, i), since, 5)
				if err != nil {
					t.Error(err)
				}
				if ok {
					granted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := granted.Load(); n != 5 {
		t.Errorf("%d incidents got cards, want the threshold, 5", n)
	}
	if ok, err := dbs[0].ReserveCardSlot(ctx, "C2", "P0-0", since, 5); err != nil || !ok {
		t.Errorf("another channel: %v, %v; want its own count", ok, err)
	}
}

// TestOccurrenceClaimsHeldAndRetaken: of two replicas firing one
// occurrence, the second leaves it to the first while the first's claim
// lives (renewed), and retakes it once the claim has lapsed unposted.
func TestOccurrenceClaimsHeldAndRetaken(t *testing.T) {
	target := tempTarget(t)
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	open := func(holder string) *DB {
		db, err := Open(context.Background(), target, WithClock(clock), WithHolder(holder))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open("a"), open("b")
	ctx := context.Background()
	due := now.Truncate(time.Minute)
	if _, claimed, err := a.ClaimOccurrence(ctx, "T1", due, false, "C1", time.Time{}); err != nil || !claimed {
		t.Fatalf("first claim: %v, %v", claimed, err)
	}
	o, claimed, err := b.ClaimOccurrence(ctx, "T1", due, false, "C1", time.Time{})
	if err != nil || claimed || !o.HeldElsewhere {
		t.Fatalf("second replica: claimed %v, held elsewhere %v, %v; want it left to the first", claimed, o.HeldElsewhere, err)
	}
	advance(ClaimLease - time.Second)
	if n, err := a.RenewOccurrenceClaims(ctx); err != nil || n != 1 {
		t.Fatalf("renew: %d, %v", n, err)
	}
	advance(ClaimLease - time.Second)
	if got, err := b.RetakeUnposted(ctx); err != nil || len(got) != 0 {
		t.Fatalf("retook %d under a renewed claim (%v)", len(got), err)
	}
	advance(2 * time.Second) // a died: no renewal
	got, err := b.RetakeUnposted(ctx)
	if err != nil || len(got) != 1 || got[0].TaskID != "T1" {
		t.Fatalf("after the lease: %+v, %v; want T1 retaken", got, err)
	}
	if o, claimed, _ := a.ClaimOccurrence(ctx, "T1", due, false, "C1", time.Time{}); claimed || !o.HeldElsewhere {
		t.Errorf("a's late firing: claimed %v, held elsewhere %v; want it left to b", claimed, o.HeldElsewhere)
	}
	if _, err := b.SetOccurrencePosted(ctx, domain.OccurrenceID("T1", due), "1.1"); err != nil {
		t.Fatal(err)
	}
	if o, _, _ := a.ClaimOccurrence(ctx, "T1", due, false, "C1", time.Time{}); o.HeldElsewhere || o.TS != "1.1" {
		t.Errorf("posted occurrence: held elsewhere %v, ts %q", o.HeldElsewhere, o.TS)
	}
}
