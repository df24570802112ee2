package slackfake

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"
)

// socketState is the Socket Mode part of Server, guarded by Server.mu.
type socketState struct {
	cur         *conn           // the newest live websocket, if any
	live        []*conn         // every open websocket, oldest first
	refused     int             // websockets refused with too_many_websockets
	opening     int             // websockets between upgrade and hello
	rng         *rand.Rand      // picks an envelope's socket (MaxConnections > 0)
	connections int             // websockets that got a hello
	tickets     map[string]bool // issued, unused apps.connections.open tickets
	openErr     string          // forced apps.connections.open error
	outbox      []outItem       // frames waiting for a socket
}

// conn is one websocket connection.
type conn struct {
	id       int
	ws       *websocket.Conn
	wake     chan struct{} // cap 1: the outbox has something
	done     chan struct{} // closed by teardown
	closed   bool          // guarded by Server.mu
	inflight map[string]*envelope
}

// outItem is a frame to write: an envelope, or raw bytes optionally bound
// to one connection (connID 0 means whichever is open).
type outItem struct {
	env    *envelope
	raw    []byte
	connID int
	picked bool // connID was picked at random, not asked for
}

var upgrader = websocket.Upgrader{
	// slack-go dials with Origin: https://api.slack.com.
	CheckOrigin: func(*http.Request) bool { return true },
}

func (s *Server) initSocket() {
	s.tickets = map[string]bool{}
	s.rng = rand.New(rand.NewPCG(uint64(s.opts.Seed), 0x70ba))
}

// Connections is the number of websocket connections that got a hello.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connections
}

// Connected reports whether a websocket is open.
func (s *Server) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur != nil
}

// WaitConnected waits until Connections() >= n and a websocket is open.
func (s *Server) WaitConnected(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return s.connections >= n && s.cur != nil })
}

// Disconnect sends a Socket Mode disconnect message with that reason
// ("refresh_requested", "warning", "link_disabled", …) on the open socket.
// It does nothing when no socket is open.
func (s *Server) Disconnect(reason string) {
	frame, _ := json.Marshal(map[string]any{
		"type":       "disconnect",
		"reason":     reason,
		"debug_info": map[string]any{"host": "fake"},
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return
	}
	s.enqueueLocked(outItem{raw: frame, connID: s.cur.id})
}

// DropConnection closes the open websocket's TCP connection abruptly,
// without a close frame.
func (s *Server) DropConnection() {
	s.mu.Lock()
	c := s.cur
	s.mu.Unlock()
	if c != nil {
		s.teardown(c)
	}
}

// SetPinging stops (false) or resumes (true) the server's websocket PINGs.
func (s *Server) SetPinging(on bool) { s.pinging.Store(on) }

// SetConnectionsOpenError makes apps.connections.open answer
// {"ok":false,"error":err}; "" restores normal answers.
func (s *Server) SetConnectionsOpenError(err string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.openErr = err
}

// SendRaw writes raw bytes as one text frame, queued until a socket is open.
func (s *Server) SendRaw(frame []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enqueueLocked(outItem{raw: clone(frame)})
}

// appsConnectionsOpen answers apps.connections.open; the caller checked auth.
func (s *Server) appsConnectionsOpen(*apiReq) reply {
	if s.openErr != "" {
		return fail(s.openErr)
	}
	t := strconv.FormatInt(s.nextLocked(), 10)
	s.tickets[t] = true
	return ok(map[string]any{"url": "ws://" + s.host + "/link/?ticket=" + t})
}

// serveLink upgrades a ticketed request to the Socket Mode websocket.
func (s *Server) serveLink(w http.ResponseWriter, r *http.Request) {
	t := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.tickets[t] && !s.closed
	delete(s.tickets, t)
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	if s.refuseFull(ws) {
		return
	}
	s.mu.Lock()
	numConns := len(s.live) + 1
	s.mu.Unlock()
	if !s.multi() {
		numConns = 1 // the old socket is about to go
	}
	hello, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": numConns,
		"debug_info": map[string]any{
			"host": "fake", "build_number": 1, "approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": AppID},
	})
	if err := ws.WriteMessage(websocket.TextMessage, hello); err != nil {
		s.mu.Lock()
		s.openedLocked()
		s.mu.Unlock()
		_ = ws.Close()
		return
	}

	c := &conn{
		ws:       ws,
		wake:     make(chan struct{}, 1), // the writer drains the outbox first anyway
		done:     make(chan struct{}),
		inflight: map[string]*envelope{},
	}
	s.mu.Lock()
	s.openedLocked()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	old := s.cur
	s.connections++
	c.id = s.connections
	s.cur = c
	s.live = append(s.live, c)
	if s.multi() {
		old = nil // Slack keeps every socket up to the limit
	}
	s.wg.Add(2) // writeLoop and readLoop
	s.notifyLocked()
	s.mu.Unlock()
	if old != nil {
		// Envelopes keep going to the newest socket only.
		s.teardown(old)
	}
	go s.writeLoop(c)
	s.readLoop(c)
}

