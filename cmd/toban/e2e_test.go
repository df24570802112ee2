package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/internal/pdcontract"
)

// world is a Slack workspace and a PagerDuty account, both fakes on
// loopback, with toban configured against them only through environment
// variables, as an admin would.
type world struct {
	slack *slackfake.Server
	pd    *pdfake.Server
	env   map[string]string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldAt(t, nil)
}

// newWorldAt is newWorld whose Slack stamps messages with now (the same
// fake clock toban runs on), as real Slack stamps them with real time.
func newWorldAt(t *testing.T, now func() time.Time) *world {
	t.Helper()
	return newWorldWith(t, slackfake.Options{Now: now})
}

// newWorldWith is newWorld with its Slack made from opts (several sockets
// for replicas, a clock).
func newWorldWith(t *testing.T, opts slackfake.Options) *world {
	t.Helper()
	// Waits bound failures only; a loaded CI machine must not turn slow
	// into failed.
	opts.HelperTimeout = 15 * time.Second
	if opts.BotScopes == nil {
		// The bot holds exactly what manifest.yaml asks for, so a Web API
		// call needing another scope fails here as it would in Slack.
		opts.BotScopes = manifestBotScopes(t)
	}
	s := slackfake.New(opts)
	t.Cleanup(s.Close)
	t.Cleanup(func() {
		// Slack would have refused these: on a real workspace the person
		// would have seen an error or nothing at all.
		if missing := s.MissingScopes(); len(missing) > 0 {
			t.Errorf("Slack refused calls for want of a scope manifest.yaml does not ask for (any of): %v", missing)
		}
		for _, r := range s.Refusals() {
			t.Errorf("Slack refuses toban's %s: %s %v", r.Where, r.Code, r.Problems)
		}
		// Everything toban said must have been expected by the test: a
		// stray reply is something a person would have seen.
		if !t.Failed() {
			s.ExpectNothingElse(t)
		}
	})
	s.AddUser(slackfake.User{ID: "U1", Name: "alice", RealName: "Alice", Email: "alice@example.com"})
	s.AddChannel("C1", "ops")
	p := pdfake.New(pdfake.Options{})
	t.Cleanup(p.Close)
	// Every request toban sends and every answer the fake gives must fit
	// PagerDuty's published spec.
	p.CheckContract(t, pdcontract.MustLoad(t))
	shiftBase := time.Now()
	p.AddUser(pdfake.User{ID: "PU1", Name: "Alice Ops", Email: "alice@example.com"})
	p.AddUser(pdfake.User{ID: "PU2", Name: "Bob Ops", Email: "bob@example.com"})
	p.AddSchedule(pdfake.Schedule{ID: "PS1", Name: "Primary", TimeZone: "UTC", Shifts: []pdfake.Shift{
		{UserID: "PU1", Start: shiftBase.Add(-time.Hour), End: shiftBase.Add(8 * time.Hour)},
		{UserID: "PU2", Start: shiftBase.Add(8 * time.Hour), End: shiftBase.Add(16 * time.Hour)},
	}})
	p.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEP1", Name: "Web Ops", Levels: []pdfake.EscalationLevel{
		{Targets: []pdfake.Target{{Type: pdfake.TargetSchedule, ID: "PS1"}}},
		{Targets: []pdfake.Target{{Type: pdfake.TargetUser, ID: "PU2"}}},
	}})
	return &world{slack: s, pd: p, env: map[string]string{
		"SLACK_APP_TOKEN":        s.AppToken(),
		"SLACK_BOT_TOKEN":        s.BotToken(),
		"SLACK_API_URL":          s.URL(),
		"PAGERDUTY_TOKEN":        p.Token(),
		"PAGERDUTY_API_URL":      p.URL(),
		"PAGERDUTY_EVENTS_URL":   p.URL(),
		"TOBAN_DB":               filepath.Join(t.TempDir(), "toban.db"),
		"TOBAN_HTTP_ADDR":        "127.0.0.1:0",
		"TOBAN_LOG_LEVEL":        "debug",
		"TOBAN_SHUTDOWN_TIMEOUT": "2s",
	}}
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is toban started in-process by the real Main.
type running struct {
	main *Main
	logs *syncBuffer
	stop func() error
}

func (w *world) start(t *testing.T) *running {
	t.Helper()
	return w.startWith(t, nil)
}

