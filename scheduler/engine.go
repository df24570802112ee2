package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Occurrence is one due time of one task.
type Occurrence struct {
	TaskID string
	// Due is the occurrence's due time, a whole second (in fact a whole
	// minute) in the rule's Location. Claim occurrences by TaskID and
	// Due.Unix(), not by Due's printed form.
	Due time.Time
	// Late is set on an occurrence that came due before the engine started
	// and is fired by the start-up catch-up.
	Late bool
}

// Task is what the engine schedules.
type Task struct {
	ID   string
	Rule Rule
	// Paused tasks are kept but never fire, and are not caught up.
	Paused bool
}

// Store is implemented by the caller, over its database.
type Store interface {
	// LastFired returns the due time of the newest occurrence already
	// claimed for the task, or the zero time if there is none.
	LastFired(ctx context.Context, taskID string) (time.Time, error)
}

// BulkStore may also be implemented by a Store, to answer every start-up
// LastFired look-up with one query. Tasks missing from the map have never
// fired. If LastFiredAll fails, the engine falls back to LastFired.
type BulkStore interface {
	LastFiredAll(ctx context.Context) (map[string]time.Time, error)
}

// FireFunc is called once per occurrence. It should claim the occurrence
// in the same transaction that records it, idempotently per (TaskID, Due),
// and then post the card. If it returns an error (or panics) the engine
// calls it again for the same occurrence after a backoff, up to
// Options.MaxAttempts calls in all; a failing task never holds up others.
// The context is cancelled when Run's context is.
type FireFunc func(ctx context.Context, occ Occurrence) error

// MissedPolicy says what to do at start-up with occurrences that came due
// while the engine was not running.
type MissedPolicy int

const (
	// PostLate fires, for each task, only the most recent missed
	// occurrence, once, with Late set; older ones are dropped. It is the
	// default.
	PostLate MissedPolicy = iota
	// Skip fires none of them.
	Skip
)

func (p MissedPolicy) String() string {
	switch p {
	case PostLate:
		return "post-late"
	case Skip:
		return "skip"
	}
	return fmt.Sprintf("MissedPolicy(%d)", int(p))
}

// Options tune an Engine. The zero value is usable.
type Options struct {
	// MissedPolicy applies at start-up; the zero value is PostLate.
	MissedPolicy MissedPolicy
	// MaxConcurrentFires bounds how many FireFunc calls run at once; zero
	// means 32.
	MaxConcurrentFires int
	// MaxAttempts bounds the calls made for one occurrence, the first
	// included; zero means 6.
	MaxAttempts int
	// RetryBackoff is the wait before the first retry, doubling for each
	// one after, up to MaxRetryBackoff; zero means 5s and 5m.
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	// Logger receives warnings and errors; the zero Logger discards them.
	Logger zerolog.Logger
}

const (
	defaultMaxConcurrentFires = 32
	defaultMaxAttempts        = 6
	defaultRetryBackoff       = 5 * time.Second
	defaultMaxRetryBackoff    = 5 * time.Minute
)

// Engine calls a FireFunc whenever a task comes due.
//
// It keeps the tasks in a min-heap keyed by next due time and sleeps on a
// single timer until the earliest; with nothing due it does no work and
// wakes for nothing but Upsert and Remove calls that change the earliest
// due time. At each wake it fires every task that is due. If a task has
// several due times in the past at once (the process was suspended), only
// the most recent fires.
//
// Start-up catch-up: tasks added with Upsert before Run are caught up when
// Run starts. For each, the engine asks the Store when it last fired and
// looks for occurrences after that and at or before the start time. Under
// PostLate it fires the most recent one only, with Late set; under Skip,
// none. A task that has never fired (LastFired zero) has nothing to catch
// up, except a once rule whose time has passed, which PostLate fires late.
// Tasks added once Run is under way are never caught up: they are due from
// the time they are added, strictly after it.
//
// Within a process the engine never calls the FireFunc twice for the same
// (TaskID, Due), however often a task is upserted, paused, or removed and
// added again; the only repeated calls are retries after an error.
// Exactly-once across restarts is the caller's: claim by (TaskID, Due).
//
// All methods are safe for concurrent use.
type Engine struct {
	clock Clock
	store Store
	fire  FireFunc
	opts  Options
	log   zerolog.Logger

	mu      sync.Mutex
	tasks   map[string]*entry
	heap    []*entry         // ordered by next
	removed map[string]int64 // lastDue of removed tasks, so re-adding cannot re-fire
	started bool

	wake    chan struct{} // the earliest due time changed
	queue   fireQueue
	retries sync.WaitGroup
}

