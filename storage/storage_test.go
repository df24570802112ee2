package storage

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/internal/pgtest"
)

func openTemp(t *testing.T) (*DB, string) {
	t.Helper()
	path := tempTarget(t)
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		db, _ := openTemp(t)
		v, err := db.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v < 1 {
			t.Errorf("schema version = %d, want >= 1", v)
		}
		if err := db.CheckWritable(ctx); err != nil {
			t.Errorf("CheckWritable: %v", err)
		}
		if pgtest.Backend() != "sqlite" {
			return
		}
		var mode string
		if err := db.sql.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" {
			t.Errorf("journal_mode = %q, want wal", mode)
		}
	})
	t.Run("ReopenIsIdempotent", func(t *testing.T) {
		db, path := openTemp(t)
		want, _ := db.SchemaVersion(ctx)
		db.Close()
		db2, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer db2.Close()
		got, _ := db2.SchemaVersion(ctx)
		if got != want {
			t.Errorf("version after reopen = %d, want %d", got, want)
		}
	})
	t.Run("ErrSchemaTooNew", func(t *testing.T) {
		db, path := openTemp(t)
		// A newer binary ran migration 999 on this file.
		if _, err := db.sql.ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, TRUE)`); err != nil {
			t.Fatal(err)
		}
		db.Close()
		_, err := Open(ctx, path)
		if !errors.Is(err, ErrSchemaTooNew) {
			t.Fatalf("Open = %v, want ErrSchemaTooNew", err)
		}
	})
	t.Run("ErrNotADatabase", func(t *testing.T) {
		target := filepath.Join(t.TempDir(), "missing-dir", "toban.db")
		if pgtest.Backend() == "postgres" {
			target = strings.Replace(tempTarget(t), "?", "_missing?", 1)
		}
		_, err := Open(ctx, target)
		if err == nil {
			t.Fatal("Open in a missing directory succeeded")
		}
	})
}

func TestFirstDelivery(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)

	first, err := db.FirstDelivery(ctx, "Ev1")
	if err != nil || !first {
		t.Fatalf("first delivery = %v, %v; want true, nil", first, err)
	}
	again, err := db.FirstDelivery(ctx, "Ev1")
	if err != nil || again {
		t.Fatalf("redelivery = %v, %v; want false, nil", again, err)
	}

	// A restart must not forget: the record is in the file.
	db.Close()
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	afterRestart, err := db2.FirstDelivery(ctx, "Ev1")
	if err != nil || afterRestart {
		t.Fatalf("delivery after restart = %v, %v; want false, nil", afterRestart, err)
	}
}

func TestFirstDeliveryConcurrent(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	const n = 16
	var wg sync.WaitGroup
	wins := make(chan bool, n)
	for range n {
		wg.Go(func() {
			first, err := db.FirstDelivery(ctx, "EvRace")
			if err != nil {
				t.Errorf("FirstDelivery: %v", err)
			}
			wins <- first
		})
	}
	wg.Wait()
	close(wins)
	got := 0
	for w := range wins {
		if w {
			got++
		}
	}
	if got != 1 {
		t.Errorf("first deliveries = %d, want 1", got)
	}
}

func TestForgetDeliveriesBefore(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	path := tempTarget(t)
	db, err := Open(ctx, path, WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.FirstDelivery(ctx, "old")
	now = now.Add(48 * time.Hour)
	db.FirstDelivery(ctx, "new")

	n, err := db.ForgetDeliveriesBefore(ctx, now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("forgotten = %d, want 1", n)
	}
	var left int
	db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM processed_events`).Scan(&left)
	if left != 1 {
		t.Errorf("left = %d, want 1", left)
	}
}
