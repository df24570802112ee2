package demo

import (
	"sync"
	"testing"
	"time"
)

// wall is a settable wall clock for the demo clock's tests.
type wall struct {
	mu sync.Mutex
	t  time.Time
}

func (w *wall) now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.t
}

func TestClockAdvanceFiresDueTimersInOrder(t *testing.T) {
	w := &wall{t: time.Date(2026, 12, 2, 17, 0, 0, 0, time.UTC)}
	c := NewClock(w.now)
	late := c.NewTimer(2 * time.Hour)
	early := c.NewTimer(30 * time.Minute)
	never := c.NewTimer(48 * time.Hour)

	c.Advance(3 * time.Hour)
	want := w.t.Add(3 * time.Hour)
	for name, tm := range map[string]interface{ C() <-chan time.Time }{"30m": early, "2h": late} {
		select {
		case got := <-tm.C():
			if !got.Equal(want) {
				t.Errorf("%s timer fired at %v, want %v", name, got, want)
			}
		case <-time.After(time.Second):
			t.Fatalf("%s timer did not fire after a 3 h jump", name)
		}
	}
	select {
	case <-never.C():
		t.Fatal("a timer due in 48 h fired after a 3 h jump")
	default:
	}
	if !never.Stop() {
		t.Error("Stop of a waiting timer = false")
	}
	if early.Stop() {
		t.Error("Stop of a fired timer = true")
	}
	if got := c.Now(); !got.Equal(want) {
		t.Errorf("Now = %v, want %v", got, want)
	}
}

func TestClockNeverGoesBack(t *testing.T) {
	w := &wall{t: time.Date(2026, 12, 2, 17, 0, 0, 0, time.UTC)}
	c := NewClock(w.now)
	c.Advance(-time.Hour)
	if got := c.Now(); !got.Equal(w.t) {
		t.Errorf("after Advance(-1h) Now = %v, want %v", got, w.t)
	}
}

func TestClockTimerFiresWithWallTime(t *testing.T) {
	c := NewClock(time.Now)
	tm := c.NewTimer(20 * time.Millisecond)
	select {
	case <-tm.C():
	case <-time.After(2 * time.Second):
		t.Fatal("a 20 ms timer did not fire as wall time passed")
	}
	if tm := c.NewTimer(0); len(tm.C()) != 1 {
		t.Error("a timer of 0 has not fired at once")
	}
}
