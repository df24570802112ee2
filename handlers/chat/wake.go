package chat

import (
	"sync"
	"time"
)

// Waker nudges a feature's loop that sleeps until its next due time: a
// change may have moved that time. Its zero value is ready; a wake while
// one is pending is dropped.
type Waker struct {
	once sync.Once
	ch   chan struct{}
}

// C is the channel the loop waits on.
func (w *Waker) C() chan struct{} {
	w.once.Do(func() { w.ch = make(chan struct{}, 1) })
	return w.ch
}

// Wake nudges the loop.
func (w *Waker) Wake() {
	select {
	case w.C() <- struct{}{}:
	default: // a wake is pending already
	}
}

// Earliest is the earliest non-zero time of ts (zero if none): the next
// moment a loop that watches several kinds of deadline must wake.
func Earliest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if !t.IsZero() && (out.IsZero() || t.Before(out)) {
			out = t
		}
	}
	return out
}
