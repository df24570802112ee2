package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/bot"
	"github.com/tobanbot/toban/handlers"
	"github.com/tobanbot/toban/handlers/calendar"
	"github.com/tobanbot/toban/handlers/incidentactions"
	"github.com/tobanbot/toban/handlers/incidentchannels"
	"github.com/tobanbot/toban/handlers/incidents"
	"github.com/tobanbot/toban/handlers/maintenance"
	"github.com/tobanbot/toban/handlers/oncall"
	"github.com/tobanbot/toban/handlers/oncallgroups"
	"github.com/tobanbot/toban/handlers/reports"
	"github.com/tobanbot/toban/handlers/statusupdates"
	"github.com/tobanbot/toban/handlers/subscriptions"
	"github.com/tobanbot/toban/handlers/tasks"
	"github.com/tobanbot/toban/internal/leader"
	"github.com/tobanbot/toban/metrics"
	"github.com/tobanbot/toban/pagerduty"
	"github.com/tobanbot/toban/poller"
	"github.com/tobanbot/toban/scheduler"
	"github.com/tobanbot/toban/storage"
	"github.com/tobanbot/toban/webhook"
	"golang.org/x/sync/errgroup"
)

// Main is the whole running program, so that tests can run the real thing
// in-process: Open, then Run until the context ends, then Close.
type Main struct {
	Config Config
	Log    zerolog.Logger
	// Clock drives scheduled tasks; tests replace it before Open.
	Clock scheduler.Clock

	metrics *metrics.Registry
	db      *storage.DB
	app     *handlers.App
	engine  *scheduler.Engine
	reports *scheduler.Engine
	// knownTasks is what the scheduler was given, by task ID.
	knownTasks map[string]string
	// knownReports is what the report engine was given, by schedule ID.
	knownReports map[string]string
	// TaskReload is how often the tasks are compared with the scheduler
	// in case a change notice was missed; notices arm changes at once.
	TaskReload time.Duration
	// LeaseTTL is how long a singleton's lease outlives its holder;
	// default 6 s (leader.Options.TTL). Tests shorten it.
	LeaseTTL time.Duration
	// elector runs this replica's singletons under leases.
	elector *leader.Elector
	// holder names this replica in leases and claims.
	holder string
	pd     *pagerduty.Client
	feed   chan struct{}
	web    *bot.WebAPI
	bot    *bot.Bot
	http   *http.Server
	ln     net.Listener
}

// NewMain prepares a Main that logs to logOut.
func NewMain(cfg Config, logOut io.Writer) *Main {
	return &Main{Config: cfg, Log: newLogger(cfg, logOut), metrics: metrics.New(), Clock: scheduler.RealClock()}
}

func newLogger(cfg Config, out io.Writer) zerolog.Logger {
	if cfg.LogFormat == "console" {
		// Colours only for a person at a terminal: escape codes in a log
		// file or a pipe are noise.
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: time.TimeOnly, NoColor: !isTerminal(out)}
	}
	return zerolog.New(out).Level(cfg.LogLevel).With().Timestamp().Str("service", "toban").Logger()
}

// isTerminal says whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// StartupError is a failure that configuration must fix; main prints it
// and exits non-zero.
type StartupError struct{ Err error }

func (e *StartupError) Error() string { return e.Err.Error() }
func (e *StartupError) Unwrap() error { return e.Err }

// slackAuthErrors are the answers that no retry can fix.
var slackAuthErrors = map[string]bool{
	"invalid_auth": true, "not_authed": true, "token_revoked": true,
	"account_inactive": true, "token_expired": true,
}

