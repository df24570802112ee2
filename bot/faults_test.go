package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/handlers"
	"github.com/tobanbot/toban/handlers/chat"
)

// Fault injection on the Socket Mode loop: the websocket breaks in every
// way Slack's can while envelopes are arriving, and every envelope must
// still be acked or redelivered, and handled once.

// tally counts how often each key (event_id, slash text) was handled.
type tally struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *tally) add(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[key]++
}

func (c *tally) get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

func (c *tally) distinct() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.n)
}

// eventCounter is a handler counting Events API events by event_id.
func eventCounter(c *tally) *stubHandler {
	return &stubHandler{event: func(ctx context.Context, ev slackevents.EventsAPIEvent) chat.Response {
		if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
			c.add(cb.EventID)
		}
		return chat.Response{}
	}}
}

func homeOpened(user string) map[string]any {
	return map[string]any{"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"}
}

// settledEvents reports whether every event's newest delivery is acked
// (or given up by the fake), and how many deliveries were written in all.
func settledEvents(fake *slackfake.Server, ids []string) (settled bool, deliveries int) {
	latest := map[string]slackfake.Envelope{}
	for _, e := range fake.Envelopes() {
		if e.EventID == "" {
			continue
		}
		if old, ok := latest[e.EventID]; !ok || e.RetryAttempt >= old.RetryAttempt {
			latest[e.EventID] = e
		}
	}
	settled = true
	for _, id := range ids {
		e, ok := latest[id]
		if !ok || !(e.Acked || e.Lost) {
			settled = false
		}
		deliveries += fake.Deliveries(id)
	}
	return settled, deliveries
}

// quiet waits until no envelope is being answered, so counts are final.
func (h *harness) quiet(t *testing.T) {
	t.Helper()
	waitFor(t, "envelopes in flight to finish", func() bool { return len(h.bot.inFlight) == 0 })
}

// expectEachOnce checks that every event was handled exactly once and
// that none of them was given up by the fake.
func expectEachOnce(t *testing.T, h *harness, c *tally, ids []string) {
	t.Helper()
	for _, id := range ids {
		if got := c.get(id); got != 1 {
			t.Errorf("event %s handled %d times, want 1", id, got)
		}
	}
	if got := c.distinct(); got != len(ids) {
		t.Errorf("%d distinct events handled, want %d", got, len(ids))
	}
	for _, e := range h.slack.Envelopes() {
		if e.Lost {
			t.Errorf("event %s (attempt %d) ran out of redeliveries", e.EventID, e.RetryAttempt)
		}
	}
}

// burst sends n app_home_opened events with distinct event_ids, calling
// fault once a quarter of them are acked; the second half follows one
// every pace.
func burst(t *testing.T, h *harness, n int, pace time.Duration, fault func()) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("EvBurst%04d", i)
	}
	for _, id := range ids[:n/2] {
		h.slack.SendEvent(id, homeOpened("U1"))
	}
	// Mid-burst: some acked, the rest being written and answered. (By
	// event: a redelivery has a new envelope_id.)
	waitFor(t, "a quarter of the burst acked", func() bool {
		acked := map[string]bool{}
		for _, e := range h.slack.Envelopes() {
			if e.Acked && e.EventID != "" {
				acked[e.EventID] = true
			}
		}
		return len(acked) >= n/4
	})
	fault()
	for _, id := range ids[n/2:] {
		h.slack.SendEvent(id, homeOpened("U1"))
		if pace > 0 {
			time.Sleep(pace)
		}
	}
	return ids
}

func TestFaultWebsocketDroppedMidBurst(t *testing.T) {
	t.Parallel()
	var handled tally
	// Redelivery only on a lost connection, so the drop is the only cause.
	h := start(t, eventCounter(&handled), Config{}, slackfake.Options{RedeliverAfter: -1})

	var dropped int
	ids := burst(t, h, 200, 0, func() {
		dropped = h.slack.Connections()
		h.slack.DropConnection()
	})
	h.waitConnected(t, dropped+1)
	var deliveries int
	waitFor(t, "every event acked", func() bool {
		var ok bool
		ok, deliveries = settledEvents(h.slack, ids)
		return ok
	})
	h.quiet(t)
	expectEachOnce(t, h, &handled, ids)
	t.Logf("200 events, %d deliveries (%d redelivered after the drop)", deliveries, deliveries-len(ids))
}

