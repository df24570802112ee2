package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/metrics"
	"github.com/tobanbot/toban/storage"
)

// stubHandler lets each test decide how the handlers behave; the loop is
// what is under test here.
type stubHandler struct {
	slash       func(context.Context, slack.SlashCommand) chat.Response
	interaction func(context.Context, slack.InteractionCallback) chat.Response
	event       func(context.Context, slackevents.EventsAPIEvent) chat.Response
}

func (h *stubHandler) Slash(ctx context.Context, c slack.SlashCommand) chat.Response {
	if h.slash == nil {
		return chat.Response{}
	}
	return h.slash(ctx, c)
}

func (h *stubHandler) Interaction(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	if h.interaction == nil {
		return chat.Response{}
	}
	return h.interaction(ctx, cb)
}

func (h *stubHandler) Event(ctx context.Context, ev slackevents.EventsAPIEvent) chat.Response {
	if h.event == nil {
		return chat.Response{}
	}
	return h.event(ctx, ev)
}

type harness struct {
	slack   *slackfake.Server
	bot     *Bot
	metrics *metrics.Registry
	cancel  context.CancelFunc
	done    chan error
}

func start(t *testing.T, h Handler, cfg Config, opts slackfake.Options) *harness {
	t.Helper()
	fake := slackfake.New(opts)
	t.Cleanup(fake.Close)
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "toban.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m := metrics.New()
	sc := SlackConfig{AppToken: fake.AppToken(), BotToken: fake.BotToken(), APIURL: fake.URL()}
	logger := zerolog.New(io.Discard)
	if testing.Verbose() {
		logger = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.DebugLevel)
	}
	web := NewWebAPI(NewSlackClient(sc, m, logger), sc, m)
	b := New(cfg, web, h, db, m, logger)
	ctx, cancel := context.WithCancel(context.Background())
	hs := &harness{slack: fake, bot: b, metrics: m, cancel: cancel, done: make(chan error, 1)}
	go func() { hs.done <- b.Run(ctx) }()
	t.Cleanup(func() { hs.stop(t) })
	hs.waitConnected(t, 1)
	return hs
}

