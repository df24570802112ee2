package slackfake

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

func TestSlashCommandAckedWithPayload(t *testing.T) {
	f := newFake(t, fastOptions())
	f.AddUser(User{ID: "U1", Name: "alice"})
	f.AddChannel("C1", "ops")
	// Queued before the client connects: sent after hello.
	id := f.SendSlashCommand(slack.SlashCommand{UserID: "U1", ChannelID: "C1", Text: "status"})
	b := startBot(t, f, f.AppToken(), time.Second, nil)
	if err := f.WaitConnected(ctx5(t), 1); err != nil {
		t.Fatal(err)
	}

	ev := b.next(t)
	cmd, ok := ev.Data.(slack.SlashCommand)
	if !ok {
		t.Fatalf("data is %T", ev.Data)
	}
	if ev.Request.EnvelopeID != id || !ev.Request.AcceptsResponsePayload {
		t.Fatalf("request %+v", ev.Request)
	}
	if cmd.Command != "/toban" || cmd.Text != "status" || cmd.UserName != "alice" || cmd.ChannelName != "ops" ||
		cmd.TeamID != "T1" || cmd.TriggerID == "" || !strings.HasPrefix(cmd.ResponseURL, "http://127.0.0.1:") {
		t.Fatalf("slash command %+v", cmd)
	}
	if err := b.sm.Ack(*ev.Request, map[string]any{"text": "all good"}); err != nil {
		t.Fatal(err)
	}
	ack, err := f.WaitAck(ctx5(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ack.Payload), "all good") || ack.Latency <= 0 {
		t.Fatalf("ack %+v", ack)
	}
	if n := f.AckCount(id); n != 1 {
		t.Fatalf("AckCount = %d", n)
	}
	// An ack payload for a slash command is shown to the user, ephemeral.
	if eph := f.Ephemerals("U1"); len(eph) != 1 || eph[0].Text != "all good" || eph[0].Channel != "C1" {
		t.Fatalf("ephemerals %+v", eph)
	}
}

func TestReconnects(t *testing.T) {
	f := newFake(t, fastOptions())
	b := startBot(t, f, f.AppToken(), time.Second, nil)
	if err := f.WaitConnected(ctx5(t), 1); err != nil {
		t.Fatal(err)
	}

	f.Disconnect("refresh_requested")
	if err := f.WaitConnected(ctx5(t), 2); err != nil {
		t.Fatalf("no reconnect after disconnect: %v (connections %d)", err, f.Connections())
	}
	f.DropConnection()
	if err := f.WaitConnected(ctx5(t), 3); err != nil {
		t.Fatalf("no reconnect after drop: %v (connections %d)", err, f.Connections())
	}
	// Envelopes go to the newest socket.
	id := f.SendSlashCommand(slack.SlashCommand{UserID: "U1", ChannelID: "C1", Text: "x"})
	ev := b.next(t)
	if ev.Request.EnvelopeID != id {
		t.Fatalf("got %s, want %s", ev.Request.EnvelopeID, id)
	}
}

func TestPingTimeoutReconnects(t *testing.T) {
	f := newFake(t, fastOptions())
	startBot(t, f, f.AppToken(), 300*time.Millisecond, nil)
	if err := f.WaitConnected(ctx5(t), 1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond) // pings keep the first socket alive
	if n := f.Connections(); n != 1 {
		t.Fatalf("connections = %d while pinging", n)
	}
	f.SetPinging(false)
	if err := f.WaitConnected(ctx5(t), 2); err != nil {
		t.Fatalf("client did not reconnect without pings: %v", err)
	}
	f.SetPinging(true)
}