func TestFaultServerStopsPingingMidBurst(t *testing.T) {
	t.Parallel()
	var handled tally
	h := start(t, eventCounter(&handled), Config{PingTimeout: 400 * time.Millisecond},
		slackfake.Options{PingInterval: 50 * time.Millisecond, RedeliverAfter: -1})

	// The second half trickles in over 500 ms: to the silent socket, while
	// the client gives it up, and to the next one. Pings resume once the
	// client has reconnected (the fake's switch is global).
	resumed := make(chan struct{})
	var silent int
	ids := burst(t, h, 200, 5*time.Millisecond, func() {
		silent = h.slack.Connections()
		h.slack.SetPinging(false)
		go func() {
			defer close(resumed)
			// Not waitFor: t.Fatal must not run here; waitConnected reports.
			for deadline := time.Now().Add(10 * time.Second); h.slack.Connections() <= silent && time.Now().Before(deadline); {
				time.Sleep(2 * time.Millisecond)
			}
			h.slack.SetPinging(true)
		}()
	})
	<-resumed
	h.waitConnected(t, silent+1)
	var deliveries int
	waitFor(t, "every event acked", func() bool {
		var ok bool
		ok, deliveries = settledEvents(h.slack, ids)
		return ok
	})
	h.quiet(t)
	expectEachOnce(t, h, &handled, ids)
	t.Logf("200 events, %d deliveries over %d connections", deliveries, h.slack.Connections())
}

// Slack never redelivers slash commands: one written to a socket that
// closes before its ack is gone (the fake marks it Lost). Each must be
// either acked with its own answer or lost, and handled at most once.
func TestFaultRefreshRequestedDuringSlashBurst(t *testing.T) {
	t.Parallel()
	var handled tally
	h := start(t, &stubHandler{slash: func(ctx context.Context, c slack.SlashCommand) chat.Response {
		handled.add(c.Text)
		return chat.Response{Ack: chat.AckMessage(chat.Message{Text: "answer to " + c.Text})}
	}}, Config{}, slackfake.Options{})

	const n = 200
	text := map[string]string{} // envelope_id → text
	for i := range n {
		if i == n/2 {
			h.slack.Disconnect("refresh_requested")
		}
		cmd := fmt.Sprintf("cmd-%03d", i)
		text[slash(h.slack, cmd)] = cmd
	}
	h.waitConnected(t, 2)
	waitFor(t, "every slash command acked or lost", func() bool {
		for _, e := range h.slack.Envelopes() {
			if e.Type == "slash_commands" && !e.Acked && !e.Lost {
				return false
			}
		}
		return true
	})
	h.quiet(t)

	acked, lost := 0, 0
	for _, e := range h.slack.Envelopes() {
		cmd := text[e.ID]
		if e.Type != "slash_commands" || cmd == "" {
			continue
		}
		got := handled.get(cmd)
		switch {
		case e.Acked:
			acked++
			if got != 1 {
				t.Errorf("%s acked but handled %d times, want 1", cmd, got)
			}
			a := ack(t, h.slack, e.ID)
			if !strings.Contains(string(a.Payload), "answer to "+cmd) {
				t.Errorf("ack of %s = %s, want its own answer", cmd, a.Payload)
			}
			if c := h.slack.AckCount(e.ID); c != 1 {
				t.Errorf("%s acked %d times, want 1", cmd, c)
			}
		case e.Lost:
			lost++
			if got > 1 {
				t.Errorf("%s lost but handled %d times, want at most 1", cmd, got)
			}
		}
	}
	if acked+lost != n {
		t.Errorf("acked %d + lost %d = %d, want all %d settled", acked, lost, acked+lost, n)
	}
	t.Logf("%d slash commands: %d acked, %d lost with the old socket", n, acked, lost)
	// The loop is alive on the new socket.
	ack(t, h.slack, slash(h.slack, "after"))
}

// countingApp is the real handlers.App (with no dependencies: nothing
// below may reach PagerDuty, Slack or the database) that counts what it
// was given and the follow-up work it asked for.
type countingApp struct {
	app              handlers.App
	calls, followUps atomic.Int32
}

func (c *countingApp) Slash(ctx context.Context, cmd slack.SlashCommand) chat.Response {
	c.calls.Add(1)
	res := c.app.Slash(ctx, cmd)
	if res.Then != nil {
		c.followUps.Add(1)
	}
	return res
}

func (c *countingApp) Interaction(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	c.calls.Add(1)
	return chat.Response{}
}

