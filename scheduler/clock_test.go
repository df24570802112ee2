package scheduler

import (
	"testing"
	"time"
)

func TestFakeClock(t *testing.T) {
	start := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	c := NewFakeClock(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now = %s, want %s", got, start)
	}
	late := c.NewTimer(2 * time.Hour)
	early := c.NewTimer(time.Hour)
	stopped := c.NewTimer(30 * time.Minute)
	now := c.NewTimer(0)
	select {
	case <-now.C():
	default:
		t.Fatalf("a timer for 0 has not fired")
	}
	c.BlockUntil(3)
	if !stopped.Stop() {
		t.Fatalf("Stop on a waiting timer = false, want true")
	}
	if stopped.Stop() {
		t.Fatalf("second Stop = true, want false")
	}
	if n := c.Waiters(); n != 2 {
		t.Fatalf("Waiters = %d, want 2", n)
	}

	c.Advance(59 * time.Minute)
	select {
	case <-early.C():
		t.Fatalf("timer fired a minute early")
	default:
	}
	c.Advance(time.Minute)
	select {
	case got := <-early.C():
		if want := start.Add(time.Hour); !got.Equal(want) {
			t.Fatalf("timer delivered %s, want %s", got, want)
		}
	default:
		t.Fatalf("timer did not fire at its time")
	}
	if early.Stop() {
		t.Fatalf("Stop after firing = true, want false")
	}

	c.Set(start.Add(3 * time.Hour))
	select {
	case <-late.C():
	default:
		t.Fatalf("Set past a timer did not fire it")
	}
	if n := c.Waiters(); n != 0 {
		t.Fatalf("Waiters = %d, want 0", n)
	}

	// BlockUntil returns once another goroutine starts waiting.
	go func() { c.NewTimer(time.Minute) }()
	c.BlockUntil(1)
}

func TestRealClock(t *testing.T) {
	c := RealClock()
	if d := time.Since(c.Now()); d < 0 || d > time.Minute {
		t.Fatalf("RealClock.Now is %s off", d)
	}
	tm := c.NewTimer(time.Millisecond)
	select {
	case <-tm.C():
	case <-time.After(wait):
		t.Fatalf("real timer did not fire")
	}
	if tm.Stop() {
		t.Fatalf("Stop after firing = true")
	}
}
