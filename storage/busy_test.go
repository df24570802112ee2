package storage

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/scheduler"
)

// holdWriteLock has another connection (as another process would: a
// backup, an admin's sqlite3 shell, a second toban) take SQLite's write
// lock with BEGIN IMMEDIATE and returns the function that commits it.
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	ctx := context.Background()
	other, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatalf("take the write lock: %v", err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO heartbeat (id, at) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET at = 1`); err != nil {
		t.Fatalf("write under the lock: %v", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
				t.Errorf("commit the other writer: %v", err)
			}
			conn.Close()
		})
	}
}

// While another connection holds the write lock for a second, every write
// toban makes waits (busy_timeout) and then succeeds, in order after the
// lock is released; reads go on meanwhile (WAL).
func TestWritesWaitForAnotherWriter(t *testing.T) {
	sqliteOnly(t)
	db, path, clock := openClock(t)
	ctx := context.Background()
	task, err := db.SaveTask(ctx, domain.Task{Title: "Check backups", ChannelID: "C1",
		Rule: scheduler.Rule{Kind: scheduler.KindDaily, At: "09:00"}})
	if err != nil {
		t.Fatal(err)
	}
	mustSaveCard(t, db, domain.Card{IncidentID: "P1", ChannelID: "C1", TS: "1700000000.000100"})
	event := domain.IncidentEvent{ID: "E1", Type: domain.EventTriggered, IncidentID: "P2", OccurredAt: clock.Now(), Source: "webhook"}

	writes := []struct {
		name string
		do   func() error
	}{
		{"FirstDelivery", func() error { _, err := db.FirstDelivery(ctx, "Ev1"); return err }},
		{"FirstClick", func() error { _, err := db.FirstClick(ctx, "click:U1:1.2:ack:P1"); return err }},
		{"AcceptEvents", func() error { _, err := db.AcceptEvents(ctx, "W1", []domain.IncidentEvent{event}); return err }},
		{"SaveCard", func() error {
			return db.SaveCard(ctx, domain.Card{IncidentID: "P2", ChannelID: "C1", TS: "1700000000.000200"})
		}},
		{"MarkCardDirty", func() error { return db.MarkCardDirty(ctx, "P1") }},
		{"RecordActivity", func() error {
			return db.RecordActivity(ctx, domain.Activity{IncidentID: "P1", Kind: domain.ActivityAcknowledged, SlackUserID: "U1", PDUserID: "PU1"})
		}},
		{"ClaimOccurrence", func() error {
			_, _, err := db.ClaimOccurrence(ctx, task.ID, clock.Now(), false, "C1", time.Time{})
			return err
		}},
		{"SaveTask", func() error {
			_, err := db.SaveTask(ctx, domain.Task{Title: "Rotate logs", ChannelID: "C1",
				Rule: scheduler.Rule{Kind: scheduler.KindDaily, At: "10:00"}})
			return err
		}},
		{"SetCursor", func() error { return db.SetCursor(ctx, "pagerduty.log_entries", "2026-11-21T10:00:00Z") }},
		{"CheckWritable", func() error { return db.CheckWritable(ctx) }},
	}

	release := holdWriteLock(t, path)
	defer release()
	var released atomic.Bool
	errs := make([]error, len(writes))
	early := make([]bool, len(writes))
	var wg sync.WaitGroup
	for i, w := range writes {
		wg.Go(func() {
			errs[i] = w.do()
			early[i] = !released.Load()
		})
	}

	t.Run("ReadsDoNotWait", func(t *testing.T) {
		// These return while the lock is still held (it is released only
		// after them), or not at all.
		if cards, err := db.CardsForIncident(ctx, "P1"); err != nil || len(cards) != 1 {
			t.Errorf("CardsForIncident = %d cards, %v", len(cards), err)
		}
		if _, err := db.AllTasks(ctx); err != nil {
			t.Errorf("AllTasks: %v", err)
		}
		if _, err := db.PendingEvents(ctx, 10); err != nil {
			t.Errorf("PendingEvents: %v", err)
		}
	})

	time.Sleep(time.Second) // the other writer's transaction
	released.Store(true)
	release()
	wg.Wait()

	for i, w := range writes {
		if errs[i] != nil {
			t.Errorf("%s: %v, want it to wait and succeed", w.name, errs[i])
		}
		if early[i] {
			t.Errorf("%s returned while another connection held the write lock", w.name)
		}
	}
	t.Run("WritesLanded", func(t *testing.T) {
		if first, err := db.FirstDelivery(ctx, "Ev1"); err != nil || first {
			t.Errorf("FirstDelivery(Ev1) again = %v, %v; want false (recorded under contention)", first, err)
		}
		if n, err := db.AcceptEvents(ctx, "W1", []domain.IncidentEvent{event}); err != nil || n != 0 {
			t.Errorf("AcceptEvents again = %d, %v; want 0 (stored under contention)", n, err)
		}
		if c, err := db.CardIn(ctx, "P1", "C1"); err != nil || !c.Dirty() {
			t.Errorf("card P1 = %+v, %v; want it dirty", c, err)
		}
		if tasks, err := db.AllTasks(ctx); err != nil || len(tasks) != 2 {
			t.Errorf("tasks = %d, %v; want 2", len(tasks), err)
		}
	})
}