// Open opens the database, checks the bot token and starts listening on
// TOBAN_HTTP_ADDR.
func (m *Main) Open(ctx context.Context) error {
	cfg := m.Config
	// Leases are timed by the elector's real timers, so they are stamped
	// with wall time even when m.Clock is a test's movable clock.
	m.holder = holderName()
	db, err := storage.Open(ctx, cfg.DBPath, storage.WithClock(m.Clock.Now), storage.WithLeaseClock(time.Now), storage.WithHolder(m.holder))
	if err != nil {
		return &StartupError{fmt.Errorf("TOBAN_DB: %w", err)}
	}
	m.db = db
	m.elector = m.newElector()
	// The first click after a start or a deploy should not be the one
	// that builds encoding/json's codecs for Slack's and PagerDuty's types.
	for _, warm := range []func() error{bot.WarmCodecs, pagerduty.WarmCodecs} {
		if err := warm(); err != nil {
			m.Log.Warn().Err(err).Msg("codecs not warmed")
		}
	}
	m.metrics.GaugeInboxDepth(m.inboxDepth)

	slackCfg := bot.SlackConfig{AppToken: cfg.SlackAppToken, BotToken: cfg.SlackBotToken, APIURL: cfg.SlackAPIURL}
	api := bot.NewSlackClient(slackCfg, m.metrics, m.Log)
	m.web = bot.NewWebAPI(api, slackCfg, m.metrics)
	if db.Postgres() {
		// Replicas share Slack's limits: a channel's budget and a 429's
		// Retry-After are kept in the database. One SQLite process paces
		// alone, in memory.
		m.web.SharePacing(db, m.Log.With().Str("component", "pacing").Logger())
	}
	authCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if who, err := api.AuthTestContext(authCtx); err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && slackAuthErrors[se.Err] {
			return &StartupError{fmt.Errorf("SLACK_BOT_TOKEN was rejected by Slack (%s): create a new bot token and set it", se.Err)}
		}
		// Slack may be briefly unreachable; the socket loop keeps retrying.
		m.Log.Warn().Err(err).Msg("auth.test failed; continuing")
	} else {
		m.Log.Info().Str("team", who.Team).Str("bot_user", who.UserID).Msg("slack bot token accepted")
	}

	app := &handlers.App{
		Slack:  m.web,
		Clicks: db,
		Admins: map[string]bool{},
		Log:    m.Log.With().Str("component", "handlers").Logger(),
	}
	for _, id := range cfg.Admins {
		app.Admins[id] = true
	}
	// The incident feature is always there: it also says who a Slack user
	// is in PagerDuty for the other features. Without PagerDuty its
	// commands say so.
	app.Incidents = &incidents.Feature{
		Slack: m.web, Store: db, Feed: db,
		Storm:    incidents.StormPolicy{Threshold: cfg.StormThreshold, Window: cfg.StormWindow},
		Location: cfg.Location, Admins: app.Admins, Now: m.Clock.Now, Log: app.Log,
	}
	app.Identity = app.Incidents
	// The database and the Web API are whole adapters: each feature's
	// port is given them explicitly, never found by assertion.
	app.OnCall = &oncall.Feature{
		Slack: m.web, Store: db, Files: m.web, Users: db, Identity: app.Incidents, Clicks: db, Changed: m.announce,
		Location: cfg.Location, Now: m.Clock.Now, Log: app.Log, Clock: m.Clock,
	}
	app.Tasks = &tasks.Feature{
		Slack: m.web, Views: m.web, Store: taskClaims{db, m.metrics}, Incidents: app.Incidents, Users: db, Identity: app.Incidents, Clicks: db,
		Admins: app.Admins, Location: cfg.Location, Now: m.Clock.Now, Log: app.Log, Clock: m.Clock,
	}
	app.Incidents.Tasks = app.Tasks
	app.Subscriptions = &subscriptions.Feature{Slack: m.web, Store: db, Clicks: db, Admins: app.Admins}
	app.Calendar = &calendar.Feature{
		Slack: m.web, Store: db, Tasks: db, Form: app.Tasks, Identity: app.Incidents, Changed: m.announce,
		Admins: app.Admins, Location: cfg.Location, Now: m.Clock.Now, Log: app.Log,
		Clock: m.Clock, RefreshEvery: m.calendarRefresh(),
	}
	m.feed = make(chan struct{}, 1)
	if cfg.PagerDutyConfigured() {
		m.pd = pagerduty.New(pagerduty.Config{
			Token: cfg.PagerDutyToken, APIURL: cfg.PagerDutyAPIURL, EventsURL: cfg.PagerDutyEvents, Timeout: cfg.PagerDutyTimeout,
			Now: m.Clock.Now,
		}, m.metrics)
		app.Incidents.PagerDuty = m.pd
		app.Maintenance = &maintenance.Feature{
			Slack: m.web, Windows: m.pd, Store: db, Identity: app.Incidents, Clicks: db, Loop: app.OnCall,
			Location: cfg.Location, Now: m.Clock.Now, Log: app.Log,
		}
		app.OnCall.PagerDuty, app.OnCall.Ops, app.OnCall.Windows = m.pd, m.pd, app.Maintenance
		app.Tasks.PagerDuty = m.pd
		app.Subscriptions.Services = app.Incidents
		app.SetOnCallGroups(&oncallgroups.Feature{
			Slack: m.web, Store: db, Links: db, PagerDuty: m.pd, Clicks: db, Admins: app.Admins,
			Changed: m.announce, Clock: m.Clock, Log: m.Log.With().Str("component", "oncallgroups").Logger(),
		})
		app.IncidentActions = &incidentactions.Feature{
			Slack: m.web, PagerDuty: m.pd, Directory: m.pd, Store: db, Cards: app.Incidents, Identity: app.Incidents,
			Location: cfg.Location, Now: m.Clock.Now, Log: app.Log,
		}
		app.IncidentChannels = &incidentchannels.Feature{
			Slack: m.web, PagerDuty: m.pd, Cards: app.Incidents, Store: db, Records: db, Clicks: db,
			ArchiveAfter: cfg.ChannelArchiveAfter, Location: cfg.Location, Clock: m.Clock,
			Log: m.Log.With().Str("component", "incidentchannels").Logger(),
		}
		app.StatusUpdates = &statusupdates.Feature{
			Slack: m.web, PagerDuty: m.pd, Store: db, Identity: app.Incidents, Now: m.Clock.Now,
			Log: m.Log.With().Str("component", "statusupdates").Logger(),
		}
		app.Incidents.EventHooks = append(app.Incidents.EventHooks, app.IncidentChannels, app.StatusUpdates)
		app.Report = &reports.Feature{
			Slack: m.web, Source: m.pd, Subscriptions: db, Services: app.Incidents, Clicks: db, Store: db, Uploader: m.web,
			Admins: app.Admins, Location: cfg.Location, Now: m.Clock.Now, Log: app.Log,
		}
	} else {
		m.Log.Warn().Msg("PAGERDUTY_TOKEN not set: incident features will say PagerDuty is not configured")
	}

	m.openHome(app)
	if err := m.openRunbook(ctx, app); err != nil {
		return &StartupError{err}
	}
	if err := app.CheckRoutes(); err != nil {
		return &StartupError{fmt.Errorf("features: %w", err)}
	}
	m.app = app
	missed := scheduler.PostLate
	if cfg.SkipMissedTasks {
		missed = scheduler.Skip
	}
	m.engine, m.reports = handlers.NewEngines(app, handlers.Engines{
		Clock: m.Clock, TaskRuns: db, ReportRuns: reportRuns{db}, Missed: missed,
		TaskLog:   m.Log.With().Str("component", "scheduler").Logger(),
		ReportLog: m.Log.With().Str("component", "reports").Logger(),
	})
	tasks, err := db.AllTasks(ctx)
	if err != nil {
		return &StartupError{fmt.Errorf("TOBAN_DB: read tasks: %w", err)}
	}
	m.knownTasks = map[string]string{}
	for _, t := range tasks {
		m.engine.Upsert(scheduler.Task{ID: t.ID, Rule: t.Rule, Paused: t.Paused})
		m.knownTasks[t.ID] = armed{t.ID, t.Rule, t.Paused}.sig()
	}
	m.Log.Info().Int("tasks", len(tasks)).Msg("scheduled tasks loaded")
	m.openReports(ctx)
	// Loading many tasks leaves tens of MB of garbage: give it back now
	// rather than carry it as resident memory until the next GC cycles.
	debug.FreeOSMemory()
	m.bot = bot.New(bot.Config{Workers: cfg.Workers, ShutdownTimeout: cfg.ShutdownTimeout},
		m.web, app, db, m.metrics, m.Log.With().Str("component", "bot").Logger())

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return &StartupError{fmt.Errorf("TOBAN_HTTP_ADDR: %w", err)}
	}
	m.ln = ln
	m.http = &http.Server{Handler: m.routes(), ReadHeaderTimeout: 5 * time.Second}
	return nil
}

