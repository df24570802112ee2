package scheduler

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// lastFired asks the store when each pending task last fired. known[i] is
// false when the look-up failed.
func (e *Engine) lastFired(ctx context.Context, pending []*entry) (last []time.Time, known []bool) {
	last = make([]time.Time, len(pending))
	known = make([]bool, len(pending))
	if e.store == nil {
		for i := range known {
			known[i] = true
		}
		return last, known
	}
	if bs, ok := e.store.(BulkStore); ok {
		all, err := bs.LastFiredAll(ctx)
		if err == nil {
			for i, ent := range pending {
				last[i], known[i] = all[ent.id], true
			}
			return last, known
		}
		e.log.Warn().Err(err).Msg("scheduler: LastFiredAll failed; asking task by task")
	}
	var (
		wg       sync.WaitGroup
		next     = make(chan int)
		mu       sync.Mutex
		failed   int
		firstErr error
	)
	for range min(e.opts.MaxConcurrentFires, len(pending)) {
		wg.Go(func() {
			for i := range next {
				if ctx.Err() != nil {
					continue // shutting down; nothing will be caught up
				}
				t, err := e.store.LastFired(ctx, pending[i].id)
				if err != nil {
					mu.Lock()
					if failed++; firstErr == nil {
						firstErr = fmt.Errorf("task %s: %w", pending[i].id, err)
					}
					mu.Unlock()
					continue
				}
				last[i], known[i] = t, true
			}
		})
	}
	for i := range pending {
		next <- i
	}
	close(next)
	wg.Wait()
	if failed > 0 && ctx.Err() == nil {
		e.log.Error().Err(firstErr).Int("tasks", failed).Msg("scheduler: LastFired failed; not catching those tasks up")
	}
	return last, known
}

// catchUp applies the missed policy to the tasks added before Run and
// schedules them from the start time.
func (e *Engine) catchUp(start int64, pending []*entry, last []time.Time, known []bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	late := 0
	for i, ent := range pending {
		if e.tasks[ent.id] != ent || !ent.pending {
			continue // removed meanwhile
		}
		ent.pending = false
		if !ent.valid || ent.paused {
			continue
		}
		base := ent.lastDue
		if known[i] && !last[i].IsZero() {
			base = max(base, last[i].Unix())
		}
		if e.opts.MissedPolicy == PostLate && known[i] && (!last[i].IsZero() || ent.sched.kind == KindOnce) {
			// base is at least LastFired rounded down to the second, and due
			// times are whole seconds, so due > base means due is after it.
			if due, ok := ent.sched.prev(start); ok && due > base {
				ent.lastDue = due
				e.queue.push(job{ent: ent, occ: Occurrence{TaskID: ent.id, Due: time.Unix(due, 0).In(ent.sched.loc), Late: true}})
				late++
			}
		}
		e.rescheduleLocked(ent, max(start, base, ent.lastDue))
	}
	if late > 0 {
		e.log.Info().Int("late", late).Msg("scheduler: firing missed occurrences late")
	}
}
