// Package demo runs toban without a Slack workspace or a PagerDuty
// account: the in-repo fakes of both, seeded with a believable team, and a
// Slack-like web page through which a person uses the real bot. Every
// click in the page becomes the Socket Mode envelope Slack would send, so
// the bot cannot tell the demo from production; cmd/toban wires the bot
// exactly as `toban run` does and hands it the demo's environment.
//
// It owns the demo's seed data and web page. It may import the fakes
// (fakes/slackfake, fakes/pdfake) and scheduler; only cmd/toban imports it.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
)

// Demo is a seeded fake Slack workspace and PagerDuty account on loopback
// and the page that shows them.
type Demo struct {
	// Clock is the time of the bot and of both fakes.
	Clock *Clock
	// Slack is the fake workspace the bot connects to over Socket Mode.
	Slack *slackfake.Server
	// PD is the fake PagerDuty account; tests read what the bot wrote.
	PD *pdfake.Server

	client *client
	log    zerolog.Logger
	news   *broadcast
	start  time.Time
}

// New starts both fakes on loopback, on the demo's clock, and fills them
// with the team. real is the wall clock (time.Now).
func New(real func() time.Time, log zerolog.Logger) *Demo {
	clock := NewClock(real)
	d := &Demo{Clock: clock, log: log, news: newBroadcast(), start: clock.Now()}
	// Slack's own defaults otherwise: 3 s trigger lifetime, redelivery of
	// unacked events, one post a second per channel.
	d.Slack = slackfake.New(slackfake.Options{Now: clock.Now})
	d.PD = pdfake.New(pdfake.Options{Now: clock.Now, HTMLBase: "https://acme-demo.pagerduty.com"})
	d.client = newClient(d.Slack, clock.Now)
	seedFakes(d.Slack, d.PD, clock.Now())
	return d
}

// Close stops both fakes.
func (d *Demo) Close() {
	d.Slack.Close()
	d.PD.Close()
}

// Env is the whole configuration of the bot in the demo: the fakes' URLs
// and tokens, a database file, admin Alice. Nothing comes from the real
// environment, so real tokens there are never used.
func (d *Demo) Env(dbPath string) map[string]string {
	return map[string]string{
		"SLACK_APP_TOKEN":        d.Slack.AppToken(),
		"SLACK_BOT_TOKEN":        d.Slack.BotToken(),
		"SLACK_API_URL":          d.Slack.URL(),
		"PAGERDUTY_TOKEN":        d.PD.Token(),
		"PAGERDUTY_API_URL":      d.PD.URL(),
		"PAGERDUTY_EVENTS_URL":   d.PD.URL(),
		"TOBAN_DB":               dbPath,
		"TOBAN_HTTP_ADDR":        "127.0.0.1:0",
		"TOBAN_ADMINS":           Team[0].SlackID,
		"TOBAN_TIMEZONE":         "UTC",
		"TOBAN_PD_POLL_INTERVAL": "1s", // changes made "in the PagerDuty app" reach the cards quickly
		"TOBAN_LOG_LEVEL":        "warn",
		"TOBAN_SHUTDOWN_TIMEOUT": "2s",
	}
}

