package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tobanbot/toban/internal/pgtest"
)

// backend is the engine the contract suite is running on: every test runs
// once on SQLite, then again on PostgreSQL when one is available.
var (
	backend = "sqlite"
	cluster *pgtest.Cluster
)

// envBackend limits a run to one engine while iterating, e.g.
// TOBAN_TEST_BACKEND=postgres go test -run TestClaim ./storage.
const envBackend = "TOBAN_TEST_BACKEND"

func TestMain(m *testing.M) {
	only := os.Getenv(envBackend)
	code := 0
	if only == "" || only == "sqlite" {
		code = m.Run()
	}
	if only != "" && only != "postgres" {
		os.Exit(code)
	}
	c, skip, err := pgtest.Start()
	switch {
	case err != nil:
		fmt.Fprintln(os.Stderr, "storage:", err)
		os.Exit(1)
	case skip != "":
		fmt.Println("storage:", skip)
		os.Exit(code)
	}
	fmt.Println("=== storage contract suite on PostgreSQL")
	backend, cluster = "postgres", c
	if pgCode := m.Run(); code == 0 {
		code = pgCode
	}
	if err := c.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "storage:", err)
	}
	os.Exit(code)
}

// tempTarget returns a new, empty database on the suite's engine: a SQLite
// file in the test's folder or a PostgreSQL database dropped afterwards.
func tempTarget(t testing.TB) string {
	t.Helper()
	if backend == "postgres" {
		return cluster.NewDatabase(t)
	}
	return filepath.Join(t.TempDir(), "toban.db")
}

// sqliteOnly skips a test of SQLite's own behaviour (its file, pragmas,
// write lock, query planner) on the PostgreSQL run.
func sqliteOnly(t testing.TB) {
	t.Helper()
	if backend != "sqlite" {
		t.Skip("tests SQLite itself")
	}
}
