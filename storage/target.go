package storage

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Target is a parsed TOBAN_DB value: a SQLite path or a PostgreSQL URL.
type Target struct {
	// Postgres is set for a postgres:// or postgresql:// URL.
	Postgres bool
	// Path is the SQLite file; empty for PostgreSQL.
	Path string
	url  *url.URL
}

// ParseTarget checks a TOBAN_DB value without connecting. Its errors never
// contain the URL's password: the value is a secret when it holds one.
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Target{}, errors.New("must name a SQLite file or a postgres:// URL")
	}
	scheme, _, hasScheme := strings.Cut(s, "://")
	if !hasScheme {
		return Target{Path: s}, nil
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
	case "file", "sqlite":
		return Target{}, fmt.Errorf("%s:// URLs are not read: give the SQLite file's path", strings.ToLower(scheme))
	default:
		return Target{}, fmt.Errorf("unsupported database URL scheme %q: use a SQLite file path or a postgres:// URL", scheme)
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Error quotes the whole input, password included.
		return Target{}, fmt.Errorf("%s://…: not a valid URL", scheme)
	}
	t := Target{Postgres: true, url: u}
	if _, err := pgconn.ParseConfig(s); err != nil {
		// pgconn redacts the password in its own errors.
		return Target{}, fmt.Errorf("%s: not a valid PostgreSQL URL: %w", t, err)
	}
	return t, nil
}

// String names the target for people: the path, or the URL with its
// password replaced by xxxxx.
func (t Target) String() string {
	if t.Postgres {
		return t.url.Redacted()
	}
	return t.Path
}
