package scheduler

import (
	"sync"
	"time"
)

// Clock is the engine's source of time, so tests can drive it.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer: C delivers one time when it fires.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing and reports whether it did so (false
	// when it had already fired or been stopped).
	Stop() bool
}

// RealClock returns the system clock.
func RealClock() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time { return t.t.C }
func (t realTimer) Stop() bool          { return t.t.Stop() }

// FakeClock is a Clock for tests: time moves only when the test says so.
// It is safe for concurrent use.
type FakeClock struct {
	mu      sync.Mutex
	changed *sync.Cond // broadcast whenever the set of waiting timers changes
	now     time.Time
	timers  []*fakeTimer // waiting, in no order
}

// NewFakeClock returns a FakeClock showing start.
func NewFakeClock(start time.Time) *FakeClock {
	c := &FakeClock{now: start}
	c.changed = sync.NewCond(&c.mu)
	return c
}

// Now returns the clock's current time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that fires when the clock reaches Now()+d; one
// with d <= 0 has fired already.
func (c *FakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clock: c, ch: make(chan time.Time, 1), when: c.now.Add(d)}
	if d <= 0 {
		t.ch <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	c.changed.Broadcast()
	return t
}

// Advance moves the clock forward by d and fires every timer that comes due,
// earliest first.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(c.now.Add(d))
}

// Set moves the clock to t (forward or back) and fires every timer due at or
// before t, earliest first.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(t)
}

func (c *FakeClock) setLocked(t time.Time) {
	c.now = t
	for {
		first := -1
		for i, tm := range c.timers {
			if !tm.when.After(t) && (first < 0 || tm.when.Before(c.timers[first].when)) {
				first = i
			}
		}
		if first < 0 {
			break
		}
		tm := c.timers[first]
		c.removeLocked(first)
		tm.ch <- t // buffered, and each timer fires once
	}
	c.changed.Broadcast()
}

// BlockUntil waits until at least n timers are waiting to fire. Tests call
// it to know that the code under test has gone to sleep, instead of
// sleeping themselves.
func (c *FakeClock) BlockUntil(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.timers) < n {
		c.changed.Wait()
	}
}

// Waiters returns how many timers are waiting to fire.
func (c *FakeClock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

func (c *FakeClock) removeLocked(i int) {
	last := len(c.timers) - 1
	c.timers[i] = c.timers[last]
	c.timers[last] = nil
	c.timers = c.timers[:last]
}

type fakeTimer struct {
	clock *FakeClock
	ch    chan time.Time
	when  time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, tm := range c.timers {
		if tm == t {
			c.removeLocked(i)
			c.changed.Broadcast()
			return true
		}
	}
	return false
}
