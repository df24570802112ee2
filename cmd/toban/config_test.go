package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/storage"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func validEnv() map[string]string {
	return map[string]string{
		"SLACK_APP_TOKEN": "xapp-1-A1-secretapp",
		"SLACK_BOT_TOKEN": "xoxb-1-secretbot",
	}
}

func TestLoadConfig(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		c, err := LoadConfig(envOf(validEnv()))
		if err != nil {
			t.Fatal(err)
		}
		if c.SlackAPIURL != "https://slack.com/api/" || c.PagerDutyAPIURL != "https://api.pagerduty.com" ||
			c.DBPath != "./toban.db" || c.HTTPAddr != ":8080" || c.Location != time.UTC ||
			c.LogLevel != zerolog.InfoLevel || c.LogFormat != "json" || c.PagerDutyConfigured() {
			t.Errorf("defaults wrong: %+v", c)
		}
	})
	t.Run("Everything", func(t *testing.T) {
		env := validEnv()
		env["SLACK_API_URL"] = "http://127.0.0.1:9/api" // slash added
		env["PAGERDUTY_TOKEN"] = "pd"
		env["PAGERDUTY_API_URL"] = "https://api.eu.pagerduty.com/"
		env["TOBAN_TIMEZONE"] = "Asia/Tokyo"
		env["TOBAN_ADMINS"] = "U012AB3CD, W0ABC"
		env["TOBAN_LOG_LEVEL"] = "DEBUG"
		env["TOBAN_LOG_FORMAT"] = "console"
		c, err := LoadConfig(envOf(env))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := c.SlackAPIURL, "http://127.0.0.1:9/api/"; got != want {
			t.Errorf("SlackAPIURL = %q, want %q", got, want)
		}
		if got, want := c.PagerDutyAPIURL, "https://api.eu.pagerduty.com"; got != want {
			t.Errorf("PagerDutyAPIURL = %q, want %q", got, want)
		}
		if c.Location.String() != "Asia/Tokyo" || len(c.Admins) != 2 || c.LogLevel != zerolog.DebugLevel || !c.PagerDutyConfigured() {
			t.Errorf("config wrong: %+v", c)
		}
	})
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name     string
		set      map[string]string
		wantVar  string
		wantText string
	}{
		{"MissingAppToken", map[string]string{"SLACK_APP_TOKEN": ""}, "SLACK_APP_TOKEN", "required"},
		{"BotTokenAsAppToken", map[string]string{"SLACK_APP_TOKEN": "xoxb-secretbot"}, "SLACK_APP_TOKEN", `must start with "xapp-"`},
		{"UserToken", map[string]string{"SLACK_BOT_TOKEN": "xoxp-secretuser"}, "SLACK_BOT_TOKEN", `must start with "xoxb-"`},
		{"BadURL", map[string]string{"SLACK_API_URL": "slack.com"}, "SLACK_API_URL", "http(s) URL"},
		{"BadPDURL", map[string]string{"PAGERDUTY_API_URL": "ftp://x"}, "PAGERDUTY_API_URL", "http(s) URL"},
		{"BadZone", map[string]string{"TOBAN_TIMEZONE": "Mars/Olympus"}, "TOBAN_TIMEZONE", "unknown time zone"},
		{"BadAdmin", map[string]string{"TOBAN_ADMINS": "alice"}, "TOBAN_ADMINS", "not a Slack user ID"},
		{"BadLevel", map[string]string{"TOBAN_LOG_LEVEL": "loud"}, "TOBAN_LOG_LEVEL", "must be one of"},
		{"BadFormat", map[string]string{"TOBAN_LOG_FORMAT": "xml"}, "TOBAN_LOG_FORMAT", "json or console"},
		{"BadAddr", map[string]string{"TOBAN_HTTP_ADDR": "8080"}, "TOBAN_HTTP_ADDR", "host:port"},
		{"BadPort", map[string]string{"TOBAN_HTTP_ADDR": ":99999"}, "TOBAN_HTTP_ADDR", "0 to 65535"},
		{"BadWorkers", map[string]string{"TOBAN_WORKERS": "0"}, "TOBAN_WORKERS", "whole number"},
		{"BadTimeout", map[string]string{"TOBAN_SHUTDOWN_TIMEOUT": "soon"}, "TOBAN_SHUTDOWN_TIMEOUT", "positive duration"},
		{"BadMissedPolicy", map[string]string{"TOBAN_MISSED_TASKS": "flood"}, "TOBAN_MISSED_TASKS", "late or skip"},
		{"BadCalendarRefresh", map[string]string{"TOBAN_CALENDAR_REFRESH": "10s"}, "TOBAN_CALENDAR_REFRESH", "at least 1m"},
		{"BadPollInterval", map[string]string{"TOBAN_PD_POLL_INTERVAL": "10ms"}, "TOBAN_PD_POLL_INTERVAL", "at least 1s"},
		{"BadStormThreshold", map[string]string{"TOBAN_STORM_THRESHOLD": "-1"}, "TOBAN_STORM_THRESHOLD", "whole number"},
		{"BadChannelArchiveDays", map[string]string{"TOBAN_INCIDENT_CHANNEL_ARCHIVE_DAYS": "2.5"}, "TOBAN_INCIDENT_CHANNEL_ARCHIVE_DAYS", "whole number of days"},
		{"NegativeChannelArchiveDays", map[string]string{"TOBAN_INCIDENT_CHANNEL_ARCHIVE_DAYS": "-1"}, "TOBAN_INCIDENT_CHANNEL_ARCHIVE_DAYS", "from 0 (never)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := validEnv()
			for k, v := range tt.set {
				env[k] = v
			}
			_, err := LoadConfig(envOf(env))
			if err == nil || !IsConfigError(err) {
				t.Fatalf("LoadConfig = %v, want a ConfigError", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantVar+": ") || !strings.Contains(msg, tt.wantText) {
				t.Errorf("error %q should name %s and say %q", msg, tt.wantVar, tt.wantText)
			}
			for _, secret := range []string{"secretbot", "secretapp", "secretuser"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error message leaks a token: %q", msg)
				}
			}
		})
	}
	t.Run("AllProblemsAtOnce", func(t *testing.T) {
		_, err := LoadConfig(envOf(map[string]string{"TOBAN_LOG_FORMAT": "xml"}))
		ce, _ := err.(*ConfigError)
		if ce == nil || len(ce.Problems) != 3 {
			t.Fatalf("got %v, want 3 problems (two tokens, log format)", err)
		}
	})
}

