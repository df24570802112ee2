package storage

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLockIncidentAcrossHandles: two handles on one database (two
// replicas) never hold one incident's lock at once; other incidents are
// not held up.
func TestLockIncidentAcrossHandles(t *testing.T) {
	ctx := context.Background()
	a, target, _ := openClock(t)
	b, err := Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 {
		db := a
		if i%2 == 1 {
			db = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := db.LockIncident(ctx, "PINC1")
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for cur := most.Load(); n > cur && !most.CompareAndSwap(cur, n); cur = most.Load() {
			}
			time.Sleep(5 * time.Millisecond)
			inside.Add(-1)
			unlock()
			unlock() // a second unlock is harmless
		}()
	}
	wg.Wait()
	if got := most.Load(); got != 1 {
		t.Errorf("%d holders of one incident's lock at once, want 1", got)
	}
	unlock, err := a.LockIncident(ctx, "PINC1")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	other, err := b.LockIncident(ctx, "PINC2")
	if err != nil {
		t.Fatalf("another incident waited on PINC1's lock: %v", err)
	}
	other()
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if a.pg { // SQLite's in-process lock waits without a context
		if _, err := b.LockIncident(short, "PINC1"); err == nil {
			t.Error("a held lock was taken again")
		}
	}
}
