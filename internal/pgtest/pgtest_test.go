package pgtest

import (
	"context"
	"database/sql"
	"testing"
)

func TestWithDatabase(t *testing.T) {
	tests := []struct{ base, name, want string }{
		{"postgres://u@h:1/postgres?sslmode=disable", "x", "postgres://u@h:1/x?sslmode=disable"},
		{"postgres://u:p@h:1", "x", "postgres://u:p@h:1/x"},
		{"postgresql://h/db", "x", "postgresql://h/x"},
	}
	for _, tt := range tests {
		if got := withDatabase(tt.base, tt.name); got != tt.want {
			t.Errorf("withDatabase(%q, %q) = %q, want %q", tt.base, tt.name, got, tt.want)
		}
	}
}

// TestCluster starts (or finds) a cluster and proves a new database is
// usable and separate.
func TestCluster(t *testing.T) {
	c, skip, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	if skip != "" {
		t.Skip(skip)
	}
	t.Cleanup(func() { c.Stop() }) // after the databases are dropped
	a, b := c.NewDatabase(t), c.NewDatabase(t)
	if a == b {
		t.Fatalf("two databases share the URL %s", a)
	}
	db, err := sql.Open("pgx", a)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got string
	if err := db.QueryRowContext(context.Background(), "SELECT current_database()").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := a[len(a)-len(got)-len("?sslmode=disable"):][:len(got)]; got != want {
		t.Errorf("current_database() = %q, want %q", got, want)
	}
}