func (h *harness) waitConnected(t *testing.T, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.slack.WaitConnected(ctx, n); err != nil {
		t.Fatalf("bot did not connect (connection %d): %v", n, err)
	}
	for !h.bot.Connected() {
		select {
		case <-ctx.Done():
			t.Fatal("bot never saw hello")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// stop cancels the bot and returns Run's result (once).
func (h *harness) stop(t *testing.T) error {
	h.cancel()
	select {
	case err, ok := <-h.done:
		if ok {
			close(h.done)
		}
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
		return nil
	}
}

func ack(t *testing.T, fake *slackfake.Server, id string) slackfake.Ack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := fake.WaitAck(ctx, id)
	if err != nil {
		t.Fatalf("envelope %s not acked: %v", id, err)
	}
	return a
}

func slash(fake *slackfake.Server, text string) string {
	return fake.SendSlashCommand(slack.SlashCommand{UserID: "U1", ChannelID: "C1", Text: text})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	// The bound only limits how long a failure takes to show: a loaded
	// machine (CI beside other builds) must not turn slow into failed.
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAckComesBeforeSlowWork(t *testing.T) {
	release := make(chan struct{})
	var finished atomic.Bool
	h := start(t, &stubHandler{slash: func(ctx context.Context, c slack.SlashCommand) chat.Response {
		return chat.Response{Then: func(ctx context.Context) error {
			<-release // PagerDuty taking its time
			finished.Store(true)
			return nil
		}}
	}}, Config{}, slackfake.Options{})

	id := slash(h.slack, "oncall")
	a := ack(t, h.slack, id)
	if finished.Load() {
		t.Fatal("the slow work finished before the ack; the ack must not wait for it")
	}
	if a.Payload != nil {
		t.Errorf("ack payload = %s, want none", a.Payload)
	}
	close(release)
	waitFor(t, "slow work", finished.Load)
}

func TestSlowAnswerAckedAtDeadlineThenDeliveredLate(t *testing.T) {
	h := start(t, &stubHandler{slash: func(ctx context.Context, c slack.SlashCommand) chat.Response {
		time.Sleep(300 * time.Millisecond) // a handler that should not block, but does
		return chat.Response{Ack: chat.AckMessage(chat.Message{Text: "late answer"})}
	}}, Config{AckDeadline: 50 * time.Millisecond}, slackfake.Options{})

	a := ack(t, h.slack, slash(h.slack, "help"))
	if a.Payload != nil {
		t.Errorf("ack payload = %s, want an empty ack at the deadline", a.Payload)
	}
	waitFor(t, "late answer by response_url", func() bool {
		for _, p := range h.slack.ResponsePosts() {
			if strings.Contains(string(p.Body), "late answer") {
				return true
			}
		}
		return false
	})
}

func TestPanicIsRecoveredAndTold(t *testing.T) {
	var calls atomic.Int32
	h := start(t, &stubHandler{slash: func(ctx context.Context, c slack.SlashCommand) chat.Response {
		if calls.Add(1) == 1 {
			var m map[string]int
			//lint:ignore SA5000 the handler must really panic
			m["boom"]++
		}
		return chat.Response{Ack: chat.AckMessage(chat.Message{Text: "fine"})}
	}}, Config{}, slackfake.Options{})

	t.Run("InAnswer", func(t *testing.T) {
		a := ack(t, h.slack, slash(h.slack, "help"))
		if !strings.Contains(string(a.Payload), "Something went wrong") {
			t.Errorf("ack payload = %s, want the apology", a.Payload)
		}
		if got := testutil.ToFloat64(h.metrics.HandlerPanics.WithLabelValues("slash_commands")); got != 1 {
			t.Errorf("panics metric = %v, want 1", got)
		}
	})
	t.Run("LoopSurvives", func(t *testing.T) {
		a := ack(t, h.slack, slash(h.slack, "help"))
		if !strings.Contains(string(a.Payload), "fine") {
			t.Errorf("ack payload = %s, want the normal answer", a.Payload)
		}
	})
}

func TestFollowUpFailuresAreTold(t *testing.T) {
	h := start(t, &stubHandler{slash: func(ctx context.Context, c slack.SlashCommand) chat.Response {
		return chat.Response{Then: func(ctx context.Context) error {
			switch c.Text {
			case "panic":
				panic("follow-up exploded")
			case "invalid":
				return fmt.Errorf("take override: %w", domain.Invalid("The end is before the start."))
			default:
				return fmt.Errorf("list oncalls: %w", domain.ErrUnavailable)
			}
		}}
	}}, Config{}, slackfake.Options{})
	person := h.slack.User("U1")

	ack(t, h.slack, slash(h.slack, "invalid"))
	person.ExpectEphemeral(t, "The end is before the start.")
	ack(t, h.slack, slash(h.slack, "down"))
	person.ExpectEphemeral(t, "PagerDuty did not answer in time")
	ack(t, h.slack, slash(h.slack, "panic"))
	person.ExpectEphemeral(t, "Something went wrong")
	if got := testutil.ToFloat64(h.metrics.HandlerErrors.WithLabelValues("slash_commands")); got != 1 {
		t.Errorf("handler errors = %v, want 1 (the outage; refused input is not toban's error)", got)
	}
	if got := testutil.ToFloat64(h.metrics.HandlerPanics.WithLabelValues("job")); got != 1 {
		t.Errorf("job panics = %v, want 1", got)
	}
}

func TestRedeliveredEventHandledOnce(t *testing.T) {
	var handled atomic.Int32
	h := start(t, &stubHandler{event: func(ctx context.Context, ev slackevents.EventsAPIEvent) chat.Response {
		handled.Add(1)
		return chat.Response{}
	}}, Config{}, slackfake.Options{})

	inner := map[string]any{"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
	first := h.slack.SendEvent("Ev0001", inner)
	ack(t, h.slack, first)
	// Slack's retry of the same event: new envelope, same event_id.
	h.slack.SendRaw([]byte(`{"envelope_id":"retry-1","type":"events_api","accepts_response_payload":false,` +
		`"retry_attempt":1,"retry_reason":"timeout","payload":{"token":"x","team_id":"T1","api_app_id":"A1",` +
		`"type":"event_callback","event_id":"Ev0001","event_time":1700000000,` +
		`"event":{"type":"app_home_opened","user":"U1","channel":"D1","tab":"home"}}}`))
	ack(t, h.slack, "retry-1")
	// A different event afterwards proves the retry was processed (in order).
	ack(t, h.slack, h.slack.SendEvent("Ev0002", inner))
	waitFor(t, "second event", func() bool { return handled.Load() >= 2 })
	waitFor(t, "dedupe metric", func() bool { return testutil.ToFloat64(h.metrics.EventsDeduplicated) == 1 })
	if got := handled.Load(); got != 2 {
		t.Errorf("events handled = %d, want 2 (Ev0001 once, Ev0002 once)", got)
	}
}

func TestMalformedAndUnknownEnvelopesAreAckedAndIgnored(t *testing.T) {
	var called atomic.Int32
	count := func(context.Context, slack.SlashCommand) chat.Response { called.Add(1); return chat.Response{} }
	h := start(t, &stubHandler{slash: count}, Config{}, slackfake.Options{})

	frames := map[string]string{
		"bad-payload":  `{"envelope_id":"bad-payload","type":"slash_commands","accepts_response_payload":true,"payload":"not an object"}`,
		"unknown-type": `{"envelope_id":"unknown-type","type":"mystery","payload":{}}`,
		"bad-event":    `{"envelope_id":"bad-event","type":"events_api","payload":{"type":"event_callback","event":{"type":"no_such_event"}}}`,
	}
	for id, frame := range frames {
		t.Run(id, func(t *testing.T) {
			h.slack.SendRaw([]byte(frame))
			ack(t, h.slack, id)
		})
	}
	ack(t, h.slack, slash(h.slack, "help"))
	if got := called.Load(); got != 1 {
		t.Errorf("handler calls = %d, want 1 (only the valid envelope)", got)
	}
}

func TestOverloadAnswersBusy(t *testing.T) {
	release := make(chan struct{})
	h := start(t, &stubHandler{slash: func(ctx context.Context, c slack.SlashCommand) chat.Response {
		if c.Text == "block" {
			<-release
		}
		return chat.Response{}
	}}, Config{MaxInFlight: 1, AckDeadline: 20 * time.Millisecond}, slackfake.Options{})
	defer close(release)

	ack(t, h.slack, slash(h.slack, "block")) // acked empty at the deadline, still running
	a := ack(t, h.slack, slash(h.slack, "help"))
	if !strings.Contains(string(a.Payload), "very busy") {
		t.Errorf("ack payload = %s, want the busy answer", a.Payload)
	}
}

func TestShutdownFinishesInFlightWork(t *testing.T) {
	release := make(chan struct{})
	var finished atomic.Bool
	h := start(t, &stubHandler{slash: func(ctx context.Context, c slack.SlashCommand) chat.Response {
		return chat.Response{Then: func(ctx context.Context) error {
			<-release
			if ctx.Err() != nil {
				return ctx.Err()
			}
			finished.Store(true)
			return nil
		}}
	}}, Config{ShutdownTimeout: 10 * time.Second}, slackfake.Options{})

	ack(t, h.slack, slash(h.slack, "oncall"))
	stopped := make(chan error, 1)
	go func() { stopped <- h.stop(t) }()
	select {
	case <-stopped:
		t.Fatal("Run returned while work was in flight")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if !finished.Load() {
		t.Error("in-flight work was cut short")
	}
}

func TestReconnects(t *testing.T) {
	h := start(t, &stubHandler{}, Config{PingTimeout: 400 * time.Millisecond},
		slackfake.Options{PingInterval: 50 * time.Millisecond})
	steps := []struct {
		name  string
		cause func()
	}{
		{"RefreshRequested", func() { h.slack.Disconnect("refresh_requested") }},
		{"Warning", func() { h.slack.Disconnect("warning") }},
		{"DroppedTCP", h.slack.DropConnection},
		{"NoPings", func() { h.slack.SetPinging(false) }},
	}
	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.cause()
			if s.name == "NoPings" {
				// Pings resume only once the client has given up on this socket.
				waitFor(t, "ping timeout", func() bool { return !h.bot.Connected() })
				h.slack.SetPinging(true)
			}
			h.waitConnected(t, i+2)
			ack(t, h.slack, slash(h.slack, "help"))
		})
	}
	if got := testutil.ToFloat64(h.metrics.Reconnects); got < float64(len(steps)) {
		t.Errorf("reconnects metric = %v, want >= %d", got, len(steps))
	}
}

func TestFatalAuthError(t *testing.T) {
	fake := slackfake.New(slackfake.Options{})
	defer fake.Close()
	m := metrics.New()
	sc := SlackConfig{AppToken: "xapp-wrong", BotToken: fake.BotToken(), APIURL: fake.URL()}
	web := NewWebAPI(NewSlackClient(sc, m, zerolog.Nop()), sc, m)
	b := New(Config{}, web, &stubHandler{}, nil, m, zerolog.Nop())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := b.Run(ctx)
	var fatal *FatalError
	if !errors.As(err, &fatal) || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("Run = %v, want a FatalError with invalid_auth", err)
	}
}
