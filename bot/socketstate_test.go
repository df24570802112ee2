package bot

import (
	"context"
	"io"
	"log"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/metrics"
	"github.com/tobanbot/toban/storage"
)

// occupy opens a plain Socket Mode connection, as another replica of the
// app would; cancel frees it.
func occupy(t *testing.T, fake *slackfake.Server) context.CancelFunc {
	t.Helper()
	quiet := log.New(io.Discard, "", 0)
	api := slack.New(fake.BotToken(), slack.OptionAppLevelToken(fake.AppToken()), slack.OptionAPIURL(fake.URL()), slack.OptionLog(quiet))
	sm := socketmode.New(api, socketmode.OptionLog(quiet))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = sm.RunContext(ctx) }()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-sm.Events:
				if ev.Request != nil && ev.Request.EnvelopeID != "" {
					_ = sm.Ack(*ev.Request)
				}
			}
		}
	}()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return cancel
}

// TestRefusedConnectionBacksOffAndRecovers: the 11th connection of an app
// is refused with too_many_websockets. The bot neither exits nor redials in
// a tight loop; SocketState says refused, and since when; once a slot
// frees up it connects and serves envelopes.
func TestRefusedConnectionBacksOffAndRecovers(t *testing.T) {
	fake := slackfake.New(slackfake.Options{MaxConnections: 10, Seed: 1})
	t.Cleanup(fake.Close)
	var others []context.CancelFunc
	for range 10 {
		others = append(others, occupy(t, fake))
	}
	ctx10, cancel10 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel10()
	if err := fake.WaitLive(ctx10, 10); err != nil {
		t.Fatal(err)
	}

	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "toban.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var clock atomic.Int64
	clock.Store(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).Unix())
	now := func() time.Time { return time.Unix(clock.Load(), 0).UTC() }
	m := metrics.New()
	sc := SlackConfig{AppToken: fake.AppToken(), BotToken: fake.BotToken(), APIURL: fake.URL()}
	logger := zerolog.New(io.Discard)
	web := NewWebAPI(NewSlackClient(sc, m, logger), sc, m)
	handled := make(chan string, 4)
	h := &stubHandler{slash: func(_ context.Context, c slack.SlashCommand) chat.Response {
		handled <- c.Text
		return chat.Response{}
	}}
	cfg := Config{RefusedRetry: 150 * time.Millisecond, RefusedRetryMax: 300 * time.Millisecond, Now: now}
	b := New(cfg, web, h, db, m, logger)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})

	if err := fake.WaitRefused(ctx10, 1); err != nil {
		t.Fatal(err)
	}
	refusedAt := now()
	waitFor(t, "SocketState refused", func() bool { return b.SocketState().State == SocketRefused })
	clock.Add(60)

	// A second of refusals: a handful of redials, not a tight loop, and
	// Run keeps going.
	before := fake.TooManyRefused()
	time.Sleep(time.Second)
	if got := fake.TooManyRefused() - before; got > 8 {
		t.Errorf("%d redials in 1s while refused; want a few (backoff 150-300ms)", got)
	}
	select {
	case err := <-done:
		t.Fatalf("Run returned %v while refused; want it to keep going", err)
	default:
	}
	st := b.SocketState()
	if st.State != SocketRefused || st.Refusals < 2 || st.RetryIn != cfg.RefusedRetryMax || !st.Since.Equal(refusedAt) {
		t.Errorf("SocketState = %+v, want refused since %v, refusals ≥ 2, RetryIn %v", st, refusedAt, cfg.RefusedRetryMax)
	}
	if b.Connected() {
		t.Error("Connected() = true while refused")
	}

	// Another replica goes away: the bot gets its slot and works.
	others[0]()
	waitFor(t, "bot connected", b.Connected)
	st = b.SocketState()
	if st.State != SocketConnected || st.Refusals != 0 || !st.Since.Equal(now()) {
		t.Errorf("SocketState = %+v, want connected since %v with no refusals", st, now())
	}
	// Envelopes are spread over 10 sockets; send until one reaches us.
	for i := 0; ; i++ {
		fake.SendSlashCommand(slack.SlashCommand{UserID: "U1", ChannelID: "C1", Text: "ping"})
		select {
		case got := <-handled:
			if got != "ping" {
				t.Fatalf("handled %q", got)
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
		if i > 200 {
			t.Fatal("no envelope reached the bot after it connected")
		}
	}
}
