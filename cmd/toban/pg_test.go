package main

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/tobanbot/toban/internal/pgtest"
)

// A PostgreSQL cluster for the tests that run replicas on it, started by
// the first such test (not for every run of this package: most tests need
// none) and stopped by TestMain.
var pg struct {
	once    sync.Once
	cluster *pgtest.Cluster
	skip    string
	err     error
}

// postgresDB returns the URL of a fresh PostgreSQL database, or skips t
// saying why none is available.
func postgresDB(t *testing.T) string {
	t.Helper()
	pg.once.Do(func() { pg.cluster, pg.skip, pg.err = pgtest.Start() })
	switch {
	case pg.err != nil:
		t.Fatal(pg.err)
	case pg.skip != "":
		t.Skip(pg.skip)
	}
	return pg.cluster.NewDatabase(t)
}

func stopPostgres() {
	if pg.cluster != nil {
		if err := pg.cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop PostgreSQL:", err)
		}
	}
}

// onBothBackends runs test on a SQLite file shared by the replicas, then
// on one PostgreSQL database, as TOBAN_DB would name them.
func onBothBackends(t *testing.T, test func(t *testing.T, db func(w *world))) {
	t.Run("sqlite", func(t *testing.T) { test(t, func(*world) {}) })
	t.Run("postgres", func(t *testing.T) {
		url := postgresDB(t)
		test(t, func(w *world) { w.env["TOBAN_DB"] = url })
	})
}
