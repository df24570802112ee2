package slackfake

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// received collects the envelopes each client saw.
type received struct {
	mu  sync.Mutex
	got map[string][]socketmode.Request // client → requests in order
}

func (r *received) add(client string, req socketmode.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.got == nil {
		r.got = map[string][]socketmode.Request{}
	}
	r.got[client] = append(r.got[client], req)
}

func (r *received) of(client string) []socketmode.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]socketmode.Request(nil), r.got[client]...)
}

func multiOptions(max int) Options {
	o := fastOptions()
	o.MaxConnections, o.Seed = max, 1
	return o
}

func TestEnvelopesSpreadOverConnections(t *testing.T) {
	f := newFake(t, multiOptions(10))
	var rec received
	clients := []string{"r1", "r2", "r3"}
	for _, name := range clients {
		startBot(t, f, f.AppToken(), time.Second, func(b *testBot, ev socketmode.Event) {
			rec.add(name, *ev.Request)
			_ = b.sm.Ack(*ev.Request)
		})
	}
	if err := f.WaitLive(ctx5(t), len(clients)); err != nil {
		t.Fatalf("%v (live %d)", err, f.LiveConnections())
	}
	const n = 60
	ids := map[string]bool{}
	for i := range n {
		ids[f.SendSlashCommand(slack.SlashCommand{UserID: "U1", ChannelID: "C1", Text: fmt.Sprint(i)})] = true
	}
	for id := range ids {
		if _, err := f.WaitAck(ctx5(t), id); err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for _, c := range clients {
		got := len(rec.of(c))
		total += got
		if got == 0 {
			t.Errorf("client %s got no envelope of %d", c, n)
		}
	}
	if got, want := total, n; got != want {
		t.Errorf("envelopes received = %d, want %d (each on exactly one connection)", got, want)
	}
	if got := f.LiveConnections(); got != len(clients) {
		t.Errorf("LiveConnections = %d, want %d: Slack keeps every socket", got, len(clients))
	}
}

func TestUnackedEnvelopeRedeliveredOnAnotherConnection(t *testing.T) {
	f := newFake(t, multiOptions(10))
	var rec received
	startBot(t, f, f.AppToken(), time.Second, func(b *testBot, ev socketmode.Event) {
		rec.add("mute", *ev.Request) // never acks, like a stalled replica
	})
	startBot(t, f, f.AppToken(), time.Second, func(b *testBot, ev socketmode.Event) {
		rec.add("ok", *ev.Request)
		_ = b.sm.Ack(*ev.Request)
	})
	if err := f.WaitLive(ctx5(t), 2); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 12 {
		ids = append(ids, f.SendSlashCommand(slack.SlashCommand{UserID: "U1", ChannelID: "C1", Text: fmt.Sprint(i)}))
	}
	ids = append(ids, f.SendEvent("", map[string]any{"type": "app_mention", "user": "U1", "text": "hi", "channel": "C1"}))
	for _, id := range ids {
		if _, err := f.WaitAck(ctx5(t), id); err != nil {
			t.Fatal(err)
		}
	}
	muted := rec.of("mute")
	if len(muted) == 0 {
		t.Fatal("no envelope went to the mute client; raise the count or change the seed")
	}
	retried := map[string]socketmode.Request{}
	for _, r := range rec.of("ok") {
		if r.RetryAttempt > 0 {
			retried[r.EnvelopeID] = r
		}
	}
	for _, m := range muted {
		r, ok := retried[m.EnvelopeID]
		if !ok {
			t.Errorf("envelope %s unacked on one connection was not redelivered on the other", m.EnvelopeID)
			continue
		}
		if r.RetryAttempt != 1 || r.RetryReason != "timeout" {
			t.Errorf("redelivery of %s: retry_attempt %d, reason %q; want 1, timeout", m.EnvelopeID, r.RetryAttempt, r.RetryReason)
		}
	}
	if got, want := len(retried), len(muted); got != want {
		t.Errorf("redeliveries = %d, want %d (one per envelope the mute client held)", got, want)
	}
	// The record shows both deliveries under one id, on different sockets.
	conns := map[string][]int{}
	for _, e := range f.Envelopes() {
		conns[e.ID] = append(conns[e.ID], e.Conn)
	}
	for _, m := range muted {
		if c := conns[m.EnvelopeID]; len(c) != 2 || c[0] == c[1] {
			t.Errorf("envelope %s written on sockets %v, want two different", m.EnvelopeID, c)
		}
	}
}

func TestConnectionBeyondLimitRefused(t *testing.T) {
	tests := []struct{ max int }{{2}, {10}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.max), func(t *testing.T) {
			f := newFake(t, multiOptions(tt.max))
			var bots []*testBot
			for range tt.max {
				bots = append(bots, startBot(t, f, f.AppToken(), time.Second, nil))
			}
			if err := f.WaitLive(ctx5(t), tt.max); err != nil {
				t.Fatal(err)
			}
			extra := startBot(t, f, f.AppToken(), time.Second, nil)
			if err := f.WaitRefused(ctx5(t), 1); err != nil {
				t.Fatalf("connection %d not refused: %v", tt.max+1, err)
			}
			if got := f.LiveConnections(); got != tt.max {
				t.Errorf("LiveConnections = %d, want %d", got, tt.max)
			}
			if hasHello(extra) {
				t.Error("the refused client got a hello")
			}
			// A slot frees up: the refused client, reconnecting, gets it.
			bots[0].cancel()
			deadline := time.After(5 * time.Second)
			for !hasHello(extra) {
				select {
				case <-deadline:
					t.Fatal("refused client never connected after a slot freed")
				case <-time.After(10 * time.Millisecond):
				}
			}
			if got := f.LiveConnections(); got != tt.max {
				t.Errorf("LiveConnections = %d, want %d", got, tt.max)
			}
		})
	}
}

// hasHello drains b's non-envelope events and reports whether one was a
// hello; it remembers a hello once seen.
func hasHello(b *testBot) bool {
	for {
		select {
		case ev := <-b.other:
			if ev.Type == socketmode.EventTypeHello {
				b.other <- ev // keep it for the next call
				return true
			}
		default:
			return false
		}
	}
}
