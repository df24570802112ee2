package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// wait bounds how long a test waits for something the engine does at once;
// it only matters when the test is failing.
const wait = 5 * time.Second

// recorder is a FireFunc that remembers every call.
type recorder struct {
	mu    sync.Mutex
	calls map[string]int // by task and due
	fired chan Occurrence
	fail  func(occ Occurrence, call int) error // optional
}

func newRecorder() *recorder {
	return &recorder{calls: make(map[string]int), fired: make(chan Occurrence, 10000)}
}

func occKey(id string, due time.Time) string { return id + "@" + due.UTC().Format(time.RFC3339) }

func (r *recorder) fire(ctx context.Context, occ Occurrence) error {
	r.mu.Lock()
	k := occKey(occ.TaskID, occ.Due)
	r.calls[k]++
	n := r.calls[k]
	r.mu.Unlock()
	defer func() { r.fired <- occ }() // even if fail panics
	if r.fail != nil {
		return r.fail(occ, n)
	}
	return nil
}

func (r *recorder) count(id string, due time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[occKey(id, due)]
}

// next waits for the next call.
func (r *recorder) next(t *testing.T) Occurrence {
	t.Helper()
	select {
	case occ := <-r.fired:
		return occ
	case <-time.After(wait):
		t.Fatalf("no fire within %s", wait)
		return Occurrence{}
	}
}

// expect waits for the next call and checks it.
func (r *recorder) expect(t *testing.T, id string, due time.Time, late bool) {
	t.Helper()
	occ := r.next(t)
	if occ.TaskID != id || !occ.Due.Equal(due) || occ.Late != late {
		t.Fatalf("fired %s due %s late=%v, want %s due %s late=%v", occ.TaskID, occ.Due, occ.Late, id, due, late)
	}
}

// none checks that nothing has been fired and not yet expected.
func (r *recorder) none(t *testing.T) {
	t.Helper()
	select {
	case occ := <-r.fired:
		t.Fatalf("unexpected fire: %s due %s late=%v", occ.TaskID, occ.Due, occ.Late)
	default:
	}
}

type memStore struct {
	mu    sync.Mutex
	last  map[string]time.Time
	calls atomic.Int64
	err   error
}

func (s *memStore) LastFired(_ context.Context, id string) (time.Time, error) {
	s.calls.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return time.Time{}, s.err
	}
	return s.last[id], nil
}

type bulkStore struct {
	memStore
	bulkCalls atomic.Int64
}

func (s *bulkStore) LastFiredAll(context.Context) (map[string]time.Time, error) {
	s.bulkCalls.Add(1)
	return s.last, nil
}

// harness runs an engine on a fake clock for one test.
type harness struct {
	clock *FakeClock
	eng   *Engine
	rec   *recorder
	stop  func()
}

// newHarness builds an engine; call run to start it.
func newHarness(t *testing.T, start time.Time, store Store, opts Options) *harness {
	t.Helper()
	if opts.MaxConcurrentFires == 0 {
		// One worker fires in queue order, so tests can use a later task as
		// a barrier: once it fires, everything queued before it has too.
		opts.MaxConcurrentFires = 1
	}
	h := &harness{clock: NewFakeClock(start), rec: newRecorder()}
	h.eng = New(h.clock, store, h.rec.fire, opts)
	return h
}

func (h *harness) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.eng.Run(ctx) }()
	h.stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v, want nil", err)
			}
		case <-time.After(wait):
			t.Errorf("Run did not return within %s of cancel", wait)
		}
	}
	t.Cleanup(h.stop)
}

// advanceTo waits for the engine to go to sleep and moves the clock to at.
func (h *harness) advanceTo(at time.Time) {
	h.clock.BlockUntil(1)
	h.clock.Set(at)
}

var (
	monday = time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC) // 2026-05-04 is a Monday
	daily9 = Rule{Kind: KindDaily, At: "09:00"}
)

