package bot

import (
	"context"
	"sync"
	"time"

	"github.com/slack-go/slack/socketmode"
)

// An app may hold 10 Socket Mode connections; Slack answers one more with
// a disconnect "too_many_websockets" instead of a hello. slack-go does not
// surface a disconnect's reason and reconnects at once, without backoff,
// since the dial itself succeeded: left alone, a replica beyond the limit
// would hammer apps.connections.open. So a socket that closes after the
// dial but before its hello counts as refused, and the bot stops the
// client and retries later, with backoff, while the replica keeps doing
// its share of webhooks, timers and leases.

// Socket states reported by Bot.SocketState.
const (
	SocketConnecting = "connecting" // dialling, or lost and redialling
	SocketConnected  = "connected"  // Slack said hello
	SocketRefused    = "refused"    // closed before hello, e.g. too_many_websockets; retrying later
)

// SocketState is where the Socket Mode connection stands, for /readyz.
type SocketState struct {
	State string
	// Since is when State began, on the bot's clock (Config.Now): for
	// refused, the first refusal in a row.
	Since time.Time
	// Refusals counts refusals in a row; a hello resets it.
	Refusals int
	// RetryIn is the pause after the latest refusal.
	RetryIn time.Duration
}

// socketWatch follows slack-go's events to tell a refusal from a
// connection that worked.
type socketWatch struct {
	mu     sync.Mutex
	st     SocketState
	dialed bool // connected, no hello yet
	// refused wakes runSocket (cap 1).
	refused chan struct{}
}

func newSocketWatch(now time.Time) *socketWatch {
	return &socketWatch{st: SocketState{State: SocketConnecting, Since: now}, refused: make(chan struct{}, 1)}
}

// SocketState reports the connection's state, and since when.
func (b *Bot) SocketState() SocketState {
	b.sock.mu.Lock()
	defer b.sock.mu.Unlock()
	return b.sock.st
}

// observe updates the state from one slack-go event; it never blocks.
func (w *socketWatch) observe(t socketmode.EventType, now time.Time, cfg Config) {
	w.mu.Lock()
	defer w.mu.Unlock()
	set := func(state string) {
		if w.st.State != state {
			w.st.State, w.st.Since = state, now
		}
	}
	switch t {
	case socketmode.EventTypeConnected:
		w.dialed = true
	case socketmode.EventTypeHello:
		w.dialed = false
		w.st.Refusals, w.st.RetryIn = 0, 0
		set(SocketConnected)
	case socketmode.EventTypeConnecting:
		if !w.dialed {
			if w.st.State != SocketRefused {
				set(SocketConnecting)
			}
			return
		}
		w.dialed = false
		w.st.Refusals++
		w.st.RetryIn = refusedBackoff(cfg, w.st.Refusals)
		set(SocketRefused)
		select {
		case w.refused <- struct{}{}:
		default:
		}
	}
}

// redial forgets a dial the stopped client may have made, and a refusal
// signalled while stopping: both belong to the pause just over.
func (w *socketWatch) redial() {
	w.mu.Lock()
	w.dialed = false
	w.mu.Unlock()
	select {
	case <-w.refused:
	default:
	}
}

// refusedBackoff doubles from RefusedRetry up to RefusedRetryMax.
func refusedBackoff(cfg Config, refusals int) time.Duration {
	d := cfg.RefusedRetry
	for i := 1; i < refusals && d < cfg.RefusedRetryMax; i++ {
		d *= 2
	}
	return min(d, cfg.RefusedRetryMax)
}

// runSocket runs slack-go's client until ctx ends or it fails for good;
// after a refusal it stops the client for the backoff, then dials again.
func (b *Bot) runSocket(ctx context.Context) error {
	for {
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- b.sm.RunContext(runCtx) }()
		select {
		case err := <-done:
			stop()
			return err
		case <-b.sock.refused:
			stop()
			<-done
		}
		st := b.SocketState()
		b.log.Warn().Int("refusals", st.Refusals).Dur("retry_in_ms", st.RetryIn).
			Msg("slack closed the websocket before hello (too_many_websockets?); webhooks, timers and leases go on")
		t := time.NewTimer(st.RetryIn)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		b.sock.redial()
	}
}
