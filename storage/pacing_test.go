package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
)

// TestReservePaceBatched queues reservations behind one under way, as a
// burst of posts to many channels does: the batch gives each the slot a
// reservation of its own would have had, a key reserved several times in
// the batch queues in arrival order, and posts and updates keep their
// own intervals.
func TestReservePaceBatched(t *testing.T) {
	db, _, _ := openClock(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	db.paces.setRunning()
	reqs := []struct {
		key      string
		interval time.Duration
		burst    int
	}{
		{"C2", time.Second, 1}, {"C1", time.Second, 1}, {"C1", time.Second, 1},
		{"chat.update", 1200 * time.Millisecond, 1}, {"C1", time.Second, 1}, {"chat.update", 1200 * time.Millisecond, 1},
	}
	got := make([]chan time.Duration, len(reqs))
	for i, r := range reqs {
		got[i] = make(chan time.Duration, 1)
		go func() {
			at, err := db.ReservePace(ctx, r.key, r.interval, r.burst, now)
			if err != nil {
				t.Error(err)
			}
			got[i] <- at.Sub(now)
		}()
		waitQueued(t, &db.paces, i+1) // arrival order is the test's order
	}
	db.paces.runQueued(ctx, maxPaceBatch, db.reservePaces)
	var slots []time.Duration
	for _, c := range got {
		slots = append(slots, <-c)
	}
	want := []time.Duration{0, 0, time.Second, 0, 2 * time.Second, 1200 * time.Millisecond}
	if !slices.Equal(slots, want) {
		t.Errorf("slots %v, want %v", slots, want)
	}
}

// TestTaskReadsBatched: look-ups queued behind one under way share a
// query, each getting its own task or domain.ErrNotFound.
func TestTaskReadsBatched(t *testing.T) {
	db, _, _ := openClock(t)
	ctx := context.Background()
	var ids []string
	for i := range 3 {
		task, err := db.SaveTask(ctx, validTask(fmt.Sprintf("Check %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, task.ID)
	}
	ids = append(ids, "t_missing", ids[0])
	db.taskReads.setRunning()
	type read struct {
		task domain.Task
		err  error
	}
	got := make([]chan read, len(ids))
	for i, id := range ids {
		got[i] = make(chan read, 1)
		go func() {
			task, err := db.Task(ctx, id)
			got[i] <- read{task, err}
		}()
	}
	waitQueued(t, &db.taskReads, len(ids))
	db.taskReads.runQueued(ctx, maxTaskReadBatch, db.readTasks)
	for i, id := range ids {
		r := <-got[i]
		if id == "t_missing" {
			if !errors.Is(r.err, domain.ErrNotFound) {
				t.Errorf("Task(%s) = %v, want ErrNotFound", id, r.err)
			}
			continue
		}
		if r.err != nil || r.task.ID != id {
			t.Errorf("Task(%s) = %s, %v", id, r.task.ID, r.err)
		}
	}
}

// TestBatcherSurvivesAPanic: a batch whose statement panics fails its
// callers with an error, and the next caller is served.
func TestBatcherSurvivesAPanic(t *testing.T) {
	var b batcher[int, int]
	ctx := context.Background()
	_, err := b.do(ctx, 1, 10, func(context.Context, []int) ([]int, error) { panic("driver bug") })
	if err == nil {
		t.Fatal("a panicking batch returned no error")
	}
	got, err := b.do(ctx, 2, 10, func(_ context.Context, items []int) ([]int, error) { return []int{items[0] * 10}, nil })
	if err != nil || got != 20 {
		t.Errorf("after a panic: %d, %v; want 20", got, err)
	}
}

// TestAppendRow numbers a row's parameters after those already taken.
func TestAppendRow(t *testing.T) {
	var b strings.Builder
	args := appendRow(&b, true, []any{"now"}, "(?, 'x', ?::int)", "a", 1)
	args = appendRow(&b, false, args, "(?, 'x', ?::int)", "b", 2)
	if got, want := b.String(), "($2, 'x', $3::int), ($4, 'x', $5::int)"; got != want {
		t.Errorf("rows %q, want %q", got, want)
	}
	if got, want := fmt.Sprint(args), "[now a 1 b 2]"; got != want {
		t.Errorf("args %s, want %s", got, want)
	}
}
