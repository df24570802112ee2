package storage

import (
	"testing"

	"github.com/tobanbot/toban/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m, "storage contract suite") }

// tempTarget returns a new, empty database on the suite's engine.
func tempTarget(t testing.TB) string {
	t.Helper()
	return pgtest.Target(t)
}

// sqliteOnly skips a test of SQLite's own behaviour (its file, pragmas,
// write lock, query planner) on the PostgreSQL run.
func sqliteOnly(t testing.TB) {
	t.Helper()
	if pgtest.Backend() != "sqlite" {
		t.Skip("tests SQLite itself")
	}
}