func TestRunCommands(t *testing.T) {
	var out, errOut strings.Builder
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"Version", []string{"version"}, 0, "toban dev"},
		{"Help", []string{"--help"}, 0, "TOBAN_TIMEZONE"},
		{"Unknown", []string{"launch"}, 2, `unknown command "launch"`},
		{"ExtraArgs", []string{"run", "now"}, 2, "takes no arguments"},
		{"NoTokens", []string{"run"}, 1, "SLACK_APP_TOKEN: is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out.Reset()
			errOut.Reset()
			code := run(tt.args, envOf(nil), &out, &errOut)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", code, tt.wantCode)
			}
			if got := out.String() + errOut.String(); !strings.Contains(got, tt.wantOut) {
				t.Errorf("output %q does not contain %q", got, tt.wantOut)
			}
		})
	}
}

// TestConsoleLogsWithoutColoursOffATerminal: a log file or a pipe gets no
// escape codes; the durations carry their unit in the key.
func TestConsoleLogsWithoutColoursOffATerminal(t *testing.T) {
	var buf bytes.Buffer
	log := newLogger(Config{LogFormat: "console", LogLevel: zerolog.InfoLevel}, &buf)
	log.Warn().Str("k", "v").Msg("hello")
	if got := buf.String(); strings.Contains(got, "\x1b[") || !strings.Contains(got, "hello") {
		t.Errorf("console log to a buffer = %q, want plain text", got)
	}
	if isTerminal(&buf) {
		t.Error("a buffer is not a terminal")
	}
}

// TestCLICommandsNeedNoSlackTokens: reminders, shifts and report never
// talk to Slack, so they run without its tokens (a malformed one is still
// refused); the bot itself still needs both.
func TestCLICommandsNeedNoSlackTokens(t *testing.T) {
	env := map[string]string{"TOBAN_DB": filepath.Join(t.TempDir(), "toban.db")}
	get := func(k string) string { return env[k] }
	// An installation's database, as toban run leaves it (export refuses
	// one that does not exist).
	db, err := storage.Open(context.Background(), env["TOBAN_DB"])
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"reminders", "export"}, get, &stdout, &stderr); code != 0 {
		t.Errorf("reminders export without Slack tokens: exit %d, stderr %q", code, stderr.String())
	}
	if _, err := LoadCLIConfig(get); err != nil {
		t.Errorf("LoadCLIConfig without Slack tokens: %v", err)
	}
	if _, err := LoadConfig(get); err == nil || !strings.Contains(err.Error(), "SLACK_APP_TOKEN: is required") {
		t.Errorf("LoadConfig without Slack tokens: %v, want SLACK_APP_TOKEN required", err)
	}
	env["SLACK_BOT_TOKEN"] = "nope"
	if _, err := LoadCLIConfig(get); err == nil || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN: must start with") {
		t.Errorf("LoadCLIConfig with a malformed token: %v, want it refused", err)
	}
}