func (c *countingApp) Event(ctx context.Context, ev slackevents.EventsAPIEvent) chat.Response {
	c.calls.Add(1)
	res := c.app.Event(ctx, ev)
	if res.Then != nil {
		c.followUps.Add(1)
	}
	return res
}

func TestFaultMalformedAndOversizedEnvelopes(t *testing.T) {
	t.Parallel()
	c := &countingApp{}
	h := start(t, c, Config{}, slackfake.Options{})

	huge := strings.Repeat("x", 1<<20)
	bigSlash, _ := json.Marshal(map[string]any{
		"envelope_id": "oversized-slash", "type": "slash_commands", "accepts_response_payload": true,
		"payload": map[string]any{"command": "/toban", "text": "oncall " + huge, "user_id": "U1", "channel_id": "C1",
			"response_url": h.slack.URL() + "nowhere"},
	})
	bigEvent, _ := json.Marshal(map[string]any{
		"envelope_id": "oversized-event", "type": "events_api",
		"payload": map[string]any{"type": "event_callback", "event_id": "EvHuge", "event_time": 1700000000,
			"event": map[string]any{"type": "app_mention", "user": "U1", "channel": "C1", "text": huge, "ts": "1.2"}},
	})
	tests := []struct {
		name  string
		frame []byte
		// ackID is the envelope that must be acked; "" when the frame
		// cannot be acked (no id can be read from it).
		ackID string
		// calls is how often the handler may see it: the oversized
		// slash command is answered with usage, the oversized event of a
		// type toban ignores is dropped by the handler.
		calls int32
	}{
		{"OversizedSlashText", bigSlash, "oversized-slash", 1},
		{"OversizedUnknownEvent", bigEvent, "oversized-event", 1},
		{"InvalidJSON", []byte(`{"envelope_id":"broken","type":"slash_commands","payload":{"text":`), "", 0},
		{"NotJSONAtAll", []byte("\x00\xff garbage"), "", 0},
		{"MissingEnvelopeID", []byte(`{"type":"slash_commands","accepts_response_payload":true,` +
			`"payload":{"command":"/toban","text":"help","user_id":"U1","channel_id":"C1"}}`), "", 0},
		{"UnknownType", []byte(`{"envelope_id":"mystery","type":"brand_new_type","payload":{"a":1}}`), "mystery", 0},
		{"PayloadWrongType", []byte(`{"envelope_id":"wrong-payload","type":"interactive","payload":[1,2,3]}`), "wrong-payload", 0},
		// slack-go decodes a null events_api payload as an empty event; toban's
		// handler ignores it (no follow-up work, checked below).
		{"NullPayload", []byte(`{"envelope_id":"null-payload","type":"events_api","payload":null}`), "null-payload", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := c.calls.Load()
			h.slack.SendRaw(tt.frame)
			// A valid envelope right behind proves the loop read past it.
			probe := slash(h.slack, "help")
			a := ack(t, h.slack, probe)
			if !strings.Contains(string(a.Payload), "/toban oncall") {
				t.Errorf("help after %s = %s, want the help answer", tt.name, a.Payload)
			}
			if tt.ackID != "" {
				ack(t, h.slack, tt.ackID)
				if n := h.slack.AckCount(tt.ackID); n != 1 {
					t.Errorf("%s acked %d times, want 1", tt.ackID, n)
				}
			}
			h.quiet(t)
			calls := c.calls.Load() - before - 1 // minus the probe
			if calls != tt.calls {
				t.Errorf("handler called %d times for %s, want %d", calls, tt.name, tt.calls)
			}
		})
	}
	t.Run("OversizedSlashAnsweredWithUsage", func(t *testing.T) {
		a := ack(t, h.slack, "oversized-slash")
		if !strings.Contains(string(a.Payload), "too long") || len(a.Payload) > 20<<10 {
			t.Errorf("ack (%d bytes) = %.300s, want a short usage answer", len(a.Payload), a.Payload)
		}
	})
	if n := c.followUps.Load(); n != 0 {
		t.Errorf("%d envelopes led to follow-up work, want none", n)
	}
	if n := h.slack.BadFrames(); n != 0 {
		t.Errorf("the bot wrote %d frames that were not acks (an ack without envelope_id?)", n)
	}
	if !h.bot.Connected() {
		t.Error("the bot dropped the socket")
	}
	t.Logf("connections: %d", h.slack.Connections())
}
