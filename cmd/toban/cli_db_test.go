package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tobanbot/toban/storage"
)

func TestDBCopyCLI(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db")
	db, err := storage.Open(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FirstDelivery(context.Background(), "Ev1"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantOut    string // in stdout, or stderr when the code is not 0
		notInOut   string
		wantOneErr bool
	}{
		{"NoSubcommand", []string{"db"}, 2, "usage:", "", false},
		{"MissingTo", []string{"db", "copy", "--from", src}, 2, "usage:", "", false},
		{"BadScheme", []string{"db", "copy", "--from", src, "--to", "mysql://u:s3cret@h/db"}, 2, `--to: unsupported database URL scheme "mysql"`, "s3cret", true},
		{"BadPostgresURL", []string{"db", "copy", "--from", src, "--to", "postgres://u:s3cret@h:port/db"}, 2, "--to:", "s3cret", true},
		{"Copies", []string{"db", "copy", "--from", src, "--to", dst}, 0, "processed_events                1 rows", "", false},
		{"TargetNotEmpty", []string{"db", "copy", "--from", src, "--to", dst}, 1, "target database is not empty: processed_events (1 rows); pass --force", "", true},
		{"Force", []string{"db", "copy", "--from", src, "--to", dst, "--force"}, 0, "counts match", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, func(string) string { return "" }, &stdout, &stderr)
			out := stdout.String()
			if code != 0 {
				out = stderr.String()
			}
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) {
				t.Errorf("code %d, output %q; want %d and %q", code, out, tt.wantCode, tt.wantOut)
			}
			if tt.notInOut != "" && strings.Contains(stdout.String()+stderr.String(), tt.notInOut) {
				t.Errorf("output %q shows the password", out)
			}
			if got := strings.Count(strings.TrimSpace(stderr.String()), "\n"); tt.wantOneErr && got != 0 {
				t.Errorf("error takes %d lines, want one: %q", got+1, stderr.String())
			}
		})
	}
}