func at(day time.Time, hhmm string) time.Time {
	var h, m int
	fmt.Sscanf(hhmm, "%d:%d", &h, &m)
	return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

func TestEngineFiresAtDueNotBefore(t *testing.T) {
	h := newHarness(t, at(monday, "08:00"), nil, Options{})
	h.eng.Upsert(Task{ID: "check", Rule: daily9})
	h.run(t)

	if got, ok := h.eng.NextDue("check"); !ok || !got.Equal(at(monday, "09:00")) {
		t.Fatalf("NextDue = %s, %v; want %s", got, ok, at(monday, "09:00"))
	}
	h.advanceTo(at(monday, "08:59").Add(59 * time.Second))
	h.rec.none(t)
	h.advanceTo(at(monday, "09:00"))
	h.rec.expect(t, "check", at(monday, "09:00"), false)

	h.clock.BlockUntil(1)
	tuesday := monday.AddDate(0, 0, 1)
	if got, ok := h.eng.NextDue("check"); !ok || !got.Equal(at(tuesday, "09:00")) {
		t.Fatalf("after firing, NextDue = %s, %v; want %s", got, ok, at(tuesday, "09:00"))
	}
	h.advanceTo(at(tuesday, "09:00"))
	h.rec.expect(t, "check", at(tuesday, "09:00"), false)
	h.rec.none(t)
}

func TestEngineOneTimerAndIdle(t *testing.T) {
	h := newHarness(t, at(monday, "08:00"), nil, Options{})
	h.run(t)
	// No tasks: the engine sleeps with no timer at all.
	if n := h.clock.Waiters(); n != 0 {
		t.Fatalf("with no tasks, %d timers waiting; want 0", n)
	}
	for i := range 500 {
		h.eng.Upsert(Task{ID: fmt.Sprint("t", i), Rule: Rule{Kind: KindDaily, At: fmt.Sprintf("%02d:%02d", 9+i%10, i%60)}})
	}
	h.clock.BlockUntil(1)
	if n := h.clock.Waiters(); n > 1 {
		t.Fatalf("with 500 tasks, %d timers waiting; want one for the whole engine", n)
	}
	h.rec.none(t)
}

func TestEnginePauseAndRemove(t *testing.T) {
	h := newHarness(t, at(monday, "08:00"), nil, Options{})
	h.eng.Upsert(Task{ID: "paused", Rule: daily9})
	h.eng.Upsert(Task{ID: "removed", Rule: daily9})
	h.eng.Upsert(Task{ID: "kept", Rule: daily9})
	h.eng.Upsert(Task{ID: "barrier", Rule: Rule{Kind: KindDaily, At: "09:01"}})
	h.run(t)

	h.eng.Upsert(Task{ID: "paused", Rule: daily9, Paused: true})
	h.eng.Remove("removed")
	h.eng.Remove("never-existed")
	if n := h.eng.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3 (paused tasks count)", n)
	}
	if _, ok := h.eng.NextDue("paused"); ok {
		t.Fatalf("NextDue(paused) ok, want none")
	}
	if _, ok := h.eng.NextDue("removed"); ok {
		t.Fatalf("NextDue(removed) ok, want none")
	}

	h.advanceTo(at(monday, "09:00"))
	h.rec.expect(t, "kept", at(monday, "09:00"), false)
	h.advanceTo(at(monday, "09:01"))
	h.rec.expect(t, "barrier", at(monday, "09:01"), false)
	h.rec.none(t)

	// Unpausing schedules from now on; the 09:00 it slept through is not
	// caught up.
	h.eng.Upsert(Task{ID: "paused", Rule: daily9})
	tuesday := monday.AddDate(0, 0, 1)
	if got, ok := h.eng.NextDue("paused"); !ok || !got.Equal(at(tuesday, "09:00")) {
		t.Fatalf("after unpausing, NextDue = %s, %v; want %s", got, ok, at(tuesday, "09:00"))
	}
	h.eng.Remove("kept")
	h.advanceTo(at(tuesday, "09:00"))
	h.rec.expect(t, "paused", at(tuesday, "09:00"), false)
	h.advanceTo(at(tuesday, "09:01"))
	h.rec.expect(t, "barrier", at(tuesday, "09:01"), false)
	h.rec.none(t)
}

