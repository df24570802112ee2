package leader

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tobanbot/toban/internal/pgtest"
	"github.com/tobanbot/toban/storage"
)

// The tests run on real databases with real, short TTLs: once on SQLite,
// then on PostgreSQL when one is available (TOBAN_TEST_BACKEND limits it).
func TestMain(m *testing.M) { pgtest.Main(m, "leader suite") }

const (
	testTTL  = 900 * time.Millisecond
	testPoll = 150 * time.Millisecond
	// slack covers scheduling on a loaded 2-core machine under -race.
	slack = 600 * time.Millisecond
)

// replicas opens n handles on one new database, as n replicas would.
func replicas(t *testing.T, n int) []*storage.DB {
	t.Helper()
	target := pgtest.Target(t)
	dbs := make([]*storage.DB, n)
	for i := range dbs {
		db, err := storage.Open(context.Background(), target)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs
}

// flaky is a Store that can be cut off from the database, as a crashed or
// partitioned replica is: every call fails while down.
type flaky struct {
	Store
	down     atomic.Bool
	loseNext atomic.Bool // the next renewal answers ErrLeaseLost
}

var errDown = errors.New("connection refused")

func (f *flaky) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (storage.Lease, bool, error) {
	if f.down.Load() {
		return storage.Lease{}, false, errDown
	}
	return f.Store.AcquireLease(ctx, name, holder, ttl)
}

func (f *flaky) RenewLease(ctx context.Context, l storage.Lease, ttl time.Duration) (storage.Lease, error) {
	if f.down.Load() {
		return storage.Lease{}, errDown
	}
	if f.loseNext.CompareAndSwap(true, false) {
		return storage.Lease{}, storage.ErrLeaseLost
	}
	return f.Store.RenewLease(ctx, l, ttl)
}

func (f *flaky) ReleaseLease(ctx context.Context, l storage.Lease) error {
	if f.down.Load() {
		return errDown
	}
	return f.Store.ReleaseLease(ctx, l)
}

// singleton is a fn that records how many copies run at once.
type singleton struct {
	running, maxRunning atomic.Int64
	mu                  sync.Mutex
	starts              []string // holder of each start, in order
	started             chan string
}

func newSingleton() *singleton { return &singleton{started: make(chan string, 16)} }

func (s *singleton) fn(holder string) func(context.Context) error {
	return func(ctx context.Context) error {
		n := s.running.Add(1)
		for {
			m := s.maxRunning.Load()
			if n <= m || s.maxRunning.CompareAndSwap(m, n) {
				break
			}
		}
		s.mu.Lock()
		s.starts = append(s.starts, holder)
		s.mu.Unlock()
		s.started <- holder
		<-ctx.Done()
		s.running.Add(-1)
		return ctx.Err()
	}
}

func (s *singleton) waitStart(t *testing.T, within time.Duration) string {
	t.Helper()
	select {
	case h := <-s.started:
		return h
	case <-time.After(within):
		t.Fatalf("no start within %v", within)
		return ""
	}
}

func opts() Options { return Options{TTL: testTTL, Poll: testPoll} }

func TestOneRunnerAtATime(t *testing.T) {
	dbs := replicas(t, 2)
	ctx, cancel := context.WithCancel(t.Context())
	s := newSingleton()
	electors := []*Elector{New(dbs[0], "A", opts()), New(dbs[1], "B", opts())}
	var wg sync.WaitGroup
	for _, e := range electors {
		wg.Go(func() {
			if err := e.Run(ctx, "poller", s.fn(e.Holder())); err != nil {
				t.Errorf("%s: Run = %v", e.Holder(), err)
			}
		})
	}
	first := s.waitStart(t, testPoll+slack)
	// Several renewals later the same one still runs, alone.
	select {
	case h := <-s.started:
		t.Fatalf("%s started while %s held the lease", h, first)
	case <-time.After(3 * testTTL):
	}
	var holders []string
	for _, e := range electors {
		if held := e.Held(); len(held) == 1 && held[0] == "poller" {
			holders = append(holders, e.Holder())
		}
	}
	if len(holders) != 1 || holders[0] != first {
		t.Errorf("Held() says %v hold poller, want [%s]", holders, first)
	}
	cancel()
	wg.Wait()
	if got, want := s.maxRunning.Load(), int64(1); got != want {
		t.Errorf("max concurrent runs = %d, want %d", got, want)
	}
	// Run released on the way out.
	if held, err := dbs[0].Leases(t.Context()); err != nil || len(held) != 0 {
		t.Errorf("Leases after shutdown = %+v, %v; want none", held, err)
	}
}

// TestTakeoverAfterCrash cuts the holder off from the database: it stops
// renewing and cannot release, as when it is killed or partitioned. The
// other replica takes over within TTL plus one poll, and the two never run
// at once, because the cut-off one stops its fn before its lease expires.
func TestTakeoverAfterCrash(t *testing.T) {
	dbs := replicas(t, 2)
	ctx := t.Context()
	s := newSingleton()
	a := &flaky{Store: dbs[0]}
	ea, eb := New(a, "A", opts()), New(dbs[1], "B", opts())
	var wg sync.WaitGroup
	defer wg.Wait()
	ctxA, stopA := context.WithCancel(ctx)
	defer stopA()
	wg.Go(func() { _ = ea.Run(ctxA, "poller", s.fn("A")) })
	if got := s.waitStart(t, testPoll+slack); got != "A" {
		t.Fatalf("first holder = %s, want A", got)
	}
	ctxB, stopB := context.WithCancel(ctx)
	defer stopB()
	wg.Go(func() { _ = eb.Run(ctxB, "poller", s.fn("B")) })
	time.Sleep(testTTL) // B contends for a while in vain

	a.down.Store(true)
	crashed := time.Now()
	if got := s.waitStart(t, testTTL+testPoll+slack); got != "B" {
		t.Fatalf("holder after the crash = %s, want B", got)
	}
	took := time.Since(crashed)
	if took > testTTL+testPoll+slack {
		t.Errorf("takeover took %v, want at most TTL+poll = %v", took, testTTL+testPoll)
	}
	if got, want := s.maxRunning.Load(), int64(1); got != want {
		t.Errorf("max concurrent runs = %d, want %d", got, want)
	}
	if got := ea.Stats(); got.Lost != 1 {
		t.Errorf("A stats = %+v, want Lost 1", got)
	}
	if got := eb.Stats(); got.Acquired != 1 || got.Takeovers != 1 {
		t.Errorf("B stats = %+v, want Acquired 1, Takeovers 1", got)
	}
	if got := ea.Held(); len(got) != 0 {
		t.Errorf("A Held() = %v after losing, want none", got)
	}
	// A back on the network must wait: B keeps the lease.
	a.down.Store(false)
	select {
	case h := <-s.started:
		t.Fatalf("%s started while B held the lease", h)
	case <-time.After(2 * testTTL):
	}
	stopB()
	if got := s.waitStart(t, testPoll+slack); got != "A" {
		t.Fatalf("holder after B stopped = %s, want A", got)
	}
	stopA()
	wg.Wait()
	if got, want := s.maxRunning.Load(), int64(1); got != want {
		t.Errorf("max concurrent runs = %d, want %d", got, want)
	}
}

// TestLostLeaseCancelsAndRecontends: a refused renewal cancels fn at once
// with errLost as the cause, and Run contends again.
func TestLostLeaseCancelsAndRecontends(t *testing.T) {
	db := replicas(t, 1)[0]
	st := &flaky{Store: db}
	var changes []string
	var mu sync.Mutex
	o := opts()
	o.OnChange = func(name string, held bool, _ storage.Lease) {
		mu.Lock()
		defer mu.Unlock()
		changes = append(changes, fmt.Sprintf("%s:%v", name, held))
	}
	e := New(st, "A", o)
	ctx, cancel := context.WithCancel(t.Context())
	causes := make(chan error, 4)
	runs := make(chan struct{}, 4)
	done := make(chan error, 1)
	go func() {
		done <- e.Run(ctx, "reports", func(ctx context.Context) error {
			runs <- struct{}{}
			<-ctx.Done()
			causes <- context.Cause(ctx)
			return ctx.Err()
		})
	}()
	<-runs
	st.loseNext.Store(true)
	select {
	case cause := <-causes:
		if !errors.Is(cause, errLost) {
			t.Errorf("cancel cause = %v, want errLost", cause)
		}
	case <-time.After(testTTL + slack):
		t.Fatal("fn not cancelled after the lease was refused")
	}
	select {
	case <-runs:
	case <-time.After(testPoll + slack):
		t.Fatal("Run did not contend again")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after ctx ended", err)
	}
	if got := e.Stats(); got.Acquired != 2 || got.Lost != 1 || got.Takeovers != 0 {
		t.Errorf("stats = %+v, want Acquired 2, Lost 1, Takeovers 0", got)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"reports:true", "reports:false", "reports:true", "reports:false"}
	if fmt.Sprint(changes) != fmt.Sprint(want) {
		t.Errorf("OnChange calls = %v, want %v", changes, want)
	}
}

// TestReturnReleases: fn returning on its own ends Run with its error and
// frees the lease at once, so the next replica need not wait a TTL.
func TestReturnReleases(t *testing.T) {
	dbs := replicas(t, 2)
	ctx := t.Context()
	boom := errors.New("boom")
	if err := Run(ctx, dbs[0], "calendar", "A", opts(), func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want boom", err)
	}
	s := newSingleton()
	eb := New(dbs[1], "B", opts())
	start := time.Now()
	bctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = eb.Run(bctx, "calendar", s.fn("B")) }()
	s.waitStart(t, testPoll+slack)
	if took := time.Since(start); took >= testTTL {
		t.Errorf("B waited %v after A released; want well under the TTL %v", took, testTTL)
	}
	if got := eb.Stats(); got.Takeovers != 0 {
		t.Errorf("B stats = %+v, want no takeover after a release", got)
	}
	stop()
	<-done
}
