package slackfake

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/gorilla/websocket"
)

// Several Socket Mode connections at once (Options.MaxConnections > 0), as
// Slack holds for an app whose replicas each open one.

// multi reports whether the fake holds several sockets.
func (s *Server) multi() bool { return s.opts.MaxConnections > 0 }

// LiveConnections is the number of websockets open now.
func (s *Server) LiveConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live)
}

// WaitLive waits until n websockets are open at once.
func (s *Server) WaitLive(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return len(s.live) >= n })
}

// TooManyRefused is how many connections were refused with
// too_many_websockets because MaxConnections were open.
func (s *Server) TooManyRefused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// WaitRefused waits until TooManyRefused() >= n.
func (s *Server) WaitRefused(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return s.refused >= n })
}

// refuseFull answers a connection beyond MaxConnections as Slack does: a
// disconnect with reason too_many_websockets instead of a hello, then the
// socket closes. The check counts sockets still between upgrade and
// hello, so a burst of dials cannot overshoot the limit.
func (s *Server) refuseFull(ws *websocket.Conn) bool {
	if !s.multi() {
		return false
	}
	s.mu.Lock()
	full := len(s.live)+s.opening >= s.opts.MaxConnections
	if full {
		s.refused++
		s.notifyLocked()
	} else {
		s.opening++
	}
	s.mu.Unlock()
	if !full {
		return false
	}
	frame, _ := json.Marshal(map[string]any{
		"type":       "disconnect",
		"reason":     "too_many_websockets",
		"debug_info": map[string]any{"host": "fake"},
	})
	_ = ws.WriteMessage(websocket.TextMessage, frame)
	_ = ws.Close()
	return true
}

// openedLocked ends refuseFull's reservation of a slot.
func (s *Server) openedLocked() {
	if s.multi() && s.opening > 0 {
		s.opening--
	}
}

// pickLocked picks an open socket at random, other than avoid when
// another is open; nil when none is.
func (s *Server) pickLocked(avoid int) *conn {
	var from []*conn
	for _, c := range s.live {
		if c.id != avoid && !c.closed {
			from = append(from, c)
		}
	}
	if len(from) == 0 {
		for _, c := range s.live {
			if !c.closed {
				from = append(from, c)
			}
		}
	}
	if len(from) == 0 {
		return nil
	}
	return from[s.rng.IntN(len(from))]
}

// avoid is the socket an item should not be sent on if another is open.
func (it outItem) avoid() int {
	if it.env != nil {
		return it.env.avoid
	}
	return 0
}

// dropLiveLocked forgets c as an open socket. With several sockets, the
// envelopes waiting for c go to another one; frames meant for c alone are
// dropped.
func (s *Server) dropLiveLocked(c *conn) {
	s.live = slices.DeleteFunc(s.live, func(o *conn) bool { return o == c })
	if s.cur == c {
		s.cur = nil
		if n := len(s.live); n > 0 {
			s.cur = s.live[n-1]
		}
	}
	if !s.multi() {
		return
	}
	kept := s.outbox[:0]
	for _, it := range s.outbox {
		if it.connID == c.id {
			if it.env == nil && !it.picked {
				continue
			}
			it.connID, it.picked = 0, false
			if t := s.pickLocked(it.avoid()); t != nil {
				it.connID, it.picked = t.id, true
				s.wakeLocked(t.id)
			}
		}
		kept = append(kept, it)
	}
	s.outbox = kept
}

// nextItemMultiLocked pops the next frame for c. Frames queued while no
// socket was open are spread at random as writers ask for them.
func (s *Server) nextItemMultiLocked(c *conn) (it outItem, has, ok bool) {
	if c.closed {
		return outItem{}, false, false
	}
	for i := 0; i < len(s.outbox); i++ {
		it = s.outbox[i]
		if it.connID == 0 {
			t := s.pickLocked(it.avoid())
			if t == nil {
				continue
			}
			it.connID, it.picked = t.id, true
			s.outbox[i] = it
			if t != c {
				s.wakeLocked(t.id)
				continue
			}
		}
		if it.connID != c.id {
			continue
		}
		s.outbox = slices.Delete(s.outbox, i, i+1)
		if it.env != nil {
			it.raw = it.env.frame
		}
		return it, true, true
	}
	return outItem{}, false, true
}
