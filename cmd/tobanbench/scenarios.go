package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/storage"
	"github.com/tobanbot/toban/webhook"
)

const hookSecret = "bench-secret"

func env(s *slackfake.Server, p *pdfake.Server, db string) map[string]string {
	e := map[string]string{
		"SLACK_APP_TOKEN": s.AppToken(), "SLACK_BOT_TOKEN": s.BotToken(), "SLACK_API_URL": s.URL(),
		"TOBAN_DB": db, "TOBAN_LOG_LEVEL": "warn", "TOBAN_PD_POLL_INTERVAL": "0",
	}
	if p != nil {
		e["PAGERDUTY_TOKEN"], e["PAGERDUTY_API_URL"], e["PAGERDUTY_EVENTS_URL"] = p.Token(), p.URL(), p.URL()
		e["PAGERDUTY_WEBHOOK_SECRET"] = hookSecret
	}
	return e
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s))*p+0.999999) - 1 // nearest rank
	return s[max(0, min(i, len(s)-1))]
}

// sendSlashes sends "/toban help" at rate per second for dur and returns
// each envelope's ack latency as the fake measured it.
func sendSlashes(s *slackfake.Server, rate int, dur time.Duration) ([]time.Duration, error) {
	var ids []string
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	end := time.Now().Add(dur)
	for time.Now().Before(end) {
		<-tick.C
		ids = append(ids, s.SendSlashCommand(slack.SlashCommand{UserID: "U1", ChannelID: "C1", Text: "help"}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lat := make([]time.Duration, 0, len(ids))
	for _, id := range ids {
		a, err := s.WaitAck(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("envelope %s not acked: %w", id, err)
		}
		lat = append(lat, a.Latency)
	}
	return lat, nil
}

// ackRound is one round of the ack measurement: toban, then the floor.
type ackRound struct{ toban, floor []time.Duration }

// ackLatency measures toban's ack latency against the floor, a bare
// slack-go socketmode loop that only acks, in alternating rounds: p99s of
// sub-millisecond latencies move between runs on a shared machine, and
// the median round is a steadier figure than any one.
func ackLatency(bin, dir string, rate int, dur time.Duration, rounds int) ([]ackRound, error) {
	s := slackfake.New(slackfake.Options{Now: time.Now})
	defer s.Close()
	p, err := startToban(bin, env(s, nil, filepath.Join(dir, "ack.db")))
	if err != nil {
		return nil, err
	}
	defer p.stop()

	// The floor runs in a process of its own too, so that both pay for
	// crossing process boundaries: the harness re-executes itself.
	f := slackfake.New(slackfake.Options{Now: time.Now})
	defer f.Close()
	floorCmd := exec.Command(os.Args[0], "-floor")
	floorCmd.Env = append(os.Environ(), "SLACK_APP_TOKEN="+f.AppToken(), "SLACK_BOT_TOKEN="+f.BotToken(), "SLACK_API_URL="+f.URL())
	if err := floorCmd.Start(); err != nil {
		return nil, err
	}
	defer func() { floorCmd.Process.Kill(); floorCmd.Wait() }()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := f.WaitConnected(wctx, 1); err != nil {
		return nil, err
	}
	var out []ackRound
	for range rounds {
		t, err := sendSlashes(s, rate, dur)
		if err != nil {
			return nil, err
		}
		fl, err := sendSlashes(f, rate, dur)
		if err != nil {
			return nil, err
		}
		out = append(out, ackRound{toban: t, floor: fl})
	}
	return out, nil
}

// pagerDutyEvent is a v3 webhook event, as PagerDuty sends it.
func pagerDutyEvent(id, typ string, inc pdfake.Incident, serviceName string) map[string]any {
	return map[string]any{"event": map[string]any{
		"id": id, "event_type": typ, "resource_type": "incident", "occurred_at": time.Now().UTC().Format(time.RFC3339Nano),
		"agent": map[string]any{"id": "PU1", "summary": "Alice", "type": "user_reference"},
		"data": map[string]any{
			"id": inc.ID, "type": "incident", "number": inc.Number, "title": inc.Title, "status": "triggered",
			"urgency": "high", "created_at": inc.CreatedAt.UTC().Format(time.RFC3339),
			"html_url":          "https://acme.pagerduty.com/incidents/" + inc.ID,
			"service":           map[string]any{"id": inc.ServiceID, "summary": serviceName, "type": "service_reference"},
			"escalation_policy": map[string]any{"id": "PEP1", "summary": "Ops", "type": "escalation_policy_reference"},
			"assignees":         []any{},
		},
	}}
}

var httpClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// deliver signs and posts one webhook delivery.
func deliver(addr string, ev map[string]any) (int, error) {
	return deliverSigned(addr, sign(ev))
}

// signedDelivery is a webhook body with its signature, made before a
// measurement starts: the sender's own JSON and HMAC work would
// otherwise take CPU from the replicas it measures, on the same cores.
type signedDelivery struct {
	body      []byte
	signature string
}

func sign(ev map[string]any) signedDelivery {
	body, _ := json.Marshal(ev)
	return signedDelivery{body: body, signature: webhook.Sign(hookSecret, body)}
}

// deliverSigned posts one signed delivery and returns the status code.
func deliverSigned(addr string, d signedDelivery) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/webhooks/pagerduty", bytes.NewReader(d.body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-PagerDuty-Signature", d.signature)
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, err
	}
	// Read to the end, or the connection is not reused.
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// ingestResult is the webhook ingest measurement.
type ingestResult struct {
	deliveries, unique, stored int
	elapsed                    time.Duration
}

// seed prepares a database before toban starts.
func seed(path string, f func(ctx context.Context, db *storage.DB) error) error {
	ctx := context.Background()
	db, err := storage.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	return f(ctx, db)
}

// clickPayload is the block_actions payload Slack sends for a click on
// an incident card's Acknowledge button.
func clickPayload(s *slackfake.Server, i int, channel, ts, incidentID string) map[string]any {
	now := time.Now()
	base := strings.TrimSuffix(s.URL(), "api/")
	return map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "U1", "username": "alice", "name": "alice", "team_id": "T1"},
		"api_app_id": "A1", "token": "x", "trigger_id": fmt.Sprintf("test-trigger-%d", i),
		"team":         map[string]any{"id": "T1", "domain": "fake"},
		"container":    map[string]any{"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false},
		"channel":      map[string]any{"id": channel, "name": channel},
		"response_url": fmt.Sprintf("%sresponse/bench-%d", base, i),
		"message":      map[string]any{"ts": ts, "text": "card", "type": "message"},
		"state":        map[string]any{"values": map[string]any{}},
		"actions": []map[string]any{{"action_id": "incident.acknowledge", "block_id": "incident/" + incidentID,
			"value": incidentID, "type": "button", "action_ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000),
			"text": map[string]any{"type": "plain_text", "text": "Acknowledge"}}},
	}
}

// runFloor is the floor: a minimal slack-go socketmode loop that only acks.
func runFloor() {
	api := slack.New(os.Getenv("SLACK_BOT_TOKEN"), slack.OptionAppLevelToken(os.Getenv("SLACK_APP_TOKEN")), slack.OptionAPIURL(os.Getenv("SLACK_API_URL")))
	sm := socketmode.New(api)
	go func() {
		for ev := range sm.Events {
			if ev.Request != nil && ev.Request.EnvelopeID != "" {
				sm.Ack(*ev.Request)
			}
		}
	}()
	sm.Run()
}
