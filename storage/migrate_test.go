package storage

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"
	"github.com/tobanbot/toban/domain"
)

// provider opens path with the production DSN and returns a goose provider
// over the embedded migrations, to put the file at an older version.
func provider(t *testing.T, path string) (*goose.Provider, *sql.DB) {
	t.Helper()
	sqlDB, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, sqlDB, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	return p, sqlDB
}

func TestMigration00002(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	t.Run("OnExisting00001Database", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "toban.db")
		p, sqlDB := provider(t, path)
		if _, err := p.UpTo(ctx, 1); err != nil {
			t.Fatalf("migrate to 1: %v", err)
		}
		if _, err := sqlDB.ExecContext(ctx, `INSERT INTO processed_events (event_id, received_at) VALUES ('EvOld', 1)`); err != nil {
			t.Fatal(err)
		}
		sqlDB.Close()

		for i := range 2 { // upgrade, then a plain reopen
			db, err := Open(ctx, path)
			if err != nil {
				t.Fatalf("Open #%d: %v", i+1, err)
			}
			if v, err := db.SchemaVersion(ctx); err != nil || v != newestMigration(t) {
				t.Errorf("Open #%d: schema version = %d, %v; want %d", i+1, v, err, newestMigration(t))
			}
			if first, err := db.FirstDelivery(ctx, "EvOld"); err != nil || first {
				t.Errorf("Open #%d: event from before the upgrade = %v, %v; want remembered", i+1, first, err)
			}
			if i == 0 {
				mustSaveCard(t, db, domain.Card{IncidentID: "P1", ChannelID: "C1", TS: "1.1"})
			} else if _, err := db.CardIn(ctx, "P1", "C1"); err != nil {
				t.Errorf("card saved before reopen: %v", err)
			}
			db.Close()
		}
	})
	t.Run("DownAndUpAgain", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "toban.db")
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		p, sqlDB := provider(t, path)
		defer sqlDB.Close()
		if _, err := p.DownTo(ctx, 1); err != nil {
			t.Fatalf("down to 1: %v", err)
		}
		var tables int
		sqlDB.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name IN ('incident_cards', 'incident_activity', 'user_links', 'processed_clicks')`).Scan(&tables)
		if tables != 0 {
			t.Errorf("tables left after down = %d, want 0", tables)
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
	})
}

// newestMigration is the version of the newest embedded migration.
func newestMigration(t *testing.T) int64 {
	t.Helper()
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var newest int64
	for _, e := range entries {
		var v int64
		if _, err := fmt.Sscanf(e.Name(), "%05d_", &v); err == nil && v > newest {
			newest = v
		}
	}
	return newest
}
