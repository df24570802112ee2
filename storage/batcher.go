package storage

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// batcher lets concurrent callers of one kind of statement share it. A
// burst of callers (the scheduler's firing workers, Slack posts paced
// across replicas) would otherwise each pay a round trip, a connection
// and, for a write, a commit, one after another behind SQLite's single
// writer; on PostgreSQL each also costs the server a statement, and a
// burst opens a connection per caller. The first caller to find no batch
// under way runs every queued item, in batches of at most max, until the
// queue is empty; the callers that arrived meanwhile wait for their own
// results. A lone caller on an idle batcher runs at once, so batching
// adds no latency.
type batcher[T, R any] struct {
	mu      sync.Mutex
	queue   []*batchCall[T, R]
	running bool
}

// batchCall is one caller's item and where its result goes.
type batchCall[T, R any] struct {
	item T
	done chan batchResult[R]
}

type batchResult[R any] struct {
	r   R
	err error
}

// batchTimeout bounds one batch, which runs on behalf of every caller
// in it and so is not cancelled with the one that happens to run it.
const batchTimeout = 30 * time.Second

// do queues item and returns its result once a batch holding it has run.
// run gets the items of one batch in arrival order and returns one result
// per item, in the same order, or an error for the whole batch.
func (g *batcher[T, R]) do(ctx context.Context, item T, max int, run func(ctx context.Context, items []T) ([]R, error)) (R, error) {
	c := &batchCall[T, R]{item: item, done: make(chan batchResult[R], 1)}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	if g.running {
		g.mu.Unlock()
		select {
		case res := <-c.done:
			return res.r, res.err
		case <-ctx.Done():
			// The item may still be written; callers' writes are
			// idempotent, so a retry finds it.
			var zero R
			return zero, ctx.Err()
		}
	}
	g.running = true
	for len(g.queue) > 0 {
		queued := g.queue
		g.queue = nil
		g.mu.Unlock()
		for batch := range slices.Chunk(queued, max) {
			g.runBatch(ctx, batch, run)
		}
		g.mu.Lock()
	}
	g.running = false
	g.mu.Unlock()
	res := <-c.done
	return res.r, res.err
}

func (g *batcher[T, R]) runBatch(ctx context.Context, batch []*batchCall[T, R], run func(ctx context.Context, items []T) ([]R, error)) {
	items := make([]T, len(batch))
	for i, c := range batch {
		items[i] = c.item
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), batchTimeout)
	results, err := runSafely(wctx, items, run)
	cancel()
	if err == nil && len(results) != len(batch) {
		err = fmt.Errorf("grouped write returned %d results for %d items", len(results), len(batch))
	}
	for i, c := range batch {
		if err != nil {
			c.done <- batchResult[R]{err: err}
			continue
		}
		c.done <- batchResult[R]{r: results[i]}
	}
}

// runSafely is run with a panic turned into the batch's error: the
// callers waiting on the batch get an answer, and the batcher is not left
// marked as running with nobody to run it.
func runSafely[T, R any](ctx context.Context, items []T, run func(ctx context.Context, items []T) ([]R, error)) (results []R, err error) {
	defer func() {
		if p := recover(); p != nil {
			results, err = nil, fmt.Errorf("batch of %d panicked: %v", len(items), p)
		}
	}()
	return run(ctx, items)
}
