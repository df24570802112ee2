// Package pgtest gives tests real PostgreSQL databases: on the cluster named
// by TOBAN_TEST_POSTGRES_URL, or else on a private cluster it starts from
// Debian's server binaries in a temporary folder, listening on a free
// loopback port. Each test gets a database of its own, dropped afterwards.
//
// Use it from TestMain:
//
//	cluster, skip, err := pgtest.Start()
//	...
//	defer cluster.Stop()
//
// It owns the test clusters and imports no toban package; only tests
// (storage, leader, cmd/toban) import it.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// EnvURL names an existing cluster to use instead of starting one; its user
// must be allowed to create databases.
const EnvURL = "TOBAN_TEST_POSTGRES_URL"

// binGlob is where Debian's postgresql packages put the server binaries.
const binGlob = "/usr/lib/postgresql/*/bin"

// Cluster is a PostgreSQL server on which tests create databases.
type Cluster struct {
	admin   *sql.DB
	baseURL string // URL of the cluster's default database
	dir     string // set when this process started the cluster
	pgCtl   []string
	n       atomic.Int64
}

// Start finds or starts a cluster. With neither TOBAN_TEST_POSTGRES_URL nor
// the server binaries it returns a nil cluster and a one-line reason to
// skip; a cluster that should start but does not is an error.
func Start() (c *Cluster, skip string, err error) {
	if u := os.Getenv(EnvURL); u != "" {
		c, err := connect(u)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", EnvURL, err)
		}
		return c, "", nil
	}
	bin := serverBin()
	if bin == "" {
		return nil, "PostgreSQL suites skipped: no " + EnvURL + " and no server binaries in " + binGlob + " (apt-get install postgresql)", nil
	}
	c, err = startPrivate(bin)
	if err != nil {
		return nil, "", fmt.Errorf("start a private PostgreSQL from %s: %w", bin, err)
	}
	return c, "", nil
}

// serverBin returns the newest installed version's bin folder, or "".
func serverBin() string {
	dirs, _ := filepath.Glob(binGlob)
	var found []string
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			found = append(found, d)
		}
	}
	if len(found) == 0 {
		return ""
	}
	sort.Slice(found, func(i, j int) bool { return version(found[i]) < version(found[j]) })
	return found[len(found)-1]
}

func version(bin string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return v
}

// startPrivate runs initdb and pg_ctl in a new temporary folder. PostgreSQL
// refuses to run as root, so as root the folder is given to the postgres
// user (or nobody) and the binaries run as that user.
func startPrivate(bin string) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "toban-pg-")
	if err != nil {
		return nil, err
	}
	var asUser []string
	if os.Geteuid() == 0 {
		u, err := unprivileged()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		asUser = []string{"runuser", "-u", u.Username, "--"}
	}
	data := filepath.Join(dir, "data")
	run := func(args ...string) error {
		full := append(append([]string{}, asUser...), args...)
		out, err := exec.Command(full[0], full[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w: %s", filepath.Base(args[0]), err, lastLines(out))
		}
		return nil
	}
	if err := run(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c := &Cluster{dir: dir, pgCtl: append(append([]string{}, asUser...), filepath.Join(bin, "pg_ctl"), "-D", data)}
	var lastErr error
	for range 3 { // a free port can be taken between choosing and listening
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		opts := fmt.Sprintf("-h 127.0.0.1 -p %d -k %s -F -c full_page_writes=off -c synchronous_commit=off -c max_connections=200", port, dir)
		if lastErr = run(append(append([]string{}, c.pgCtl[len(asUser):]...), "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "-o", opts, "start")...); lastErr != nil {
			continue
		}
		c.baseURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
		if c.admin, lastErr = open(c.baseURL); lastErr == nil {
			return c, nil
		}
		c.stopServer()
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

func unprivileged() (*user.User, error) {
	for _, name := range []string{"postgres", "nobody"} {
		if u, err := user.Lookup(name); err == nil {
			return u, nil
		}
	}
	return nil, errors.New("running as root and no postgres or nobody user to run PostgreSQL as")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLines(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}

func connect(u string) (*Cluster, error) {
	db, err := open(u)
	if err != nil {
		return nil, err
	}
	return &Cluster{admin: db, baseURL: u}, nil
}

func open(u string) (*sql.DB, error) {
	db, err := sql.Open("pgx", u)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Stop drops nothing (tests drop their own databases) and stops a cluster
// this process started, deleting its folder.
func (c *Cluster) Stop() error {
	if c == nil {
		return nil
	}
	c.admin.Close()
	if c.dir == "" {
		return nil
	}
	err := c.stopServer()
	os.RemoveAll(c.dir)
	return err
}

func (c *Cluster) stopServer() error {
	out, err := exec.Command(c.pgCtl[0], append(c.pgCtl[1:], "-m", "immediate", "-w", "stop")...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %w: %s", err, lastLines(out))
	}
	return nil
}

// NewDatabase creates an empty database for one test and returns its URL;
// the database is dropped when the test ends, connections and all.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("toban_test_%d_%d", os.Getpid(), c.n.Add(1))
	ctx := context.Background()
	if _, err := c.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := c.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return withDatabase(c.baseURL, name)
}

// CreateDatabase creates an empty database named name for a program that
// is not a test (make bench) and returns its URL; Stop of a private
// cluster removes it with the cluster.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) (string, error) {
	if _, err := c.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return withDatabase(c.baseURL, name), nil
}

// withDatabase replaces the database name in a postgres URL.
func withDatabase(base, name string) string {
	scheme, rest, _ := strings.Cut(base, "://")
	hostEnd := strings.IndexAny(rest, "/?")
	query := ""
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		query = rest[i:]
	}
	if hostEnd < 0 {
		hostEnd = len(rest)
	}
	return scheme + "://" + rest[:hostEnd] + "/" + name + query
}