func TestEventRedeliveredUntilAcked(t *testing.T) {
	f := newFake(t, fastOptions())
	b := startBot(t, f, f.AppToken(), time.Second, nil)
	inner := map[string]any{"type": "app_mention", "user": "U1", "text": "<@UBOT> hi", "channel": "C1", "ts": "1.2", "event_ts": "1.2"}
	first := f.SendEvent("Ev1", inner)

	ev := b.next(t)
	if ev.Request.EnvelopeID != first || ev.Request.RetryAttempt != 0 {
		t.Fatalf("first delivery %+v", ev.Request)
	}
	api := ev.Data.(slackevents.EventsAPIEvent)
	if mention, ok := api.InnerEvent.Data.(*slackevents.AppMentionEvent); !ok || mention.Text != "<@UBOT> hi" {
		t.Fatalf("inner event %#v", api.InnerEvent.Data)
	}
	// Not acked: redelivered with a new envelope id.
	ev = b.next(t)
	if ev.Request.EnvelopeID == first || ev.Request.RetryAttempt != 1 || ev.Request.RetryReason != "timeout" {
		t.Fatalf("redelivery %+v", ev.Request)
	}
	var p struct {
		EventID string `json:"event_id"`
	}
	_ = json.Unmarshal(ev.Request.Payload, &p)
	if p.EventID != "Ev1" {
		t.Fatalf("event_id %q", p.EventID)
	}
	b.sm.Ack(*ev.Request)
	if _, err := f.WaitAck(ctx5(t), ev.Request.EnvelopeID); err != nil {
		t.Fatal(err)
	}
	b.none(t, 500*time.Millisecond)
	if n := f.Deliveries("Ev1"); n != 2 {
		t.Fatalf("Deliveries = %d", n)
	}
	if a := f.Acks(); len(a) != 1 || a[0].Payload != nil {
		t.Fatalf("acks %+v", a)
	}
}

func TestConnectionLossRedeliversEventsOnly(t *testing.T) {
	opts := fastOptions()
	opts.RedeliverAfter = -1
	f := newFake(t, opts)
	b := startBot(t, f, f.AppToken(), time.Second, nil)
	slash := f.SendSlashCommand(slack.SlashCommand{UserID: "U1", ChannelID: "C1"})
	b.next(t)
	f.SendEvent("Ev9", map[string]any{"type": "app_mention", "text": "x", "channel": "C1"})
	b.next(t)
	f.DropConnection()
	if err := f.WaitConnected(ctx5(t), 2); err != nil {
		t.Fatal(err)
	}
	ev := b.next(t)
	if ev.Type != socketmode.EventTypeEventsAPI || ev.Request.RetryAttempt != 1 {
		t.Fatalf("after reconnect got %s retry %d", ev.Type, ev.Request.RetryAttempt)
	}
	b.none(t, 300*time.Millisecond) // the slash command is gone, as in Slack
	for _, e := range f.Envelopes() {
		if e.ID == slash && !e.Lost {
			t.Fatalf("slash envelope not marked lost: %+v", e)
		}
	}
}

func TestWrongAppTokenIsFatal(t *testing.T) {
	f := newFake(t, fastOptions())
	b := startBot(t, f, "xapp-wrong", time.Second, nil)
	select {
	case err := <-b.done:
		var serr slack.SlackErrorResponse
		if !errors.As(err, &serr) || err.Error() != "invalid_auth" {
			t.Fatalf("RunContext returned %v", err)
		}
		b.done <- err // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("RunContext did not return")
	}
	if c := f.Calls("apps.connections.open"); len(c) != 1 || c[0].Error != "invalid_auth" {
		t.Fatalf("calls %+v", c)
	}
}

func TestConnectionsOpenError(t *testing.T) {
	f := newFake(t, fastOptions())
	f.SetConnectionsOpenError("internal_error")
	startBot(t, f, f.AppToken(), time.Second, nil)
	if _, err := f.WaitCalls(ctx5(t), "apps.connections.open", 2); err != nil {
		t.Fatal(err) // a non-fatal error: the client retries with backoff
	}
	f.SetConnectionsOpenError("")
	if err := f.WaitConnected(ctx5(t), 1); err != nil {
		t.Fatal(err)
	}
}

func TestSendRawMalformed(t *testing.T) {
	f := newFake(t, fastOptions())
	b := startBot(t, f, f.AppToken(), time.Second, nil)
	f.SendRaw([]byte(`{"type":"no_such_type","envelope_id":"zz"}`))
	f.SendRaw([]byte(`{not json`))
	id := f.SendSlashCommand(slack.SlashCommand{UserID: "U1", ChannelID: "C1"})
	if ev := b.next(t); ev.Request.EnvelopeID != id {
		t.Fatalf("got %+v", ev.Request)
	}
	if f.Connections() != 1 {
		t.Fatalf("malformed frames caused a reconnect")
	}
}
