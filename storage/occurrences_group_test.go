package storage

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
)

// TestClaimOccurrencesGrouped fires many occurrences at once from two
// replicas, each with many workers walking them in its own order, as the
// schedulers of two replicas do when a minute's tasks come due. Every
// occurrence must be claimed by exactly one call; every other call must
// see it held elsewhere or posted; and overlapping grouped writes of two
// replicas must never deadlock on PostgreSQL.
func TestClaimOccurrencesGrouped(t *testing.T) {
	target := tempTarget(t)
	ctx := context.Background()
	clock := func() time.Time { return time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC) }
	var dbs []*DB
	for _, holder := range []string{"replica-a", "replica-b"} {
		db, err := Open(ctx, target, WithClock(clock), WithHolder(holder))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	due := time.Date(2026, 11, 21, 9, 59, 0, 0, time.UTC)
	const occurrences, workers = 300, 16
	var created [occurrences]atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, len(dbs)*workers)
	for r, db := range dbs {
		next := make(chan int)
		go func() {
			defer close(next)
			for _, i := range rand.New(rand.NewPCG(uint64(r), 7)).Perm(occurrences) {
				next <- i
			}
		}()
		for range workers {
			wg.Go(func() {
				for i := range next {
					task := fmt.Sprintf("t_%03d", i)
					o, claimed, err := db.ClaimOccurrence(ctx, task, due, false, "C"+task, due.Add(15*time.Minute))
					if err != nil {
						errs <- fmt.Errorf("claim %s: %w", task, err)
						return
					}
					if !claimed {
						if !o.HeldElsewhere && o.TS == "" {
							errs <- fmt.Errorf("claim %s lost, but neither held elsewhere nor posted: %+v", task, o)
						}
						continue
					}
					created[i].Add(1)
					if o.ChannelID != "C"+task || !o.Due.Equal(due) || o.State != domain.OccClaimed {
						errs <- fmt.Errorf("claimed %s as %+v", task, o)
					}
					posted, err := db.SetOccurrencePosted(ctx, o.ID, "1.000"+task[2:])
					if err != nil || posted.TS != "1.000"+task[2:] || posted.State != domain.OccPosted {
						errs <- fmt.Errorf("posted %s = %+v, %v", task, posted, err)
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range created {
		if n := created[i].Load(); n != 1 {
			t.Errorf("occurrence %d claimed %d times, want once", i, n)
		}
	}
	for _, db := range dbs {
		unposted, err := db.UnpostedOccurrences(ctx)
		if err != nil || len(unposted) != 0 {
			t.Errorf("unposted after the firing: %d, %v", len(unposted), err)
		}
	}
}

// TestOccurrenceWritesShareABatch queues claims and posted records
// behind a write under way, as a burst of workers does: they are written
// together, each caller gets its own result, and a ts that differs from
// the recorded one is refused.
func TestOccurrenceWritesShareABatch(t *testing.T) {
	db, _, _ := openClock(t)
	ctx := context.Background()
	due := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	if _, _, err := db.ClaimOccurrence(ctx, "t_z", due, false, "C1", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetOccurrencePosted(ctx, domain.OccurrenceID("t_z", due), "9.9"); err != nil {
		t.Fatal(err)
	}

	db.claims.setRunning()
	type claimed struct {
		o       domain.Occurrence
		created bool
		err     error
	}
	tasks := []string{"t_c", "t_a", "t_z", "t_b"}
	results := make([]chan claimed, len(tasks))
	for i, task := range tasks {
		results[i] = make(chan claimed, 1)
		go func() {
			o, c, err := db.ClaimOccurrence(ctx, task, due, false, "C-"+task, time.Time{})
			results[i] <- claimed{o, c, err}
		}()
	}
	waitQueued(t, &db.claims, len(tasks))
	db.claims.runQueued(ctx, maxOccurrenceGroup, db.claimGroup)
	for i, task := range tasks {
		got := <-results[i]
		if got.err != nil {
			t.Fatalf("claim %s: %v", task, got.err)
		}
		wantCreated := task != "t_z"
		if got.created != wantCreated || got.o.TaskID != task {
			t.Errorf("claim %s = %s created %v, want created %v", task, got.o.TaskID, got.created, wantCreated)
		}
		if task == "t_z" && (got.o.TS != "9.9" || got.o.HeldElsewhere) {
			t.Errorf("claim of a posted occurrence = %+v, want it as posted", got.o)
		}
	}

	db.posts.setRunning()
	posts := []struct{ task, ts string }{{"t_b", "2.2"}, {"t_a", "1.1"}, {"t_z", "8.8"}, {"t_c", "3.3"}}
	errsOut := make([]chan error, len(posts))
	for i, p := range posts {
		errsOut[i] = make(chan error, 1)
		go func() {
			o, err := db.SetOccurrencePosted(ctx, domain.OccurrenceID(p.task, due), p.ts)
			if err == nil && (o.TS != p.ts || o.State != domain.OccPosted) {
				err = fmt.Errorf("recorded as %q in state %s", o.TS, o.State)
			}
			errsOut[i] <- err
		}()
	}
	waitQueued(t, &db.posts, len(posts))
	db.posts.runQueued(ctx, maxOccurrenceGroup, db.postedGroup)
	for i, p := range posts {
		err := <-errsOut[i]
		if p.task == "t_z" {
			if !errors.Is(err, domain.ErrAlreadyPosted) {
				t.Errorf("%s posted as %s again: %v, want ErrAlreadyPosted", p.task, p.ts, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s posted as %s: %v", p.task, p.ts, err)
		}
	}
}

// waitQueued waits until n calls are queued on g.
func waitQueued[T, R any](t *testing.T, g *batcher[T, R], n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		g.mu.Lock()
		k := len(g.queue)
		g.mu.Unlock()
		if k == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls queued, want %d", k, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// setRunning pretends a write is under way, so that calls queue.
func (g *batcher[T, R]) setRunning() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.running = true
}

// runQueued runs the queued calls as the writer would, as one batch each
// of at most max, and ends the pretended write.
func (g *batcher[T, R]) runQueued(ctx context.Context, max int, run func(context.Context, []T) ([]R, error)) {
	g.mu.Lock()
	queued := g.queue
	g.queue, g.running = nil, false
	g.mu.Unlock()
	for batch := range slices.Chunk(queued, max) {
		g.runBatch(ctx, batch, run)
	}
}