// HTTPAddr is the address the health endpoints listen on.
func (m *Main) HTTPAddr() string { return m.ln.Addr().String() }

// Run serves until ctx ends (then finishes in-flight work and returns nil)
// or until Slack rejects the app token.
func (m *Main) Run(ctx context.Context) error {
	go func() {
		if err := m.http.Serve(m.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error().Err(err).Msg("http server stopped")
		}
	}()
	if err := m.app.Tasks.Recover(ctx); err != nil {
		m.Log.Warn().Err(err).Msg("task recovery failed")
	}
	// The background loops start together and stop together: when the bot
	// returns (shutdown or a rejected token), they are cancelled and
	// waited for, so that Close never closes the database under them.
	loopCtx, stopLoops := context.WithCancel(ctx)
	loops := m.backgroundLoops()
	var g errgroup.Group
	for _, loop := range loops {
		g.Go(func() error {
			if err := loop.run(loopCtx); err != nil && loopCtx.Err() == nil {
				m.Log.Error().Err(err).Msg(loop.name + " stopped")
			}
			return nil
		})
	}
	m.Log.Info().Str("http_addr", m.HTTPAddr()).Msg("toban running")
	err := m.bot.Run(ctx)
	stopLoops()
	_ = g.Wait()
	var fatal *bot.FatalError
	if errors.As(err, &fatal) {
		reason := fatal.Err.Error()
		if slackAuthErrors[strings.TrimSpace(reason)] {
			return &StartupError{fmt.Errorf("SLACK_APP_TOKEN was rejected by Slack (%s): create an app-level token with connections:write and set it", reason)}
		}
		return &StartupError{err}
	}
	return err
}

