package pgtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// EnvBackend limits a run to one engine while iterating, e.g.
// TOBAN_TEST_BACKEND=postgres go test -run TestClaim ./storage.
const EnvBackend = "TOBAN_TEST_BACKEND"

// The engine the package's tests are running on, and its cluster: each
// package's tests are one process, so one suite per process.
var suite = struct {
	backend string
	cluster *Cluster
}{backend: "sqlite"}

// Main is TestMain for packages whose tests run on both engines: once on
// SQLite, then again on PostgreSQL when one is available (TOBAN_TEST_POSTGRES_URL
// or server binaries), saying plainly when it is not. what names the suite
// in that message.
func Main(m *testing.M, what string) {
	only := os.Getenv(EnvBackend)
	code := 0
	if only == "" || only == "sqlite" {
		code = m.Run()
	}
	if only != "" && only != "postgres" {
		os.Exit(code)
	}
	c, skip, err := Start()
	switch {
	case err != nil:
		fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
		os.Exit(1)
	case skip != "":
		fmt.Printf("%s: %s\n", what, skip)
		os.Exit(code)
	}
	fmt.Printf("=== %s on PostgreSQL\n", what)
	suite.backend, suite.cluster = "postgres", c
	if pgCode := m.Run(); code == 0 {
		code = pgCode
	}
	if err := c.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
	}
	os.Exit(code)
}

// Backend is "sqlite" or "postgres": the engine the tests run on now.
func Backend() string { return suite.backend }

// Target returns a new, empty database on the suite's engine: a SQLite
// file in the test's folder or a PostgreSQL database dropped afterwards.
func Target(t testing.TB) string {
	t.Helper()
	if suite.backend == "postgres" {
		return suite.cluster.NewDatabase(t)
	}
	return filepath.Join(t.TempDir(), "toban.db")
}
