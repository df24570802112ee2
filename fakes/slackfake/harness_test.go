package slackfake

import (
	"context"
	"io"
	"log"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// testBot runs the real socketmode client against a fake.
type testBot struct {
	sm     *socketmode.Client
	api    *slack.Client
	reqs   chan socketmode.Event // envelopes (slash, interactive, events)
	other  chan socketmode.Event // everything else
	done   chan error
	cancel context.CancelFunc
}

// fastOptions keeps tests quick.
func fastOptions() Options {
	return Options{PingInterval: 50 * time.Millisecond, RedeliverAfter: 300 * time.Millisecond}
}

// startBot starts a socketmode client; handle, if set, runs for every
// envelope instead of queueing it on reqs.
func startBot(t *testing.T, f *Server, appToken string, clientPing time.Duration, handle func(*testBot, socketmode.Event)) *testBot {
	t.Helper()
	quiet := log.New(io.Discard, "", 0)
	api := slack.New(f.BotToken(), slack.OptionAppLevelToken(appToken), slack.OptionAPIURL(f.URL()), slack.OptionLog(quiet))
	sm := socketmode.New(api, socketmode.OptionPingInterval(clientPing), socketmode.OptionLog(quiet))
	ctx, cancel := context.WithCancel(context.Background())
	b := &testBot{
		sm: sm, api: api, cancel: cancel, done: make(chan error, 1),
		reqs: make(chan socketmode.Event, 100), other: make(chan socketmode.Event, 1000),
	}
	go func() { b.done <- sm.RunContext(ctx) }()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-sm.Events:
				switch ev.Type {
				case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
					if handle != nil {
						handle(b, ev)
						continue
					}
					b.reqs <- ev
				default:
					select {
					case b.other <- ev:
					default:
					}
				}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-b.done:
		case <-time.After(5 * time.Second):
			t.Error("socketmode client did not stop")
		}
	})
	return b
}

// next returns the next envelope event or fails.
func (b *testBot) next(t *testing.T) socketmode.Event {
	t.Helper()
	select {
	case ev := <-b.reqs:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no envelope reached the client")
		return socketmode.Event{}
	}
}

// none asserts that no envelope arrives for d.
func (b *testBot) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case ev := <-b.reqs:
		t.Fatalf("unexpected envelope %s: %s", ev.Request.Type, ev.Request.Payload)
	case <-time.After(d):
	}
}

func ctx5(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newFake(t *testing.T, opts Options) *Server {
	f := New(opts)
	t.Cleanup(f.Close)
	return f
}