func TestEngineUpsertChangesRule(t *testing.T) {
	h := newHarness(t, at(monday, "08:00"), nil, Options{})
	h.eng.Upsert(Task{ID: "report", Rule: daily9})
	h.run(t)
	h.clock.BlockUntil(1)

	h.eng.Upsert(Task{ID: "report", Rule: Rule{Kind: KindDaily, At: "10:00"}})
	if got, ok := h.eng.NextDue("report"); !ok || !got.Equal(at(monday, "10:00")) {
		t.Fatalf("NextDue = %s, %v; want %s", got, ok, at(monday, "10:00"))
	}
	h.advanceTo(at(monday, "09:00"))
	h.rec.none(t)
	h.advanceTo(at(monday, "10:00"))
	h.rec.expect(t, "report", at(monday, "10:00"), false)

	// Moving it earlier wakes the engine sooner.
	h.eng.Upsert(Task{ID: "report", Rule: Rule{Kind: KindDaily, At: "10:30"}})
	h.advanceTo(at(monday, "10:30"))
	h.rec.expect(t, "report", at(monday, "10:30"), false)

	// An invalid rule stops it without dropping it.
	h.eng.Upsert(Task{ID: "report", Rule: Rule{Kind: KindDaily, At: "25:00"}})
	if _, ok := h.eng.NextDue("report"); ok || h.eng.Len() != 1 {
		t.Fatalf("invalid rule: NextDue ok=%v Len=%d; want none and 1", ok, h.eng.Len())
	}
	// A once rule fires once and is done.
	h.eng.Upsert(Task{ID: "report", Rule: Rule{Kind: KindOnce, Date: "2026-05-04", At: "12:00"}})
	h.advanceTo(at(monday, "12:00"))
	h.rec.expect(t, "report", at(monday, "12:00"), false)
	if got, ok := h.eng.NextDue("report"); ok {
		t.Fatalf("once rule after firing: NextDue = %s, want none", got)
	}
}

func TestEngineNoDoubleFire(t *testing.T) {
	h := newHarness(t, at(monday, "08:00"), nil, Options{})
	h.eng.Upsert(Task{ID: "check", Rule: daily9})
	h.eng.Upsert(Task{ID: "barrier", Rule: Rule{Kind: KindDaily, At: "09:05"}})
	h.run(t)
	h.advanceTo(at(monday, "09:00"))
	h.rec.expect(t, "check", at(monday, "09:00"), false)

	// Upserting again at the due minute, removing and re-adding, even with
	// the clock set back: none of it fires 09:00 again.
	h.eng.Upsert(Task{ID: "check", Rule: daily9})
	h.eng.Upsert(Task{ID: "check", Rule: daily9})
	h.eng.Remove("check")
	h.eng.Upsert(Task{ID: "check", Rule: daily9})
	h.clock.Set(at(monday, "08:59"))
	h.eng.Upsert(Task{ID: "check", Rule: daily9})
	h.eng.Remove("check")
	h.eng.Upsert(Task{ID: "check", Rule: daily9})
	tuesday := monday.AddDate(0, 0, 1)
	if got, ok := h.eng.NextDue("check"); !ok || !got.Equal(at(tuesday, "09:00")) {
		t.Fatalf("NextDue = %s, %v; want %s", got, ok, at(tuesday, "09:00"))
	}
	h.advanceTo(at(monday, "09:05"))
	h.rec.expect(t, "barrier", at(monday, "09:05"), false)
	h.rec.none(t)
	h.advanceTo(at(tuesday, "09:00"))
	h.rec.expect(t, "check", at(tuesday, "09:00"), false)
	if n := h.rec.count("check", at(monday, "09:00")); n != 1 {
		t.Fatalf("check@09:00 fired %d times, want 1", n)
	}
}

func TestEngineSuspendedFiresNewestOnly(t *testing.T) {
	h := newHarness(t, at(monday, "08:00"), nil, Options{})
	h.eng.Upsert(Task{ID: "poll", Rule: Rule{Kind: KindCron, Cron: "*/5 * * * *"}})
	h.run(t)
	// The process sleeps through twelve occurrences; one fires on waking.
	h.advanceTo(at(monday, "09:02"))
	h.rec.expect(t, "poll", at(monday, "09:00"), false)
	h.advanceTo(at(monday, "09:05"))
	h.rec.expect(t, "poll", at(monday, "09:05"), false)
	h.rec.none(t)
}

