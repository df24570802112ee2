package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack/socketmode"
	"github.com/tobanbot/toban/bot"
	"github.com/tobanbot/toban/metrics"
	"github.com/tobanbot/toban/pagerduty"
	"github.com/tobanbot/toban/storage"
)

// check tries every dependency and prints what works and what does not.
// It exits 0 only when everything required works.
func check(ctx context.Context, cfg Config, out io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	failed := false
	report := func(what string, err error, okDetail string) {
		if err != nil {
			failed = true
			fmt.Fprintf(out, "✗ %-22s %v\n", what, err)
			return
		}
		fmt.Fprintf(out, "✓ %-22s %s\n", what, okDetail)
	}
	fmt.Fprintln(out, "✓ configuration          valid")

	m := metrics.New()
	slackCfg := bot.SlackConfig{AppToken: cfg.SlackAppToken, BotToken: cfg.SlackBotToken, APIURL: cfg.SlackAPIURL}
	api := bot.NewSlackClient(slackCfg, m, zerolog.New(io.Discard))
	if who, err := api.AuthTestContext(ctx); err != nil {
		report("SLACK_BOT_TOKEN", fmt.Errorf("auth.test: %w", err), "")
	} else {
		report("SLACK_BOT_TOKEN", nil, fmt.Sprintf("auth.test ok: @%s (%s) in %s", who.User, who.UserID, who.Team))
	}
	// Opening a Socket Mode URL proves the app token without connecting.
	if _, _, err := socketmode.New(api).OpenContext(ctx); err != nil {
		report("SLACK_APP_TOKEN", fmt.Errorf("apps.connections.open: %w", err), "")
	} else {
		report("SLACK_APP_TOKEN", nil, "apps.connections.open ok (Socket Mode enabled)")
	}

	if cfg.PagerDutyConfigured() {
		c := pagerduty.New(pagerduty.Config{Token: cfg.PagerDutyToken, APIURL: cfg.PagerDutyAPIURL, EventsURL: cfg.PagerDutyEvents, Timeout: cfg.PagerDutyTimeout, Now: time.Now}, m)
		if err := c.Ping(ctx); err != nil {
			report("PAGERDUTY_TOKEN", err, "")
		} else {
			report("PAGERDUTY_TOKEN", nil, "REST API ok at "+cfg.PagerDutyAPIURL)
		}
	} else {
		fmt.Fprintln(out, "- PAGERDUTY_TOKEN        not set: incident features are off")
	}

	if t, _ := storage.ParseTarget(cfg.DBPath); !t.Postgres && statErr(cfg.DBPath) != nil {
		report("TOBAN_DB", statErr(cfg.DBPath), "")
	} else if db, err := storage.Open(ctx, cfg.DBPath); err != nil {
		report("TOBAN_DB", err, "")
	} else {
		v, _ := db.SchemaVersion(ctx)
		werr := db.CheckWritable(ctx)
		db.Close()
		report("TOBAN_DB", werr, fmt.Sprintf("%s writable, schema version %d", db, v))
	}
	if failed {
		return 1
	}
	return 0
}

// statErr is why the SQLite file cannot be looked at; a missing file is
// fine, Open creates it.
func statErr(path string) error {
	if _, err := os.Stat(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}