// startWith starts toban after prepare has adjusted its Main (its clock).
func (w *world) startWith(t *testing.T, prepare func(*Main)) *running {
	t.Helper()
	cfg, err := LoadConfig(envOf(w.env))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	m := NewMain(cfg, logs)
	if prepare != nil {
		prepare(m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Open(ctx); err != nil {
		cancel()
		t.Fatalf("Open: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	var once sync.Once
	var runErr error
	r := &running{main: m, logs: logs, stop: func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
			m.Close()
		})
		return runErr
	}}
	t.Cleanup(func() {
		r.stop()
		if t.Failed() {
			t.Logf("toban's log:\n%s", logs.String())
		}
		// Tokens must never reach the log, at any level.
		for _, secret := range []string{w.env["SLACK_APP_TOKEN"], w.env["SLACK_BOT_TOKEN"], w.env["PAGERDUTY_TOKEN"]} {
			if secret != "" && strings.Contains(logs.String(), secret) {
				t.Errorf("a token appears in the log")
			}
		}
	})
	ctxWait, cancelWait := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelWait()
	if err := w.slack.WaitConnected(ctxWait, 1); err != nil {
		t.Fatalf("toban did not connect: %v", err)
	}
	r.waitReady(t, http.StatusOK)
	return r
}

func (r *running) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + r.main.HTTPAddr() + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (r *running) waitReady(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := r.get(t, "/readyz")
		if code == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d %q, want %d", code, body, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEndToEndHelpAndHealth(t *testing.T) {
	w := newWorld(t)
	r := w.start(t)
	alice := w.slack.User("U1").In("C1")

	t.Run("Healthz", func(t *testing.T) {
		if code, _ := r.get(t, "/healthz"); code != http.StatusOK {
			t.Errorf("/healthz = %d, want 200", code)
		}
	})
	t.Run("Help", func(t *testing.T) {
		ack := alice.Slash(t, "help")
		for _, want := range []string{"toban", "/toban oncall", "/toban remind", "Who is on call"} {
			if !strings.Contains(string(ack.Payload), want) {
				t.Errorf("help answer lacks %q: %s", want, ack.Payload)
			}
		}
	})
	t.Run("UnknownSubcommand", func(t *testing.T) {
		ack := alice.Slash(t, "frobnicate")
		if !strings.Contains(string(ack.Payload), "I don't know `/toban frobnicate`") ||
			!strings.Contains(string(ack.Payload), "/toban oncall") {
			t.Errorf("usage answer = %s", ack.Payload)
		}
	})
	t.Run("AppHome", func(t *testing.T) {
		id := w.slack.SendEvent("EvHome1", map[string]any{"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := w.slack.WaitAck(ctx, id); err != nil {
			t.Fatal(err)
		}
		calls, err := w.slack.WaitCalls(ctx, "views.publish", 1)
		if err != nil {
			t.Fatalf("no views.publish: %v", err)
		}
		if !strings.Contains(string(calls[0].JSON), "the one on duty") {
			t.Errorf("home view = %s", calls[0].JSON)
		}
	})
}

func TestEndToEndOnCall(t *testing.T) {
	w := newWorld(t)
	w.start(t)
	alice := w.slack.User("U1").In("C1")

	alice.Slash(t, "oncall")
	answer := alice.ExpectEphemeral(t, "Web Ops")
	for _, want := range []string{"Level 1", "Alice Ops", "Primary", "next: Bob Ops from", "Level 2", "Bob Ops"} {
		if !strings.Contains(answer.Text(), want) {
			t.Errorf("on-call answer lacks %q:\n%s", want, answer.Text())
		}
	}
}

// The ack must not wait for PagerDuty: with every PagerDuty answer 10 s
// late, the slash command is still acked at once.
func TestEndToEndAckWhilePagerDutyIsSlow(t *testing.T) {
	w := newWorld(t)
	w.pd.SetDelay(10 * time.Second)
	w.start(t)
	alice := w.slack.User("U1").In("C1")

	ack := alice.Slash(t, "oncall")
	if ack.Latency >= 3*time.Second {
		t.Fatalf("ack took %v; Slack gives up at 3s", ack.Latency)
	}
	t.Logf("ack latency with PagerDuty 10s slow: %v", ack.Latency)
}

func TestEndToEndReconnectAndReadiness(t *testing.T) {
	w := newWorld(t)
	r := w.start(t)
	alice := w.slack.User("U1").In("C1")

	t.Run("RefreshRequested", func(t *testing.T) {
		w.slack.Disconnect("refresh_requested")
		waitConnections(t, w.slack, 2)
		r.waitReady(t, http.StatusOK)
		alice.Slash(t, "help")
	})
	t.Run("KilledWebsocket", func(t *testing.T) {
		// Keep Slack refusing new sockets so the outage can be observed.
		w.slack.SetConnectionsOpenError("internal_error")
		w.slack.DropConnection()
		r.waitReady(t, http.StatusServiceUnavailable)
		if _, body := r.get(t, "/readyz"); !strings.Contains(body, "not connected") {
			t.Errorf("/readyz body = %q, want the reason", body)
		}
		// /readyz turns 503 as slack-go starts dialling, before it asks
		// for a URL: wait for a refusal to happen before ending them.
		waitRefusedOpen(t, w.slack)
		w.slack.SetConnectionsOpenError("")
		waitConnections(t, w.slack, 3)
		r.waitReady(t, http.StatusOK)
		alice.Slash(t, "help")
	})
	t.Run("Metrics", func(t *testing.T) {
		_, body := r.get(t, "/metrics")
		for _, want := range []string{
			`toban_envelopes_received_total{type="slash_commands"} 2`,
			`toban_envelopes_acked_total{type="slash_commands"} 2`,
			`toban_ack_latency_seconds_count{type="slash_commands"} 2`,
			`toban_socket_reconnects_total 2`,
			`toban_socket_connected 1`,
			`toban_slack_api_calls_total{method="auth.test",result="ok"} 1`,
			`toban_slack_api_calls_total{method="apps.connections.open",result="error"}`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
	})
}

func TestEndToEndRedeliveredEventOnce(t *testing.T) {
	w := newWorld(t)
	w.start(t)
	inner := map[string]any{"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := w.slack.WaitAck(ctx, w.slack.SendEvent("EvDup", inner)); err != nil {
		t.Fatal(err)
	}
	w.slack.SendRaw([]byte(`{"envelope_id":"redelivery","type":"events_api","retry_attempt":1,"retry_reason":"timeout",` +
		`"payload":{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"EvDup",` +
		`"event_time":1700000000,"event":{"type":"app_home_opened","user":"U1","channel":"D1","tab":"home"}}}`))
	if _, err := w.slack.WaitAck(ctx, "redelivery"); err != nil {
		t.Fatal(err)
	}
	// A later event for another user shows the queue has moved past the retry.
	if _, err := w.slack.WaitAck(ctx, w.slack.SendEvent("EvNext", map[string]any{"type": "app_home_opened", "user": "U2", "tab": "home"})); err != nil {
		t.Fatal(err)
	}
	calls, err := w.slack.WaitCalls(ctx, "views.publish", 2)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // a doubled publish would be right behind
	if got := len(w.slack.Calls("views.publish")); got != 2 {
		t.Errorf("views.publish calls = %d, want 2 (EvDup once, EvNext once): %v", got, calls)
	}
}

func TestEndToEndWithoutPagerDuty(t *testing.T) {
	w := newWorld(t)
	delete(w.env, "PAGERDUTY_TOKEN")
	w.start(t)
	ack := w.slack.User("U1").In("C1").Slash(t, "oncall")
	if !strings.Contains(string(ack.Payload), "PagerDuty is not configured") {
		t.Errorf("answer = %s, want the not-configured explanation", ack.Payload)
	}
	if n := len(w.pd.Requests()); n != 0 {
		t.Errorf("PagerDuty got %d requests without a token", n)
	}
}

func TestEndToEndBadBotToken(t *testing.T) {
	w := newWorld(t)
	w.slack.FailNext("auth.test", "invalid_auth", 1)
	cfg, err := LoadConfig(envOf(w.env))
	if err != nil {
		t.Fatal(err)
	}
	m := NewMain(cfg, io.Discard)
	defer m.Close()
	err = m.Open(context.Background())
	if err == nil || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN was rejected by Slack (invalid_auth)") {
		t.Fatalf("Open = %v, want a clear bot token error", err)
	}
}

// expectEphemerals waits until exactly want ephemeral answers containing
// contains have been shown, to whoever, and counts them as expected.
func expectEphemerals(t *testing.T, s *slackfake.Server, contains string, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := s.DismissEphemerals(contains)
		if got == want {
			return
		}
		if got > want || time.Now().After(deadline) {
			var other []string
			for _, m := range s.Unseen() {
				other = append(other, strings.ReplaceAll(slackfake.Describe(m), "\n", " | "))
			}
			t.Fatalf("%d ephemerals contain %q, want %d; not yet expected:\n  %s", got, contains, want, strings.Join(other, "\n  "))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitRefusedOpen waits until the fake has refused an apps.connections.open.
func waitRefusedOpen(t *testing.T, s *slackfake.Server) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, c := range s.Calls("apps.connections.open") {
			if c.Error != "" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("toban never asked Slack for a socket while Slack refused them")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitConnections(t *testing.T, s *slackfake.Server, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitConnected(ctx, n); err != nil {
		t.Fatalf("connection %d never came: %v", n, err)
	}
}

// expectThread checks that card's thread reads, reply by reply, as want:
// each reply contains its line of want ("[file]" for a reply that only
// shares a file), nothing missing and nothing more. It waits for replies
// still on their way.
func expectThread(t *testing.T, card *slackfake.Card, want ...string) {
	t.Helper()
	replies := card.Replies()
	for deadline := time.Now().Add(10 * time.Second); len(replies) < len(want) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		replies = card.Replies()
	}
	var got []string
	for _, m := range replies {
		text := strings.ReplaceAll(m.Text, "\n", " ")
		if text == "" && len(m.Files) > 0 {
			text = "[file]"
		}
		got = append(got, text)
	}
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = strings.Contains(got[i], want[i])
	}
	if !ok {
		t.Errorf("thread of %s reads:\n  %s\nwant, in order:\n  %s", card.TS(), strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