// catchUpSetup is the state of the world when the engine starts at 10:00
// on Monday 2026-05-04.
func catchUpSetup(t *testing.T, policy MissedPolicy, store Store) *harness {
	h := newHarness(t, at(monday, "10:00"), store, Options{MissedPolicy: policy})
	h.eng.Upsert(Task{ID: "daily-missed-3", Rule: daily9})                                             // last fired Friday
	h.eng.Upsert(Task{ID: "daily-up-to-date", Rule: daily9})                                           // fired today
	h.eng.Upsert(Task{ID: "daily-never", Rule: daily9})                                                // no history
	h.eng.Upsert(Task{ID: "paused", Rule: daily9, Paused: true})                                       // last fired Friday
	h.eng.Upsert(Task{ID: "once-missed", Rule: Rule{Kind: KindOnce, Date: "2026-05-02", At: "12:00"}}) // never fired
	h.eng.Upsert(Task{ID: "once-done", Rule: Rule{Kind: KindOnce, Date: "2026-05-02", At: "12:00"}})   // fired
	h.eng.Upsert(Task{ID: "monthly", Rule: Rule{Kind: KindMonthlyLast, At: "18:00"}})                  // last fired 2026-02-28
	h.eng.Upsert(Task{ID: "invalid", Rule: Rule{Kind: KindDaily}})
	h.eng.Upsert(Task{ID: "barrier", Rule: Rule{Kind: KindDaily, At: "10:30"}}) // no history
	return h
}

func catchUpStore() map[string]time.Time {
	friday := monday.AddDate(0, 0, -3)
	return map[string]time.Time{
		"daily-missed-3":   at(friday, "09:00"),
		"daily-up-to-date": at(monday, "09:00"),
		"paused":           at(friday, "09:00"),
		"once-done":        time.Date(2026, 5, 2, 12, 0, 0, 0, time.UTC),
		"monthly":          time.Date(2026, 2, 28, 18, 0, 0, 0, time.UTC),
		"invalid":          at(friday, "09:00"),
	}
}

func TestEngineCatchUpPostLate(t *testing.T) {
	for _, bulk := range []bool{false, true} {
		t.Run(fmt.Sprintf("bulk=%v", bulk), func(t *testing.T) {
			var store Store
			ms := &memStore{last: catchUpStore()}
			bs := &bulkStore{memStore: memStore{last: catchUpStore()}}
			store = ms
			if bulk {
				store = bs
			}
			h := catchUpSetup(t, PostLate, store)
			h.run(t)

			want := map[string]time.Time{
				"daily-missed-3": at(monday, "09:00"),
				"once-missed":    time.Date(2026, 5, 2, 12, 0, 0, 0, time.UTC),
				"monthly":        time.Date(2026, 4, 30, 18, 0, 0, 0, time.UTC),
			}
			for range len(want) {
				occ := h.rec.next(t)
				due, ok := want[occ.TaskID]
				if !ok || !occ.Due.Equal(due) || !occ.Late {
					t.Fatalf("late fire %s due %s late=%v; want one of %v, late", occ.TaskID, occ.Due, occ.Late, want)
				}
				delete(want, occ.TaskID)
			}
			h.advanceTo(at(monday, "10:30"))
			h.rec.expect(t, "barrier", at(monday, "10:30"), false)
			h.rec.none(t)
			if bulk {
				if bs.bulkCalls.Load() != 1 || bs.calls.Load() != 0 {
					t.Fatalf("bulk store: %d LastFiredAll and %d LastFired calls, want 1 and 0", bs.bulkCalls.Load(), bs.calls.Load())
				}
			}

			// After catch-up each task is scheduled for its next future time.
			tuesday := monday.AddDate(0, 0, 1)
			for id, want := range map[string]time.Time{
				"daily-missed-3":   at(tuesday, "09:00"),
				"daily-up-to-date": at(tuesday, "09:00"),
				"daily-never":      at(tuesday, "09:00"),
				"monthly":          time.Date(2026, 5, 31, 18, 0, 0, 0, time.UTC),
			} {
				if got, ok := h.eng.NextDue(id); !ok || !got.Equal(want) {
					t.Errorf("NextDue(%s) = %s, %v; want %s", id, got, ok, want)
				}
			}
			for _, id := range []string{"paused", "once-missed", "once-done", "invalid"} {
				if got, ok := h.eng.NextDue(id); ok {
					t.Errorf("NextDue(%s) = %s, want none", id, got)
				}
			}
		})
	}
}

func TestEngineCatchUpSkip(t *testing.T) {
	h := catchUpSetup(t, Skip, &memStore{last: catchUpStore()})
	h.run(t)
	h.advanceTo(at(monday, "10:30"))
	h.rec.expect(t, "barrier", at(monday, "10:30"), false)
	h.rec.none(t)
	if got, ok := h.eng.NextDue("daily-missed-3"); !ok || !got.Equal(at(monday.AddDate(0, 0, 1), "09:00")) {
		t.Fatalf("NextDue = %s, %v; want tomorrow 09:00", got, ok)
	}
}