// teardown closes c without a close frame and settles its unacked
// envelopes. It is idempotent.
func (s *Server) teardown(c *conn) {
	s.mu.Lock()
	if c.closed {
		s.mu.Unlock()
		return
	}
	c.closed = true
	s.dropLiveLocked(c)
	for _, e := range sortedEnvelopes(c.inflight) {
		s.connLostLocked(e)
	}
	clear(c.inflight)
	s.notifyLocked()
	s.mu.Unlock()
	close(c.done)
	_ = c.ws.Close()
}

// enqueueLocked adds a frame to the outbox and wakes the writer: with
// several sockets, the writer of one picked at random.
func (s *Server) enqueueLocked(it outItem) {
	if s.multi() && it.connID == 0 {
		if c := s.pickLocked(it.avoid()); c != nil {
			it.connID, it.picked = c.id, true
		}
	}
	s.outbox = append(s.outbox, it)
	s.wakeLocked(it.connID)
}

// wakeLocked wakes the writer of socket id, or of every socket for 0.
func (s *Server) wakeLocked(id int) {
	for _, c := range s.live {
		if id != 0 && c.id != id {
			continue
		}
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// nextItem pops the next frame for c; ok is false once c is closed.
func (s *Server) nextItem(c *conn) (it outItem, has, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.multi() {
		return s.nextItemMultiLocked(c)
	}
	if c.closed || s.cur != c {
		return outItem{}, false, false
	}
	for len(s.outbox) > 0 {
		it = s.outbox[0]
		s.outbox[0] = outItem{}
		s.outbox = s.outbox[1:]
		if it.connID == 0 || it.connID == c.id {
			if it.env != nil {
				it.raw = it.env.frame
			}
			return it, true, true
		}
		// Bound to a socket that is gone: drop it.
	}
	s.outbox = nil
	return outItem{}, false, true
}

// writeLoop is the only writer of data frames and pings on c.
func (s *Server) writeLoop(c *conn) {
	defer s.wg.Done()
	ticker := time.NewTicker(s.opts.PingInterval)
	defer ticker.Stop()
	for {
		it, has, ok := s.nextItem(c)
		if !ok {
			return
		}
		if has {
			if err := s.writeItem(c, it); err != nil {
				s.mu.Lock()
				if it.env != nil || it.connID == 0 {
					// Never written: it goes out on the next socket.
					s.outbox = append([]outItem{it}, s.outbox...)
				}
				s.mu.Unlock()
				s.teardown(c)
				return
			}
			continue
		}
		select {
		case <-c.done:
			return
		case <-c.wake:
		case <-ticker.C:
			if !s.pinging.Load() {
				continue
			}
			deadline := time.Now().Add(10 * time.Second)
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), deadline); err != nil {
				s.teardown(c)
				return
			}
		}
	}
}

func (s *Server) writeItem(c *conn, it outItem) error {
	start := time.Now()
	if it.env != nil {
		// Stamped before the write: a fast client can ack before the write
		// call returns, and its latency must still be measured.
		s.mu.Lock()
		it.env.sentAt = start
		s.mu.Unlock()
	}
	_ = c.ws.SetWriteDeadline(start.Add(10 * time.Second))
	if err := c.ws.WriteMessage(websocket.TextMessage, it.raw); err != nil {
		return err
	}
	if it.env != nil {
		s.mu.Lock()
		s.markWrittenLocked(c, it.env, start)
		s.mu.Unlock()
	}
	return nil
}

// readLoop reads acks from c until the connection fails.
func (s *Server) readLoop(c *conn) {
	defer s.wg.Done()
	defer s.teardown(c)
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if typ != websocket.TextMessage {
			continue
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			s.mu.Lock()
			s.badFrames++
			s.notifyLocked()
			s.mu.Unlock()
			continue
		}
		s.recordAck(ack.EnvelopeID, ack.Payload, time.Now())
	}
}
