// Package bot runs toban's Slack Socket Mode loop: it acknowledges every
// envelope at once, decodes it, and hands it to the handlers on a bounded
// pool of goroutines, so that slow PagerDuty or Slack calls never delay an
// ack past Slack's 3 seconds.
//
// It is an adapter: it may import domain, metrics and handlers/chat (the
// Message and Response it speaks), never a feature, the router, storage or
// another adapter; the handler it calls is an interface declared here.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/metrics"
)

// Handler is what the loop dispatches decoded envelopes to.
type Handler interface {
	Slash(ctx context.Context, cmd slack.SlashCommand) chat.Response
	Interaction(ctx context.Context, cb slack.InteractionCallback) chat.Response
	Event(ctx context.Context, ev slackevents.EventsAPIEvent) chat.Response
}

// Deliveries remembers which Events API events and which slash command and
// interactive envelopes were already handled, so that Slack's at-least-once
// delivery does not make toban act twice.
type Deliveries interface {
	FirstDelivery(ctx context.Context, eventID string) (bool, error)
	// RecordEnvelope remembers that envelopeID was answered with that JSON
	// ack payload (nil for none).
	RecordEnvelope(ctx context.Context, envelopeID string, ack []byte) error
	// EnvelopeAnswer returns what RecordEnvelope recorded for envelopeID.
	EnvelopeAnswer(ctx context.Context, envelopeID string) (found bool, ack []byte, err error)
}

// Config tunes the loop. Zero values take the defaults.
type Config struct {
	// Workers run follow-up work (Response.Then); default 16.
	Workers int
	// MaxInFlight bounds envelopes being decoded and answered at once;
	// beyond it envelopes are acked with a "busy" answer; default 256.
	MaxInFlight int
	// AckDeadline is how long a handler may take to produce its ack payload
	// before an empty ack is sent anyway; default 2s (Slack allows 3s).
	AckDeadline time.Duration
	// ShutdownTimeout bounds how long Run waits for in-flight work after
	// its context ends; default 20s.
	ShutdownTimeout time.Duration
	// PingTimeout is how long without a server ping before reconnecting;
	// default slack-go's 30s.
	PingTimeout time.Duration
	// RefusedRetry is the pause after Slack refuses the websocket (too
	// many connections), doubling per refusal in a row up to
	// RefusedRetryMax; defaults 5s and 2m.
	RefusedRetry, RefusedRetryMax time.Duration
	// Now is the bot's clock, for SocketState; default time.Now.
	Now func() time.Time
}

func (c *Config) defaults() {
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 256
	}
	if c.AckDeadline <= 0 {
		c.AckDeadline = 2 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 20 * time.Second
	}
	if c.RefusedRetry <= 0 {
		c.RefusedRetry = 5 * time.Second
	}
	if c.RefusedRetryMax < c.RefusedRetry {
		c.RefusedRetryMax = max(c.RefusedRetry, 2*time.Minute)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Bot is a running Socket Mode connection with its worker pool.
type Bot struct {
	cfg        Config
	sm         *socketmode.Client
	web        *WebAPI
	handler    Handler
	deliveries Deliveries
	m          *metrics.Registry
	log        zerolog.Logger

	connected atomic.Bool
	sock      *socketWatch
	inFlight  chan struct{}
	jobs      chan job
	answering sync.WaitGroup // envelopes between receipt and hand-off to a worker
	memo      envelopeMemo   // slash and interactive envelopes being answered
}

// New prepares a bot; Run connects it.
func New(cfg Config, web *WebAPI, h Handler, d Deliveries, m *metrics.Registry, logger zerolog.Logger) *Bot {
	cfg.defaults()
	opts := []socketmode.Option{
		socketmode.OptionLog(log.New(logger.With().Str("component", "socketmode").Logger(), "", 0)),
	}
	if cfg.PingTimeout > 0 {
		opts = append(opts, socketmode.OptionPingInterval(cfg.PingTimeout))
	}
	return &Bot{
		cfg:        cfg,
		sm:         socketmode.New(web.Client(), opts...),
		web:        web,
		handler:    h,
		deliveries: d,
		m:          m,
		log:        logger,
		inFlight:   make(chan struct{}, cfg.MaxInFlight),
		memo:       envelopeMemo{m: map[string]*answering{}},
		sock:       newSocketWatch(cfg.Now()),
		jobs:       make(chan job, cfg.Workers*4),
	}
}

// Connected reports whether the websocket is up and Slack said hello.
func (b *Bot) Connected() bool { return b.connected.Load() }

func (b *Bot) setConnected(up bool) {
	b.connected.Store(up)
	if up {
		b.m.Connected.Set(1)
	} else {
		b.m.Connected.Set(0)
	}
}

// FatalError means Slack refused the connection for good (a revoked or
// wrong token); reconnecting cannot help.
type FatalError struct{ Err error }

func (e *FatalError) Error() string { return "slack socket mode: " + e.Err.Error() }
func (e *FatalError) Unwrap() error { return e.Err }

// Run connects and serves until ctx ends, then stops taking envelopes,
// finishes in-flight work within ShutdownTimeout, and returns nil. It
// returns a *FatalError if Slack rejects the tokens.
func (b *Bot) Run(ctx context.Context) error {
	// Work outlives ctx: SIGTERM stops intake, not the clicks in progress.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	var workers sync.WaitGroup
	for range b.cfg.Workers {
		workers.Go(func() {
			for j := range b.jobs {
				b.m.WorkQueued.Dec()
				b.runJob(workCtx, j)
			}
		})
	}

	socketCtx, stopSocket := context.WithCancel(ctx)
	defer stopSocket()
	socketDone := make(chan error, 1)
	go func() { socketDone <- b.runSocket(socketCtx) }()

	var fatal error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-socketDone:
			if ctx.Err() == nil {
				fatal = &FatalError{Err: err}
			}
			break loop
		case ev := <-b.sm.Events:
			b.handleEvent(workCtx, ev)
		}
	}
	stopSocket()
	b.setConnected(false)

	drained := make(chan struct{})
	go func() {
		b.answering.Wait()
		close(b.jobs)
		workers.Wait()
		close(drained)
	}()
	select {
	case <-drained:
		b.log.Info().Msg("in-flight work finished")
	case <-time.After(b.cfg.ShutdownTimeout):
		b.log.Warn().Dur("timeout_ms", b.cfg.ShutdownTimeout).Msg("in-flight work did not finish in time; cancelling it")
		cancelWork()
		select {
		case <-drained:
		case <-time.After(2 * time.Second):
		}
	}
	return fatal
}