func TestEngineCatchUpStoreError(t *testing.T) {
	// Not knowing when a task last fired, the engine does not guess.
	h := catchUpSetup(t, PostLate, &memStore{last: catchUpStore(), err: errors.New("database is locked")})
	h.run(t)
	h.advanceTo(at(monday, "10:30"))
	h.rec.expect(t, "barrier", at(monday, "10:30"), false)
	h.rec.none(t)
}

func TestEngineCatchUpOnlyBeforeRun(t *testing.T) {
	store := &memStore{last: map[string]time.Time{"late-comer": at(monday.AddDate(0, 0, -3), "09:00")}}
	h := newHarness(t, at(monday, "10:00"), store, Options{})
	h.eng.Upsert(Task{ID: "barrier", Rule: Rule{Kind: KindDaily, At: "10:30"}})
	h.run(t)
	h.clock.BlockUntil(1)
	h.eng.Upsert(Task{ID: "late-comer", Rule: daily9})
	h.advanceTo(at(monday, "10:30"))
	h.rec.expect(t, "barrier", at(monday, "10:30"), false)
	h.rec.none(t)
}

func TestEngineRetries(t *testing.T) {
	h := newHarness(t, at(monday, "08:00"), nil, Options{MaxConcurrentFires: 4, RetryBackoff: time.Second, MaxAttempts: 3})
	h.rec.fail = func(occ Occurrence, call int) error {
		switch {
		case occ.TaskID == "flaky" && call <= 2:
			return errors.New("slack: rate limited")
		case occ.TaskID == "panicky" && call == 1:
			panic("boom")
		case occ.TaskID == "broken":
			return errors.New("channel_not_found")
		}
		return nil
	}
	for _, id := range []string{"flaky", "panicky", "broken", "fine"} {
		h.eng.Upsert(Task{ID: id, Rule: daily9})
	}
	h.run(t)
	due := at(monday, "09:00")
	h.advanceTo(due)
	// First calls: all four, the failures not holding up "fine".
	seen := map[string]bool{}
	for range 4 {
		seen[h.rec.next(t).TaskID] = true
	}
	if len(seen) != 4 {
		t.Fatalf("first round fired %v, want all four tasks", seen)
	}
	// Engine timer + retries of flaky, panicky, broken after 1s.
	h.clock.BlockUntil(4)
	h.clock.Advance(time.Second)
	for range 3 {
		h.rec.next(t)
	}
	// flaky and broken failed again: retries after 2s more.
	h.clock.BlockUntil(3)
	h.clock.Advance(2 * time.Second)
	for range 2 {
		h.rec.next(t)
	}
	for id, want := range map[string]int{"flaky": 3, "panicky": 2, "broken": 3, "fine": 1} {
		if got := h.rec.count(id, due); got != want {
			t.Errorf("%s called %d times, want %d", id, got, want)
		}
	}
	// broken has used its three attempts: nothing more, however long we wait.
	h.clock.Advance(time.Hour)
	h.rec.none(t)
}

func TestEngineRetryStopsWhenRemoved(t *testing.T) {
	h := newHarness(t, at(monday, "08:00"), nil, Options{RetryBackoff: time.Second})
	h.rec.fail = func(Occurrence, int) error { return errors.New("down") }
	h.eng.Upsert(Task{ID: "doomed", Rule: daily9})
	h.eng.Upsert(Task{ID: "barrier", Rule: Rule{Kind: KindDaily, At: "09:01"}})
	h.run(t)
	h.advanceTo(at(monday, "09:00"))
	h.rec.expect(t, "doomed", at(monday, "09:00"), false)
	h.clock.BlockUntil(2) // the engine's timer and the retry's
	h.eng.Remove("doomed")
	h.clock.Advance(time.Second)
	h.advanceTo(at(monday, "09:01"))
	h.rec.expect(t, "barrier", at(monday, "09:01"), false)
	h.rec.none(t)
}

