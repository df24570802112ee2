package demo

import (
	"sync"
	"time"

	"github.com/tobanbot/toban/scheduler"
)

// Clock is the demo's time: it runs at the speed of the wall clock, so
// cards say "2 minutes ago" as they would in Slack, and the page's clock
// control jumps it forward, so that a reminder due tomorrow fires now.
// Every part of the demo (the bot, both fakes) reads this one clock, so a
// jump is seen the same way everywhere; it never goes back, because
// PagerDuty's log and Slack's message timestamps only grow.
type Clock struct {
	real func() time.Time

	mu     sync.Mutex
	offset time.Duration
	timers map[*clockTimer]struct{}
}

var _ scheduler.Clock = (*Clock)(nil)

// NewClock returns a clock that runs with real (time.Now, given by
// cmd/toban, which alone may read the machine's clock).
func NewClock(real func() time.Time) *Clock {
	return &Clock{real: real, timers: map[*clockTimer]struct{}{}}
}

// Now returns the demo's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time { return c.real().Add(c.offset) }

// NewTimer returns a timer that fires when the demo's time reaches
// Now()+d: after d of wall time, or sooner when Advance jumps past it.
func (c *Clock) NewTimer(d time.Duration) scheduler.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &clockTimer{clock: c, ch: make(chan time.Time, 1), when: c.nowLocked().Add(d)}
	if d <= 0 {
		t.ch <- c.nowLocked()
		t.done = true
		return t
	}
	c.timers[t] = struct{}{}
	t.real = time.AfterFunc(d, func() { c.fire(t) })
	return t
}

// Advance moves the demo's time forward by d, firing every timer that
// comes due, earliest first. A negative d is ignored: time never goes back.
func (c *Clock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
	now := c.nowLocked()
	for {
		var first *clockTimer
		for t := range c.timers {
			if !t.when.After(now) && (first == nil || t.when.Before(first.when)) {
				first = t
			}
		}
		if first == nil {
			break
		}
		c.fireLocked(first, now)
	}
	// Timers still waiting are re-armed for the wall time left to them.
	for t := range c.timers {
		t.real.Reset(t.when.Sub(now))
	}
}

func (c *Clock) fire(t *clockTimer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.nowLocked()
	if t.when.After(now) {
		// The wall-time timer raced an Advance that re-armed it.
		return
	}
	c.fireLocked(t, now)
}

func (c *Clock) fireLocked(t *clockTimer, now time.Time) {
	if t.done {
		return
	}
	t.done = true
	delete(c.timers, t)
	t.real.Stop()
	t.ch <- now
}

type clockTimer struct {
	clock *Clock
	ch    chan time.Time
	when  time.Time
	real  *time.Timer
	done  bool // guarded by clock.mu
}

func (t *clockTimer) C() <-chan time.Time { return t.ch }

func (t *clockTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.done {
		return false
	}
	t.done = true
	delete(c.timers, t)
	if t.real != nil {
		t.real.Stop()
	}
	return true
}
