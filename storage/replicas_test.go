package storage

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/internal/pgtest"
)

// openReplicas opens n handles on one new database, as n replicas would.
func openReplicas(t *testing.T, n int) []*DB {
	t.Helper()
	target := tempTarget(t)
	clock := func() time.Time { return time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC) }
	dbs := make([]*DB, n)
	for i := range dbs {
		db, err := Open(context.Background(), target, WithClock(clock))
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs
}

// TestClaimsAcrossReplicas races two handles on one database (two
// goroutines each) for the same thing, many times over: every claim that
// replicas rely on to act once must have exactly one winner.
func TestClaimsAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	due := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		setup func(t *testing.T, db *DB, key string)
		claim func(db *DB, key string) (bool, error)
	}{
		{"FirstDelivery", nil, func(db *DB, key string) (bool, error) { return db.FirstDelivery(ctx, key) }},
		{"FirstClick", nil, func(db *DB, key string) (bool, error) { return db.FirstClick(ctx, key) }},
		{"AcceptEvents", nil, func(db *DB, key string) (bool, error) {
			n, err := db.AcceptEvents(ctx, "W-"+key, []domain.IncidentEvent{{ID: key, Type: "incident.triggered", IncidentID: "P" + key, OccurredAt: due}})
			return n == 1, err
		}},
		{"ClaimOccurrence", nil, func(db *DB, key string) (bool, error) {
			_, claimed, err := db.ClaimOccurrence(ctx, key, due, false, "C1", time.Time{})
			return claimed, err
		}},
		{"ClaimReportRun", nil, func(db *DB, key string) (bool, error) {
			_, claimed, err := db.ClaimReportRun(ctx, key, due, "C1")
			return claimed, err
		}},
		{"ClaimAnnouncement", nil, func(db *DB, key string) (bool, error) { return db.ClaimAnnouncement(ctx, key) }},
		{"ClaimFeedCard", nil, func(db *DB, key string) (bool, error) {
			earlier, err := db.ClaimFeedCard(ctx, key, "C1")
			return earlier.IsZero(), err
		}},
		{"StartOccurrence",
			func(t *testing.T, db *DB, key string) {
				if _, _, err := db.ClaimOccurrence(ctx, key, due, false, "C1", time.Time{}); err != nil {
					t.Fatal(err)
				}
			},
			func(db *DB, key string) (bool, error) {
				_, changed, err := db.StartOccurrence(ctx, domain.OccurrenceID(key, due), "U1", time.Time{})
				return changed, err
			}},
		{"EndMaintenanceCard",
			func(t *testing.T, db *DB, key string) {
				if err := db.SaveMaintenanceCard(ctx, domain.MaintenanceCard{WindowID: key, ChannelID: "C1", TS: "1.1", Start: due, End: due.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			},
			func(db *DB, key string) (bool, error) {
				return db.EndMaintenanceCard(ctx, key, domain.MaintenanceEnded, "U1", due.Add(time.Minute))
			}},
	}
	const rounds, perReplica = 20, 2
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbs := openReplicas(t, 2)
			for r := range rounds {
				key := fmt.Sprintf("k%d", r)
				if tt.setup != nil {
					tt.setup(t, dbs[0], key)
				}
				var mu sync.Mutex
				var wg sync.WaitGroup
				wins := 0
				start := make(chan struct{})
				for _, db := range dbs {
					for range perReplica {
						wg.Go(func() {
							<-start
							won, err := tt.claim(db, key)
							if err != nil {
								t.Errorf("round %d: %v", r, err)
							}
							if won {
								mu.Lock()
								wins++
								mu.Unlock()
							}
						})
					}
				}
				close(start)
				wg.Wait()
				if got, want := wins, 1; got != want {
					t.Errorf("round %d: winners = %d, want %d", r, got, want)
				}
			}
		})
	}
}

// TestAddToDigestAcrossReplicas: incidents of one storm arriving on two
// replicas at once land in one digest, not one per replica.
func TestAddToDigestAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	dbs := openReplicas(t, 2)
	var wg sync.WaitGroup
	ids := make([]int64, 8)
	for i := range ids {
		wg.Go(func() {
			id, err := dbs[i%2].AddToDigest(ctx, "C1", "S1", "API", time.Hour,
				domain.DigestMember{IncidentID: fmt.Sprintf("P%d", i), Number: i, Title: "t", Status: domain.StatusTriggered})
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		})
	}
	wg.Wait()
	for i, id := range ids {
		if id != ids[0] {
			t.Errorf("incident %d went to digest %d, incident 0 to %d; want one digest", i, id, ids[0])
		}
	}
	d, err := dbs[0].Digest(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(d.Members), len(ids); got != want {
		t.Errorf("digest members = %d, want %d", got, want)
	}
}

// TestConcurrentFirstOpen starts replicas on one new database at the same
// moment, as goroutines with their own handles and as separate processes:
// all of them must open it, none with "table … already exists".
func TestConcurrentFirstOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("Goroutines", func(t *testing.T) {
		target := tempTarget(t)
		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				db, err := Open(ctx, target)
				if err == nil {
					err = db.CheckWritable(ctx)
					db.Close()
				}
				errs[i] = err
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("replica %d: %v", i, err)
			}
		}
	})
	t.Run("Processes", func(t *testing.T) {
		target := tempTarget(t)
		const n = 3
		cmds := make([]*exec.Cmd, n)
		for i := range cmds {
			cmds[i] = exec.Command(os.Args[0], "-test.run=^TestOpenInChildProcess$")
			cmds[i].Env = append(os.Environ(), "TOBAN_TEST_CHILD_OPEN="+target, pgtest.EnvBackend+"=sqlite")
		}
		for _, c := range cmds {
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
		}
		for i, c := range cmds {
			if err := c.Wait(); err != nil {
				t.Errorf("process %d: %v", i, err)
			}
		}
		db, err := Open(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if v, err := db.SchemaVersion(ctx); err != nil || v != newestMigration(t) {
			t.Errorf("schema version = %d, %v; want %d", v, err, newestMigration(t))
		}
	})
}

// TestOpenInChildProcess is TestConcurrentFirstOpen's replica process.
func TestOpenInChildProcess(t *testing.T) {
	target := os.Getenv("TOBAN_TEST_CHILD_OPEN")
	if target == "" {
		t.Skip("run by TestConcurrentFirstOpen")
	}
	db, err := Open(context.Background(), target)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(3)
	}
	db.Close()
}
