package storage

import (
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in       string
		postgres bool
		shown    string // String(), or a part of the error
		wantErr  bool
	}{
		{"./toban.db", false, "./toban.db", false},
		{"/data/toban.db", false, "/data/toban.db", false},
		{"postgres://toban:s3cret@db.internal:5432/toban?sslmode=require", true, "postgres://toban:xxxxx@db.internal:5432/toban?sslmode=require", false},
		{"postgresql://db/toban", true, "postgresql://db/toban", false},
		{"", false, "must name a SQLite file or a postgres:// URL", true},
		{"mysql://u:s3cret@h/db", false, `unsupported database URL scheme "mysql"`, true},
		{"file:///data/toban.db", false, "give the SQLite file's path", true},
		{"postgres://u:s3cret@h:port/db", false, "not a valid", true},
		{"postgres://u:s3cret@h/db?sslmode=sometimes", false, "not a valid PostgreSQL URL", true},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in)
		if tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), tt.shown) {
				t.Errorf("ParseTarget(%q) error = %v, want one containing %q", tt.in, err, tt.shown)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("ParseTarget(%q) error %q shows the password", tt.in, err)
			}
			continue
		}
		if err != nil || got.Postgres != tt.postgres || got.String() != tt.shown {
			t.Errorf("ParseTarget(%q) = %v (postgres %v), %v; want %q (postgres %v)", tt.in, got, got.Postgres, err, tt.shown, tt.postgres)
		}
	}
}