// handleEvent runs on the loop goroutine and must never block: slack-go
// stops reading the websocket while its Events channel is full.
func (b *Bot) handleEvent(workCtx context.Context, ev socketmode.Event) {
	b.sock.observe(ev.Type, b.cfg.Now(), b.cfg)
	switch ev.Type {
	case socketmode.EventTypeConnecting:
		b.setConnected(false)
		if c, ok := ev.Data.(*slack.ConnectingEvent); ok {
			b.log.Debug().Int("attempt", c.Attempt).Msg("connecting to slack")
		}
	case socketmode.EventTypeConnected:
		if c, ok := ev.Data.(*socketmode.ConnectedEvent); ok && c.ConnectionCount > 0 {
			b.m.Reconnects.Inc()
			b.log.Info().Int("connection", c.ConnectionCount).Msg("reconnected to slack")
		}
	case socketmode.EventTypeHello:
		b.setConnected(true)
		b.log.Info().Msg("slack socket mode ready")
	case socketmode.EventTypeConnectionError:
		b.setConnected(false)
		if c, ok := ev.Data.(*slack.ConnectionErrorEvent); ok {
			b.log.Warn().Err(c.ErrorObj).Dur("backoff_ms", c.Backoff).Msg("slack connection failed; retrying")
		}
	case socketmode.EventTypeIncomingError:
		// Not a readiness change: slack-go's reader of a socket it already
		// replaced can report its error after the new socket's hello, and a
		// malformed frame leaves the socket up. A real loss is always
		// followed by EventTypeConnecting.
		if e, ok := ev.Data.(*slack.IncomingEventError); ok {
			b.log.Warn().Err(e.ErrorObj).Msg("slack websocket lost; reconnecting")
		}
	case socketmode.EventTypeInvalidAuth:
		b.setConnected(false)
		b.log.Error().Msg("slack rejected the app token")
	case socketmode.EventTypeErrorWriteFailed:
		if e, ok := ev.Data.(*socketmode.ErrorWriteFailed); ok {
			b.log.Warn().Err(e.Cause).Msg("ack not written; slack will redeliver")
		}
	case socketmode.EventTypeErrorBadMessage:
		b.badMessage(ev)
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive:
		b.dispatch(workCtx, ev)
	default:
		b.log.Debug().Str("event", string(ev.Type)).Msg("socket mode event ignored")
	}
}

var errBusy = errors.New("too many envelopes in flight")