// Seed makes toban's own state as the team would through Slack: Alice
// subscribes #alerts to every service, schedules a daily check and a
// weekly report in #ops; then incidents trigger and their cards appear
// in #alerts. The bot must be connected.
func (d *Demo) Seed(ctx context.Context) error {
	alice := Team[0].SlackID
	var services []any
	for _, sv := range Services {
		services = append(services, option(sv.ID, sv.Name))
	}
	if err := d.fillModal(ctx, alice, ChannelAlerts, "subscribe", "feed.subscribe", map[string]map[string]any{
		"services":  {"service": map[string]any{"type": "multi_external_select", "selected_options": services}},
		"urgencies": {"urgencies": map[string]any{"type": "checkboxes", "selected_options": []any{option("high", "high"), option("low", "low")}}},
		"events": {"events": map[string]any{"type": "checkboxes", "selected_options": []any{
			option("notes", "notes"), option("escalations", "escalations"), option("reassignments", "reassignments")}}},
	}); err != nil {
		return fmt.Errorf("subscribe #alerts: %w", err)
	}
	// The bot saves the subscriptions after acking the form, as Slack
	// wants; Alice sees its confirmation before anything triggers, or the
	// first incidents could be read before #alerts subscribes to them.
	if err := d.waitMessage(ctx, ChannelAlerts, "subscribed this channel", 30*time.Second); err != nil {
		return fmt.Errorf("subscribe #alerts: %w", err)
	}
	if err := d.fillModal(ctx, alice, ChannelOps, "remind", "task.save", map[string]map[string]any{
		"title":      {"title": plain("Check the backup dashboard")},
		"channel":    {"channel": map[string]any{"type": "conversations_select", "selected_conversation": ChannelOps}},
		"kind":       {"kind": selected("static_select", "daily")},
		"at":         {"at": map[string]any{"type": "timepicker", "selected_time": "09:30"}},
		"tz":         {"tz": selected("external_select", "UTC")},
		"grace":      {"grace": selected("static_select", "15")},
		"escalation": {"escalation": selected("radio_buttons", "none")},
	}); err != nil {
		return fmt.Errorf("schedule the daily check: %w", err)
	}
	if err := d.fillModal(ctx, alice, ChannelOps, "report schedule", "report.schedule", map[string]map[string]any{
		"period":   {"period": selected("static_select", "last-week")},
		"services": {"service": map[string]any{"type": "multi_external_select", "selected_options": []any{}}},
		"weekday":  {"weekday": selected("static_select", "mon")},
		"time":     {"time": map[string]any{"type": "timepicker", "selected_time": "09:00"}},
	}); err != nil {
		return fmt.Errorf("schedule the weekly report: %w", err)
	}

	now := d.Clock.Now()
	day := now.UTC().Truncate(24 * time.Hour)
	if _, err := d.PD.AddOverride("PSPLATFORM", pdfake.Override{UserID: "PCAROL", Start: day.Add(36 * time.Hour), End: day.Add(40 * time.Hour)}); err != nil {
		return fmt.Errorf("seed an override: %w", err)
	}
	d.PD.AddMaintenanceWindow(pdfake.MaintenanceWindow{
		Description: "Search cluster upgrade", ServiceIDs: []string{"PSEARCH"},
		Start: day.Add(26 * time.Hour), End: day.Add(28 * time.Hour), CreatedBy: Team[2].Email,
	})
	var ids []string
	for _, in := range openIncidents {
		ids = append(ids, d.PD.AddIncident(in).ID)
	}
	// Bob already took the search one in the PagerDuty app.
	if err := d.PD.AcknowledgeAs(ids[2], "PBOB"); err != nil {
		return fmt.Errorf("seed an acknowledgement: %w", err)
	}
	for _, in := range openIncidents {
		if err := d.waitMessage(ctx, ChannelAlerts, in.Title, time.Minute); err != nil {
			return fmt.Errorf("card of %q: %w", in.Title, err)
		}
	}
	d.news.notify()
	return nil
}

// fillModal types /toban command in channel as user, waits for the modal
// with callbackID and submits values.
func (d *Demo) fillModal(ctx context.Context, user, channel, command, callbackID string, values map[string]map[string]any) error {
	if _, err := d.client.slash(ctx, user, channel, command); err != nil {
		return err
	}
	viewID, err := d.waitModal(ctx, user, callbackID, 10*time.Second)
	if err != nil {
		return err
	}
	ack, err := d.client.submit(ctx, user, viewID, values)
	if err != nil {
		return err
	}
	if strings.Contains(string(ack.Payload), `"errors"`) {
		return fmt.Errorf("toban refused the form: %s", ack.Payload)
	}
	return nil
}

// waitModal waits until user's top modal has callbackID.
func (d *Demo) waitModal(ctx context.Context, user, callbackID string, limit time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		if m := d.client.modals(user); len(m) > 0 {
			var v struct {
				ID         string `json:"id"`
				CallbackID string `json:"callback_id"`
			}
			if json.Unmarshal(m[len(m)-1], &v) == nil && v.CallbackID == callbackID {
				return v.ID, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no %s modal opened", callbackID)
		case <-d.Slack.Changed():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitMessage waits for a message in channel containing text.
func (d *Demo) waitMessage(ctx context.Context, channel, text string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		for _, m := range d.Slack.Messages(channel) {
			if strings.Contains(m.Text, text) || strings.Contains(string(m.Blocks), text) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no message containing %q in %s", text, channelName(channel))
		case <-d.Slack.Changed():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func option(value, text string) map[string]any {
	return map[string]any{"value": value, "text": map[string]any{"type": "plain_text", "text": text}}
}

func selected(kind, value string) map[string]any {
	return map[string]any{"type": kind, "selected_option": option(value, value)}
}

func plain(v string) map[string]any { return map[string]any{"type": "plain_text_input", "value": v} }