func TestEngineThousandSameMinute(t *testing.T) {
	const n = 1000
	clock := NewFakeClock(at(monday, "08:59"))
	var inFlight, maxInFlight atomic.Int64
	var mu sync.Mutex
	calls := make(map[string]int, n)
	done := make(chan struct{})
	fire := func(ctx context.Context, occ Occurrence) error {
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if cur <= m || maxInFlight.CompareAndSwap(m, cur) {
				break
			}
		}
		time.Sleep(time.Millisecond) // a Slack call takes a while
		mu.Lock()
		calls[occ.TaskID]++
		if len(calls) == n {
			select {
			case <-done:
			default:
				close(done)
			}
		}
		mu.Unlock()
		return nil
	}
	eng := New(clock, nil, fire, Options{})
	for i := range n {
		eng.Upsert(Task{ID: fmt.Sprintf("task-%04d", i), Rule: Rule{Kind: KindDaily, At: "09:00"}})
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { eng.Run(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()

	clock.BlockUntil(1)
	start := time.Now()
	clock.Set(at(monday, "09:00"))
	select {
	case <-done:
	case <-time.After(wait):
		mu.Lock()
		t.Fatalf("%d of %d tasks fired within %s", len(calls), n, wait)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("firing %d tasks took %s, want under 1s", n, took)
	}
	mu.Lock()
	for id, c := range calls {
		if c != 1 {
			t.Errorf("%s fired %d times, want 1", id, c)
		}
	}
	mu.Unlock()
	if m := maxInFlight.Load(); m > defaultMaxConcurrentFires || m < 2 {
		t.Errorf("max concurrent fires = %d, want 2..%d", m, defaultMaxConcurrentFires)
	}
}

func TestEngineRunTwiceAndShutdown(t *testing.T) {
	clock := NewFakeClock(at(monday, "08:00"))
	started := make(chan struct{})
	var ctxErr atomic.Value
	eng := New(clock, nil, func(ctx context.Context, occ Occurrence) error {
		close(started)
		<-ctx.Done() // a slow Slack call, cut short by shutdown
		ctxErr.Store(ctx.Err())
		return ctx.Err()
	}, Options{})
	eng.Upsert(Task{ID: "slow", Rule: daily9})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	clock.BlockUntil(1)
	if err := eng.Run(context.Background()); err == nil {
		t.Fatalf("second Run = nil, want an error")
	}
	clock.Set(at(monday, "09:00"))
	<-started
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatalf("Run did not return")
	}
	if err, _ := ctxErr.Load().(error); !errors.Is(err, context.Canceled) {
		t.Fatalf("FireFunc saw ctx error %v, want context.Canceled", err)
	}
}

func TestEngineDSTFiresOnce(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	h := newHarness(t, time.Date(2026, 10, 31, 12, 0, 0, 0, ny), nil, Options{})
	h.eng.Upsert(Task{ID: "nightly", Rule: Rule{Kind: KindDaily, At: "01:30", Location: ny}})
	h.eng.Upsert(Task{ID: "hourly", Rule: Rule{Kind: KindCron, Cron: "30 * * * *", Location: ny}})
	h.run(t)
	first := mustTime(t, "2026-11-01T01:30:00-04:00")
	h.advanceTo(mustTime(t, "2026-11-01T00:30:00-04:00"))
	h.rec.expect(t, "hourly", mustTime(t, "2026-11-01T00:30:00-04:00"), false)
	h.advanceTo(first)
	got := map[string]bool{}
	for range 2 {
		occ := h.rec.next(t)
		if !occ.Due.Equal(first) {
			t.Fatalf("%s fired due %s, want %s", occ.TaskID, occ.Due, first)
		}
		got[occ.TaskID] = true
	}
	if !got["nightly"] || !got["hourly"] {
		t.Fatalf("fired %v, want nightly and hourly", got)
	}
	// The second 01:30 (EST) passes without either firing.
	h.advanceTo(mustTime(t, "2026-11-01T01:30:00-05:00"))
	h.rec.none(t)
	h.advanceTo(mustTime(t, "2026-11-01T02:30:00-05:00"))
	h.rec.expect(t, "hourly", mustTime(t, "2026-11-01T02:30:00-05:00"), false)
	if got, _ := h.eng.NextDue("nightly"); !got.Equal(mustTime(t, "2026-11-02T01:30:00-05:00")) {
		t.Fatalf("NextDue(nightly) = %s, want 2026-11-02 01:30 EST", got)
	}
}
