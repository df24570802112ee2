package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/runbook"
	"github.com/tobanbot/toban/storage"
)

// Config is everything toban reads from its environment.
type Config struct {
	SlackAppToken    string
	SlackBotToken    string
	SlackAPIURL      string
	PagerDutyToken   string
	PagerDutyAPIURL  string
	PagerDutyEvents  string
	WebhookSecret    string
	DBPath           string
	HTTPAddr         string
	Location         *time.Location
	Admins           []string
	LogLevel         zerolog.Level
	LogFormat        string
	Workers          int
	ShutdownTimeout  time.Duration
	PagerDutyTimeout time.Duration
	CardRetry        time.Duration
	PollInterval     time.Duration
	StormThreshold   int
	StormWindow      time.Duration
	CalendarRefresh  time.Duration
	// ChannelArchiveAfter archives an incident channel that long after
	// its incident was resolved; 0 never.
	ChannelArchiveAfter time.Duration
	// SkipMissedTasks drops occurrences missed while toban was down
	// instead of posting the latest one late.
	SkipMissedTasks bool
	// Actions are the runbook actions of TOBAN_ACTIONS (nil for none);
	// RunbookAs is who toban acts as when a runbook acts by itself.
	Actions   *runbook.Set
	RunbookAs string
}

// PagerDutyConfigured reports whether incident features can work.
func (c Config) PagerDutyConfigured() bool { return c.PagerDutyToken != "" }

// envVar documents one variable; the table drives parsing, --help and the
// README, so they cannot drift apart.
type envVar struct {
	Name, Default, Meaning string
	Secret                 bool
}

var envVars = []envVar{
	{"SLACK_APP_TOKEN", "", "app-level token, xapp-… (connections:write); required", true},
	{"SLACK_BOT_TOKEN", "", "bot token, xoxb-…; required", true},
	{"SLACK_API_URL", "https://slack.com/api/", "Slack Web API base (GovSlack and tests use another)", false},
	{"PAGERDUTY_TOKEN", "", "PagerDuty REST API key; without it incident features say so and the rest works", true},
	{"PAGERDUTY_API_URL", "https://api.pagerduty.com", "PagerDuty REST base (EU: https://api.eu.pagerduty.com)", false},
	{"PAGERDUTY_EVENTS_URL", "https://events.pagerduty.com", "PagerDuty Events API v2 base", false},
	{"PAGERDUTY_WEBHOOK_SECRET", "", "secret of the v3 webhook subscription", true},
	{"TOBAN_DB", "./toban.db", "SQLite file, or postgres://user:password@host/db for several replicas", false},
	{"TOBAN_HTTP_ADDR", ":8080", "address for /healthz, /readyz, /metrics and webhooks", false},
	{"TOBAN_TIMEZONE", "UTC", "default time zone for schedules and times shown", false},
	{"TOBAN_ADMINS", "", "Slack user IDs allowed admin commands, comma-separated", false},
	{"TOBAN_LOG_LEVEL", "info", "trace, debug, info, warn or error", false},
	{"TOBAN_LOG_FORMAT", "json", "json, or console for humans", false},
	{"TOBAN_WORKERS", "16", "workers for slow follow-up work (PagerDuty calls, posts)", false},
	{"TOBAN_SHUTDOWN_TIMEOUT", "20s", "how long SIGTERM waits for in-flight work", false},
	{"TOBAN_PAGERDUTY_TIMEOUT", "15s", "timeout of one PagerDuty API call, retries included", false},
	{"TOBAN_CARD_RETRY_INTERVAL", "5s", "how often card updates Slack refused are retried", false},
	{"TOBAN_PD_POLL_INTERVAL", "", "how often to read PagerDuty's log for changes; 0 disables (default 30s, or 0 when PAGERDUTY_WEBHOOK_SECRET is set)", false},
	{"TOBAN_STORM_THRESHOLD", "10", "new incident cards per channel within TOBAN_STORM_WINDOW before incidents roll into a digest card; 0 disables", false},
	{"TOBAN_STORM_WINDOW", "1m", "the window of TOBAN_STORM_THRESHOLD", false},
	{"TOBAN_MISSED_TASKS", "late", "after downtime, post each task's latest missed occurrence marked late (late), or skip missed ones (skip)", false},
	{"TOBAN_CALENDAR_REFRESH", "15m", "how often attached ICS calendars are read again (at least 1m)", false},
	{"TOBAN_INCIDENT_CHANNEL_ARCHIVE_DAYS", "0", "archive an incident's channel this many days after it was resolved; 0 never", false},
	{"TOBAN_ACTIONS", "", "runbook actions file (YAML): checks, diagnoses and recoveries on incident cards; `toban actions check FILE` validates it", false},
	{"TOBAN_ALLOW_COMMANDS", "", "1 allows command actions (programs run on toban's host, argv only, never a shell)", false},
	{"TOBAN_RUNBOOK_AS", "", "email of the PagerDuty user toban acts as when a runbook resolves or escalates by itself; without it, automatic responses stop at offering the choice", false},
}

var slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]+$`)

// LoadConfig reads and validates the configuration. getenv is os.Getenv in
// production. Every problem is reported, each naming its variable; token
// values never appear in messages.
func LoadConfig(getenv func(string) string) (Config, error) { return loadConfig(getenv, true) }

// LoadCLIConfig is LoadConfig for the commands that never talk to Slack
// (reminders, shifts, report): the Slack tokens are checked only when set.
func LoadCLIConfig(getenv func(string) string) (Config, error) { return loadConfig(getenv, false) }

func loadConfig(getenv func(string) string, needSlack bool) (Config, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		for _, e := range envVars {
			if e.Name == name {
				return e.Default
			}
		}
		return ""
	}
	var problems []string
	bad := func(name, format string, args ...any) {
		problems = append(problems, name+": "+fmt.Sprintf(format, args...))
	}

	c := Config{
		SlackAppToken:   get("SLACK_APP_TOKEN"),
		SlackBotToken:   get("SLACK_BOT_TOKEN"),
		PagerDutyToken:  get("PAGERDUTY_TOKEN"),
		WebhookSecret:   get("PAGERDUTY_WEBHOOK_SECRET"),
		DBPath:          get("TOBAN_DB"),
		HTTPAddr:        get("TOBAN_HTTP_ADDR"),
		LogFormat:       strings.ToLower(get("TOBAN_LOG_FORMAT")),
		PagerDutyEvents: strings.TrimRight(get("PAGERDUTY_EVENTS_URL"), "/"),
	}
	checkToken := func(name, value, prefix string) {
		switch {
		case value == "" && !needSlack:
		case value == "":
			bad(name, "is required (a %s… token)", prefix)
		case !strings.HasPrefix(value, prefix):
			bad(name, "must start with %q (the value given, %d characters, does not)", prefix, len(value))
		}
	}
	checkToken("SLACK_APP_TOKEN", c.SlackAppToken, "xapp-")
	checkToken("SLACK_BOT_TOKEN", c.SlackBotToken, "xoxb-")

	checkURL := func(name, raw string) string {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(name, "must be an http(s) URL, got %q", raw)
		}
		return raw
	}
	// slack-go appends method names to the base, so it must end in "/".
	c.SlackAPIURL = checkURL("SLACK_API_URL", strings.TrimRight(get("SLACK_API_URL"), "/")+"/")
	c.PagerDutyAPIURL = checkURL("PAGERDUTY_API_URL", strings.TrimRight(get("PAGERDUTY_API_URL"), "/"))
	checkURL("PAGERDUTY_EVENTS_URL", c.PagerDutyEvents)

	if _, err := storage.ParseTarget(c.DBPath); err != nil {
		bad("TOBAN_DB", "%v", err) // ParseTarget's errors never hold a password
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		bad("TOBAN_HTTP_ADDR", "must be host:port or :port, got %q", c.HTTPAddr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad("TOBAN_HTTP_ADDR", "port must be a number from 0 to 65535, got %q", port)
	}

	tz := get("TOBAN_TIMEZONE")
	loc, err := time.LoadLocation(tz)
	if err != nil {
		bad("TOBAN_TIMEZONE", "unknown time zone %q (use an IANA name such as Asia/Tokyo)", tz)
		loc = time.UTC
	}
	c.Location = loc

	for _, id := range strings.Split(get("TOBAN_ADMINS"), ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if !slackUserID.MatchString(id) {
			bad("TOBAN_ADMINS", "%q is not a Slack user ID (like U012AB3CD)", id)
			continue
		}
		c.Admins = append(c.Admins, id)
	}

	lvl, err := zerolog.ParseLevel(strings.ToLower(get("TOBAN_LOG_LEVEL")))
	if err != nil || lvl == zerolog.NoLevel {
		bad("TOBAN_LOG_LEVEL", "must be one of trace, debug, info, warn, error; got %q", get("TOBAN_LOG_LEVEL"))
		lvl = zerolog.InfoLevel
	}
	c.LogLevel = lvl
	if c.LogFormat != "json" && c.LogFormat != "console" {
		bad("TOBAN_LOG_FORMAT", "must be json or console, got %q", c.LogFormat)
	}

	c.Workers, err = strconv.Atoi(get("TOBAN_WORKERS"))
	if err != nil || c.Workers < 1 || c.Workers > 1024 {
		bad("TOBAN_WORKERS", "must be a whole number from 1 to 1024, got %q", get("TOBAN_WORKERS"))
	}
	c.ShutdownTimeout = parseDuration(get, "TOBAN_SHUTDOWN_TIMEOUT", bad)
	c.PagerDutyTimeout = parseDuration(get, "TOBAN_PAGERDUTY_TIMEOUT", bad)
	c.CardRetry = parseDuration(get, "TOBAN_CARD_RETRY_INTERVAL", bad)
	c.StormWindow = parseDuration(get, "TOBAN_STORM_WINDOW", bad)
	switch missed := strings.ToLower(get("TOBAN_MISSED_TASKS")); missed {
	case "late":
	case "skip":
		c.SkipMissedTasks = true
	default:
		bad("TOBAN_MISSED_TASKS", "must be late or skip, got %q", missed)
	}
	if c.CalendarRefresh = parseDuration(get, "TOBAN_CALENDAR_REFRESH", bad); c.CalendarRefresh > 0 && c.CalendarRefresh < time.Minute {
		bad("TOBAN_CALENDAR_REFRESH", "must be at least 1m, got %q", get("TOBAN_CALENDAR_REFRESH"))
	}
	c.StormThreshold, err = strconv.Atoi(get("TOBAN_STORM_THRESHOLD"))
	if err != nil || c.StormThreshold < 0 {
		bad("TOBAN_STORM_THRESHOLD", "must be a whole number, 0 or more, got %q", get("TOBAN_STORM_THRESHOLD"))
	}
	if days, err := strconv.Atoi(get("TOBAN_INCIDENT_CHANNEL_ARCHIVE_DAYS")); err != nil || days < 0 || days > 3650 {
		bad("TOBAN_INCIDENT_CHANNEL_ARCHIVE_DAYS", "must be a whole number of days from 0 (never) to 3650, got %q", get("TOBAN_INCIDENT_CHANNEL_ARCHIVE_DAYS"))
	} else {
		c.ChannelArchiveAfter = time.Duration(days) * 24 * time.Hour
	}
	// Webhooks, when set up, replace polling: both would see every change.
	poll := get("TOBAN_PD_POLL_INTERVAL")
	switch {
	case poll == "" && c.WebhookSecret != "":
		c.PollInterval = 0
	case poll == "":
		c.PollInterval = 30 * time.Second
	default:
		if c.PollInterval, err = time.ParseDuration(poll); err != nil || c.PollInterval < 0 {
			bad("TOBAN_PD_POLL_INTERVAL", "must be a duration such as 30s, or 0 to disable, got %q", poll)
		} else if c.PollInterval > 0 && c.PollInterval < time.Second {
			bad("TOBAN_PD_POLL_INTERVAL", "must be at least 1s (PagerDuty allows 960 requests a minute), got %q", poll)
		}
	}

	c.Actions = loadActions(get("TOBAN_ACTIONS"), get("TOBAN_ALLOW_COMMANDS"), bad)
	if c.RunbookAs = get("TOBAN_RUNBOOK_AS"); c.RunbookAs != "" && !strings.Contains(c.RunbookAs, "@") {
		bad("TOBAN_RUNBOOK_AS", "must be a PagerDuty user's email, got %q", c.RunbookAs)
	}

	if len(problems) > 0 {
		return c, &ConfigError{Problems: problems}
	}
	return c, nil
}

// loadActions reads TOBAN_ACTIONS, naming every problem of the file.
func loadActions(path, allowCommands string, bad func(string, string, ...any)) *runbook.Set {
	switch allowCommands {
	case "", "0", "1":
	default:
		bad("TOBAN_ALLOW_COMMANDS", "must be 1 or empty, got %q", allowCommands)
	}
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		bad("TOBAN_ACTIONS", "%v", err)
		return nil
	}
	set, problems := runbook.Load(data, runbook.LoadOptions{AllowCommands: allowCommands == "1"})
	for _, p := range problems {
		bad("TOBAN_ACTIONS", "%s: %s", path, p)
	}
	return set
}

func parseDuration(get func(string) string, name string, bad func(string, string, ...any)) time.Duration {
	d, err := time.ParseDuration(get(name))
	if err != nil || d <= 0 {
		bad(name, "must be a positive duration such as 20s, got %q", get(name))
	}
	return d
}

// ConfigError lists every configuration problem found.
type ConfigError struct{ Problems []string }

func (e *ConfigError) Error() string {
	return "configuration is invalid:\n  " + strings.Join(e.Problems, "\n  ")
}

// IsConfigError reports whether err is a ConfigError.
func IsConfigError(err error) bool {
	var ce *ConfigError
	return errors.As(err, &ce)
}
