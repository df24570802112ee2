package slackfake

import (
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// A slash command whose ack is lost comes again with the same envelope_id
// and retry_attempt 1; the lost ack's payload is never shown.
func TestLoseNextAckRedeliversSameEnvelope(t *testing.T) {
	f := newFake(t, fastOptions())
	seen := make(chan socketmode.Request, 10)
	startBot(t, f, f.AppToken(), 5*time.Second, func(b *testBot, ev socketmode.Event) {
		seen <- *ev.Request
		b.sm.Ack(*ev.Request, map[string]any{"text": "answer " + ev.Request.EnvelopeID + " try " + string(rune('0'+ev.Request.RetryAttempt))})
	})
	f.LoseNextAck("slash_commands")
	id := f.SendSlashCommand(slack.SlashCommand{UserID: "U1", ChannelID: "C1", Text: "help"})
	if _, err := f.WaitAck(ctx5(t), id); err != nil {
		t.Fatal(err)
	}
	var got []socketmode.Request
	for len(got) < 2 {
		select {
		case r := <-seen:
			got = append(got, r)
		case <-time.After(5 * time.Second):
			t.Fatalf("deliveries = %+v, want 2", got)
		}
	}
	if got[0].EnvelopeID != id || got[1].EnvelopeID != id {
		t.Errorf("envelope ids = %s, %s; want both %s", got[0].EnvelopeID, got[1].EnvelopeID, id)
	}
	if got[0].RetryAttempt != 0 || got[1].RetryAttempt != 1 || got[1].RetryReason != "timeout" {
		t.Errorf("retries = %d, %d (%q); want 0, 1 (timeout)", got[0].RetryAttempt, got[1].RetryAttempt, got[1].RetryReason)
	}
	if n := f.LostAcks(); n != 1 {
		t.Errorf("lost acks = %d, want 1", n)
	}
	if n := f.AckCount(id); n != 1 {
		t.Errorf("acks Slack saw = %d, want 1", n)
	}
	eph := f.Ephemerals("U1")
	if len(eph) != 1 || eph[0].Text != "answer "+id+" try 1" {
		t.Errorf("ephemerals = %+v, want only the redelivery's answer", eph)
	}
	envs := f.Envelopes()
	if len(envs) != 2 || envs[1].ID != id || envs[1].RetryAttempt != 1 || !envs[1].Acked || envs[0].Acked {
		t.Errorf("envelopes = %+v", envs)
	}
}