// dispatch acks and answers one envelope on its own goroutine.
func (b *Bot) dispatch(workCtx context.Context, ev socketmode.Event) {
	if ev.Request == nil {
		return
	}
	if ev.Request.EnvelopeID == "" {
		// Malformed: it cannot be acked (an ack without an id is a frame
		// Slack cannot match), so it is not a request Slack is waiting on.
		b.m.EnvelopesReceived.WithLabelValues("malformed").Inc()
		b.log.Warn().Str("envelope_type", ev.Request.Type).Msg("envelope without envelope_id ignored")
		return
	}
	a := &acker{b: b, envelopeID: ev.Request.EnvelopeID, kind: ev.Request.Type, retry: ev.Request.RetryAttempt, received: time.Now()}
	b.m.EnvelopesReceived.WithLabelValues(a.kind).Inc()

	var who replyTo
	var answer func(ctx context.Context) chat.Response
	switch data := ev.Data.(type) {
	case slackevents.EventsAPIEvent:
		answer = b.eventAnswer(a, data)
	case slack.SlashCommand:
		who = replyTo{responseURL: data.ResponseURL, channel: data.ChannelID, user: data.UserID}
		answer = b.once(a, func(ctx context.Context) chat.Response { return b.handler.Slash(ctx, data) })
	case slack.InteractionCallback:
		who = replyTo{responseURL: data.ResponseURL, channel: data.Channel.ID, user: data.User.ID}
		answer = b.once(a, func(ctx context.Context) chat.Response { return b.handler.Interaction(ctx, data) })
	default:
		go a.ack(nil)
		b.log.Debug().Str("envelope_type", a.kind).Msg("envelope of unknown shape acked and ignored")
		return
	}

	select {
	case b.inFlight <- struct{}{}:
	default:
		// Overloaded: answer now rather than let acks queue behind work.
		b.m.HandlerErrors.WithLabelValues(a.kind).Inc()
		b.log.Warn().Str("envelope_type", a.kind).Err(errBusy).Msg("envelope refused")
		go a.ack(busyAck(a.kind))
		return
	}
	b.answering.Add(1)
	go b.answer(workCtx, a, who, answer)
}

// eventAnswer acks an Events API envelope at once (it cannot carry a
// payload) and drops redeliveries of an event already handled.
func (b *Bot) eventAnswer(a *acker, ev slackevents.EventsAPIEvent) func(context.Context) chat.Response {
	return func(ctx context.Context) chat.Response {
		a.ack(nil)
		if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok && cb.EventID != "" && b.deliveries != nil {
			first, err := b.deliveries.FirstDelivery(ctx, cb.EventID)
			if err != nil {
				b.log.Error().Err(err).Str("event_id", cb.EventID).Msg("dedupe failed; handling anyway")
			} else if !first {
				b.m.EventsDeduplicated.Inc()
				b.log.Debug().Str("event_id", cb.EventID).Msg("redelivered event dropped")
				return chat.Response{}
			}
		}
		return b.handler.Event(ctx, ev)
	}
}

func (b *Bot) answer(workCtx context.Context, a *acker, who replyTo, answer func(context.Context) chat.Response) {
	defer b.answering.Done()
	defer func() { <-b.inFlight }()
	defer b.storeAnswer(workCtx, a)

	// Slack gives 3 s; if the handler is slow to decide its ack payload,
	// ack empty and let the answer follow by response_url.
	timer := time.AfterFunc(b.cfg.AckDeadline, func() {
		if a.ack(nil) {
			b.log.Warn().Str("envelope_type", a.kind).Msg("handler slow to answer; acked empty")
		}
	})
	defer timer.Stop()

	var res chat.Response
	if !b.safely(workCtx, a, who, func() { res = answer(workCtx) }) {
		return
	}
	timer.Stop()
	b.settleAnswer(a, res.Ack)
	if !a.ack(res.Ack) && res.Ack != nil {
		b.deliverLate(workCtx, a, who, res.Ack)
	}
	if res.Then != nil {
		b.m.WorkQueued.Inc()
		b.jobs <- job{kind: a.kind, who: who, then: res.Then}
	}
}

// deliverLate sends an ack payload that missed the ack to the person
// through response_url, so the answer is late but not lost.
func (b *Bot) deliverLate(ctx context.Context, a *acker, who replyTo, payload any) {
	if who.responseURL == "" {
		b.log.Warn().Str("envelope_type", a.kind).Msg("late ack payload dropped: no response_url")
		return
	}
	b.m.WorkQueued.Inc()
	b.jobs <- job{kind: a.kind, who: who, then: func(ctx context.Context) error {
		return b.web.respondRaw(ctx, who.responseURL, payload)
	}}
}

func busyAck(kind string) any {
	if kind != socketmode.RequestTypeSlashCommands {
		return nil
	}
	return chat.AckMessage(chat.Message{Text: ":hourglass: toban is very busy right now and could not take this. Please try again in a few seconds."})
}

// errPanic marks a recovered handler panic.
var errPanic = errors.New("handler panicked")

func panicError(r any) error { return fmt.Errorf("%w: %v", errPanic, r) }