// entry is the engine's state for one task.
type entry struct {
	id      string
	sched   schedule
	next    int64 // Unix seconds; meaningful while idx >= 0
	lastDue int64 // newest due time handed to the FireFunc, 0 for none
	idx     int   // position in the heap, -1 when not scheduled
	valid   bool  // the rule compiled
	paused  bool
	pending bool // added before Run; awaiting catch-up
}

// New returns an engine that calls fire when tasks come due. clock nil
// means RealClock(); store nil means no task has ever fired.
func New(clock Clock, store Store, fire FireFunc, opts Options) *Engine {
	if fire == nil {
		panic("scheduler: New with nil FireFunc")
	}
	if clock == nil {
		clock = RealClock()
	}
	if opts.MaxConcurrentFires <= 0 {
		opts.MaxConcurrentFires = defaultMaxConcurrentFires
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = defaultMaxAttempts
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = defaultRetryBackoff
	}
	if opts.MaxRetryBackoff <= 0 {
		opts.MaxRetryBackoff = defaultMaxRetryBackoff
	}
	e := &Engine{
		clock:   clock,
		store:   store,
		fire:    fire,
		opts:    opts,
		log:     opts.Logger,
		tasks:   make(map[string]*entry),
		removed: make(map[string]int64),
		wake:    make(chan struct{}, 1),
	}
	e.queue.init()
	return e
}

// Upsert adds a task or replaces one with the same ID, and recomputes its
// next due time. A task whose rule is invalid (see Rule.Validate) is kept
// but never fires; the problem is logged. An occurrence of the old rule that
// is already due but not yet fired still fires if the new rule has it too.
// Pausing a task, like removing it, drops its occurrences not yet handed to
// the FireFunc and its retries.
func (e *Engine) Upsert(t Task) {
	s, err := t.Rule.compile()
	e.mu.Lock()
	defer e.mu.Unlock()
	before, hadBefore := e.earliestLocked()
	now := e.clock.Now().Unix()
	ent := e.tasks[t.ID]
	base := now
	if ent == nil {
		ent = &entry{id: t.ID, idx: -1, pending: !e.started}
		if d, ok := e.removed[t.ID]; ok {
			ent.lastDue = d
			delete(e.removed, t.ID)
		}
		e.tasks[t.ID] = ent
	} else if ent.idx >= 0 && ent.next <= now {
		base = ent.next - 1 // due already; let the loop fire it
	}
	base = max(base, ent.lastDue)
	ent.valid, ent.paused = err == nil, t.Paused
	ent.sched = s
	if err != nil {
		e.log.Warn().Str("task", t.ID).Err(err).Msg("scheduler: invalid rule; the task will not fire")
	}
	e.rescheduleLocked(ent, base)
	e.signalIfEarliestChanged(before, hadBefore)
}

// Remove forgets a task. Unknown IDs are ignored. Occurrences of it that are
// due but not yet handed to the FireFunc, and retries, are dropped.
func (e *Engine) Remove(taskID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ent := e.tasks[taskID]
	if ent == nil {
		return
	}
	before, hadBefore := e.earliestLocked()
	e.unscheduleLocked(ent)
	delete(e.tasks, taskID)
	if ent.lastDue != 0 {
		e.removed[taskID] = ent.lastDue
	}
	e.signalIfEarliestChanged(before, hadBefore)
}

