package scheduler

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// job is one occurrence waiting for a firing worker, with its retries.
type job struct {
	ent     *entry
	occ     Occurrence
	attempt int // calls already made
}

// work runs jobs until the queue closes.
func (e *Engine) work(ctx context.Context) {
	for {
		j, ok := e.queue.pop()
		if !ok {
			return
		}
		e.runJob(ctx, j)
	}
}

func (e *Engine) runJob(ctx context.Context, j job) {
	if !e.stillScheduled(j.ent) {
		return // removed, paused or made invalid since it came due
	}
	err := e.callFire(ctx, j.occ)
	j.attempt++
	if err == nil || ctx.Err() != nil {
		return
	}
	log := e.log.With().Str("task", j.occ.TaskID).Time("due", j.occ.Due).Int("attempt", j.attempt).Logger()
	if j.attempt >= e.opts.MaxAttempts {
		log.Error().Err(err).Msg("scheduler: fire failed; giving up on this occurrence")
		return
	}
	delay := e.backoff(j.attempt)
	log.Warn().Err(err).Dur("retry_in_ms", delay).Msg("scheduler: fire failed; will retry")
	e.retries.Go(func() {
		t := e.clock.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		e.queue.push(j)
	})
}

func (e *Engine) callFire(ctx context.Context, occ Occurrence) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("scheduler: FireFunc panicked: %v", p)
		}
	}()
	return e.fire(ctx, occ)
}

// backoff returns the wait before the retry that follows the attempt-th
// failed call.
func (e *Engine) backoff(attempt int) time.Duration {
	d := e.opts.RetryBackoff
	for i := 1; i < attempt && d < e.opts.MaxRetryBackoff; i++ {
		d *= 2
	}
	return min(d, e.opts.MaxRetryBackoff)
}

func (e *Engine) stillScheduled(ent *entry) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tasks[ent.id] == ent && ent.valid && !ent.paused
}

// fireQueue is an unbounded FIFO of jobs for the workers, so that handing
// out due tasks never blocks the loop.
type fireQueue struct {
	mu     sync.Mutex
	ready  *sync.Cond
	items  []job
	head   int
	closed bool
}

func (q *fireQueue) init() { q.ready = sync.NewCond(&q.mu) }

func (q *fireQueue) push(j job) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.items = append(q.items, j)
	q.ready.Signal()
}

func (q *fireQueue) pop() (job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.head == len(q.items) && !q.closed {
		q.ready.Wait()
	}
	if q.closed {
		return job{}, false
	}
	j := q.items[q.head]
	q.items[q.head] = job{}
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	return j, true
}

func (q *fireQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.items, q.head = nil, 0
	q.ready.Broadcast()
}