// loop is one piece of background work; run returns when ctx ends.
type loop struct {
	name string
	run  func(ctx context.Context) error
}

// backgroundLoops is all the background work of a running toban. The
// singletons run under leases (see replicas.go); the rest is claimed row
// by row in the database, so every replica does its share.
func (m *Main) backgroundLoops() []loop {
	reload := m.TaskReload
	if reload <= 0 {
		reload = taskReloadInterval
	}
	plain := func(f func(context.Context)) func(context.Context) error {
		return func(ctx context.Context) error { f(ctx); return nil }
	}
	loops := []loop{
		{"delivery pruning", plain(m.forgetOldDeliveries)},
		m.singleton("card sync", "card-sync", plain(func(ctx context.Context) { m.app.Incidents.RunCardSync(ctx, m.Config.CardRetry) })),
		{"scheduler", m.engine.Run},
		{"task escalations", m.app.Tasks.Run},
		{"task reload", plain(func(ctx context.Context) { m.reloadTasks(ctx, reload, m.knownTasks) })},
		{"report reload", plain(func(ctx context.Context) { m.reloadReports(ctx, reload) })},
		{"cross-replica wakes", m.forwardWakes},
		{"claim renewal", plain(m.renewClaims)},
	}
	if m.pd != nil {
		// PagerDuty's log is in PagerDuty's time, not the scheduler's clock.
		p := poller.New(m.pd, m.db, m.Config.PollInterval, m.Clock.Now, m.wakeFeed, m.Log.With().Str("component", "poller").Logger())
		loops = append(loops,
			loop{"feed", plain(func(ctx context.Context) {
				m.app.Incidents.RunFeed(ctx, inboxClaims{m.db, m.elector.Holder(), m.metrics}, m.feed)
			})},
			m.singleton("poller", "poller", p.Run),
			m.singleton("on-call user groups", "oncall-groups", m.app.OnCallGroups().Run),
			m.singleton("incident channel archive", "incident-channel-archive", m.app.IncidentChannels.Run))
	}
	return append(loops,
		m.singleton("on-call operations", "oncall", m.app.OnCall.Run),
		// Not a singleton: each report run is claimed before posting, so
		// every replica's engine may fire it and a dead replica's share
		// is someone else's at once, as with tasks.
		loop{"report scheduler", plain(m.runReports)},
		m.singleton("calendars", "calendars", m.app.Calendar.Run),
		m.singleton("app home", "home", m.app.Home.Run),
		loop{"runbook", func(ctx context.Context) error {
			if m.app.Runbook == nil {
				return nil
			}
			return m.app.Runbook.Run(ctx)
		}})
}

// wakeFeed tells the feed processor that the inbox has new events.
func (m *Main) wakeFeed() {
	select {
	case m.feed <- struct{}{}:
	default:
	}
}

// forgetOldDeliveries prunes the event dedupe table once an hour.
func (m *Main) forgetOldDeliveries(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		dayAgo := time.Now().Add(-24 * time.Hour)
		if n, err := m.db.ForgetDeliveriesBefore(ctx, dayAgo); err != nil && ctx.Err() == nil {
			m.Log.Warn().Err(err).Msg("pruning delivered events failed")
		} else if n > 0 {
			m.Log.Debug().Int64("rows", n).Msg("pruned delivered events")
		}
		if _, err := m.db.ForgetClicksBefore(ctx, dayAgo); err != nil && ctx.Err() == nil {
			m.Log.Warn().Err(err).Msg("pruning clicks failed")
		}
		// PagerDuty retries a webhook for about 20 minutes; a week is ample.
		if _, err := m.db.ForgetEventsBefore(ctx, time.Now().Add(-7*24*time.Hour)); err != nil && ctx.Err() == nil {
			m.Log.Warn().Err(err).Msg("pruning incident events failed")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close stops the HTTP server and closes the database.
func (m *Main) Close() error {
	var errs []error
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, m.http.Shutdown(ctx))
		cancel()
	} else if m.ln != nil {
		errs = append(errs, m.ln.Close())
	}
	if m.db != nil {
		errs = append(errs, m.db.Close())
	}
	return errors.Join(errs...)
}

func (m *Main) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", m.readyz)
	mux.Handle("GET /metrics", m.metrics.Handler())
	mux.Handle("POST /webhooks/pagerduty", webhook.NewReceiver(m.Config.WebhookSecret, m.db, m.wakeFeed, m.metrics,
		m.Log.With().Str("component", "webhook").Logger()))
	return mux
}
