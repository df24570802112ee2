package scheduler

import (
	"context"
	"testing"
	"time"
)

func TestSleepUntil(t *testing.T) {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := NewFakeClock(start)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	done := make(chan error, 1)
	go func() { done <- SleepUntil(ctx, clock, start.Add(time.Hour), nil) }()
	clock.BlockUntil(1)
	clock.Advance(time.Hour)
	if err := <-done; err != nil {
		t.Fatalf("timer: %v", err)
	}

	wake := make(chan struct{}, 1)
	wake <- struct{}{}
	if err := SleepUntil(ctx, clock, time.Time{}, wake); err != nil {
		t.Fatalf("wake: %v", err)
	}
	if err := SleepUntil(ctx, clock, start, nil); err != nil {
		t.Fatalf("already due: %v", err)
	}
	cancel()
	if err := SleepUntil(ctx, clock, time.Time{}, nil); err != context.Canceled {
		t.Fatalf("cancelled: %v", err)
	}
}