// NextDue returns when the task is next due, in its rule's Location; false
// when the task is unknown, paused, invalid or has no further occurrence.
// Before Run, it is the next due time after the moment of the last Upsert.
func (e *Engine) NextDue(taskID string) (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ent := e.tasks[taskID]
	if ent == nil || ent.idx < 0 {
		return time.Time{}, false
	}
	return time.Unix(ent.next, 0).In(ent.sched.loc), true
}

// Len returns the number of tasks, paused and invalid ones included.
func (e *Engine) Len() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.tasks)
}

// Run catches up (see Engine), then fires tasks as they come due until ctx
// is cancelled. It returns nil once ctx is cancelled and every FireFunc
// call under way has returned. Occurrences not yet fired by then are left
// for the next start's catch-up. Run may be called only once.
func (e *Engine) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return errors.New("scheduler: Run called twice")
	}
	e.started = true
	start := e.clock.Now()
	var pending []*entry
	for _, ent := range e.tasks {
		if ent.pending {
			pending = append(pending, ent)
		}
	}
	e.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var workers sync.WaitGroup
	for range e.opts.MaxConcurrentFires {
		workers.Go(func() { e.work(ctx) })
	}

	last, known := e.lastFired(ctx, pending)
	e.catchUp(start.Unix(), pending, last, known)
	e.loop(ctx)

	e.queue.close()
	workers.Wait()
	e.retries.Wait()
	return nil
}

// loop sleeps until the earliest due time, fires what is due, and repeats.
func (e *Engine) loop(ctx context.Context) {
	select {
	case <-e.wake: // left by Upsert calls before Run; the loop looks anyway
	default:
	}
	for {
		e.mu.Lock()
		now := e.clock.Now()
		e.fireDueLocked(now.Unix())
		var timer Timer
		var fired <-chan time.Time
		if len(e.heap) > 0 {
			timer = e.clock.NewTimer(time.Unix(e.heap[0].next, 0).Sub(now))
			fired = timer.C()
		}
		e.mu.Unlock()

		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case <-fired:
		case <-e.wake:
			if timer != nil {
				timer.Stop()
			}
		}
	}
}

// fireDueLocked hands every task due at or before now to the workers.
func (e *Engine) fireDueLocked(now int64) {
	for len(e.heap) > 0 && e.heap[0].next <= now {
		ent := e.heap[0]
		due := ent.next
		if p, ok := ent.sched.prev(now); ok && p > due {
			due = p // several came due at once: only the newest fires
		}
		if due > ent.lastDue {
			ent.lastDue = due
			e.queue.push(job{ent: ent, occ: Occurrence{TaskID: ent.id, Due: time.Unix(due, 0).In(ent.sched.loc)}})
		}
		e.rescheduleLocked(ent, max(now, due))
	}
}

// rescheduleLocked puts ent in the heap at its first due time after base,
// or takes it out if it has none.
func (e *Engine) rescheduleLocked(ent *entry, base int64) {
	if !ent.valid || ent.paused {
		e.unscheduleLocked(ent)
		return
	}
	next, ok := ent.sched.next(base)
	if !ok {
		e.unscheduleLocked(ent)
		return
	}
	ent.next = next
	if ent.idx < 0 {
		ent.idx = len(e.heap)
		e.heap = append(e.heap, ent)
		e.up(ent.idx)
		return
	}
	if !e.up(ent.idx) {
		e.down(ent.idx)
	}
}

func (e *Engine) unscheduleLocked(ent *entry) {
	i := ent.idx
	if i < 0 {
		return
	}
	last := len(e.heap) - 1
	if i != last {
		e.swap(i, last)
	}
	e.heap[last] = nil
	e.heap = e.heap[:last]
	ent.idx = -1
	if i != last {
		if !e.up(i) {
			e.down(i)
		}
	}
}

func (e *Engine) earliestLocked() (int64, bool) {
	if len(e.heap) == 0 {
		return 0, false
	}
	return e.heap[0].next, true
}

func (e *Engine) signalIfEarliestChanged(before int64, hadBefore bool) {
	after, hasAfter := e.earliestLocked()
	if after != before || hasAfter != hadBefore {
		e.signal()
	}
}

// signal wakes the loop to look at the heap again.
func (e *Engine) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}
