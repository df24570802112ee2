package storage

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
)

func TestRunbookRuns(t *testing.T) {
	ctx := context.Background()
	db, _, clock := openClock(t)
	start := func(incident, action string) (int64, error) {
		now := clock.Now()
		return db.StartRunbookRun(ctx, domain.RunbookRun{IncidentID: incident, Action: action, RunBy: "U1", ChannelID: "C1", ThreadTS: "1.2",
			StartedAt: now, Deadline: now.Add(time.Minute)})
	}
	id, err := start("P1", "API health")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OneRunningPerIncidentAndAction", func(t *testing.T) {
		if _, err := start("P1", "API health"); !errors.Is(err, domain.ErrRunInProgress) {
			t.Errorf("second start: err = %v, want ErrRunInProgress", err)
		}
		if _, err := start("P2", "API health"); err != nil {
			t.Errorf("same action on another incident: %v", err)
		}
		if _, err := start("P1", "Restart API"); err != nil {
			t.Errorf("another action on the same incident: %v", err)
		}
	})
	t.Run("Finish", func(t *testing.T) {
		ok, err := db.FinishRunbookRun(ctx, id, "failed", "HTTP 503, expected 200", "down\x00\xff", false)
		if err != nil || !ok {
			t.Fatalf("finish: %v, %v", ok, err)
		}
		runs, err := db.RunbookRuns(ctx, "P1")
		if err != nil {
			t.Fatal(err)
		}
		got := runs[0]
		if got.Status != "failed" || got.Summary != "HTTP 503, expected 200" || got.Output != "down\uFFFD" || got.RunBy != "U1" || got.ThreadTS != "1.2" || got.FinishedAt.IsZero() {
			t.Errorf("run = %+v", got)
		}
		if _, err := start("P1", "API health"); err != nil {
			t.Errorf("start after the first finished: %v", err)
		}
		if _, err := db.FinishRunbookRun(ctx, id, "running", "", "", false); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("finish as running: err = %v, want ErrInvalid", err)
		}
	})
	t.Run("InterruptStale", func(t *testing.T) {
		clock.Advance(30 * time.Second)
		if runs, err := db.InterruptStaleRunbookRuns(ctx, 5*time.Second); err != nil || len(runs) != 0 {
			t.Fatalf("within deadline: %v, %v; want none interrupted", runs, err)
		}
		clock.Advance(time.Minute)
		runs, err := db.InterruptStaleRunbookRuns(ctx, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 3 {
			t.Fatalf("interrupted %d runs, want the 3 still running", len(runs))
		}
		for _, r := range runs {
			if r.Status != "interrupted" {
				t.Errorf("run %d status %q", r.ID, r.Status)
			}
		}
		if again, _ := db.InterruptStaleRunbookRuns(ctx, 5*time.Second); len(again) != 0 {
			t.Errorf("interrupted again: %v", again)
		}
		if ok, err := db.FinishRunbookRun(ctx, runs[0].ID, "ok", "late", "", false); err != nil || ok {
			t.Errorf("finishing an interrupted run: %v, %v; want it left interrupted", ok, err)
		}
	})
	t.Run("LastPerAction", func(t *testing.T) {
		last, err := db.LastRunbookRuns(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(last) != 2 || last["API health"].Status != "interrupted" || last["Restart API"].IncidentID != "P1" {
			t.Errorf("last = %+v", last)
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		if _, err := db.StartRunbookRun(ctx, domain.RunbookRun{Action: "x", StartedAt: clock.Now(), Deadline: clock.Now()}); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})
}

// TestRunbookRunRace starts the same action for one incident from many
// goroutines at once: exactly one wins.
func TestRunbookRunRace(t *testing.T) {
	ctx := context.Background()
	db, _, clock := openClock(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, busy := 0, 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			now := clock.Now()
			_, err := db.StartRunbookRun(ctx, domain.RunbookRun{IncidentID: "P1", Action: "Restart", StartedAt: now, Deadline: now.Add(time.Minute)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, domain.ErrRunInProgress):
				busy++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || busy != 19 {
		t.Errorf("wins %d, busy %d; want 1 and 19", wins, busy)
	}
}
