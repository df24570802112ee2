// Package handlers turns what people do in Slack — slash commands, button
// clicks, modal submissions, events — into answers and actions. It owns the
// router (features register their subcommands and IDs in features.go), the
// dispatch of envelopes to features, and the features not yet in a package
// of their own, as methods of App: incidents, cards and the feed.
// handlers/calendar, handlers/maintenance, handlers/oncall,
// handlers/reports, handlers/runbook, handlers/subscriptions and
// handlers/tasks are features of their own, reached through thin glue (*_glue.go) that says "not
// configured" for a nil one. It is pure logic: Slack, PagerDuty and the database are reached
// through the ports declared here, each given a concrete value in
// cmd/toban.
//
// It may import domain, scheduler, icsfeed, shiftfile, its toolkit
// (handlers/chat, handlers/identity) and the feature packages below it;
// never storage, bot, pagerduty, webhook or poller (internal/archtest
// checks it).
package handlers

import (
	"context"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/calendar"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/maintenance"
	"github.com/tobanbot/toban/handlers/oncall"
	"github.com/tobanbot/toban/handlers/reports"
	"github.com/tobanbot/toban/handlers/runbook"
	"github.com/tobanbot/toban/handlers/subscriptions"
	"github.com/tobanbot/toban/handlers/tasks"
)

// Slack is the part of Slack's Web API that handlers use.
type Slack interface {
	// Respond answers through a response_url (valid for 30 minutes).
	Respond(ctx context.Context, responseURL string, msg chat.Message) error
	// PublishHome shows view on the App Home tab of userID.
	PublishHome(ctx context.Context, userID string, view slack.HomeTabViewRequest) error
	slackWriter
}

// OnCalls finds who is on call.
type OnCalls interface {
	// OnCalls lists the on-call entries, now and in the coming days, of the
	// escalation policies or schedules whose name contains filter (all
	// when filter is empty). Entries always on call have zero Start/End.
	OnCalls(ctx context.Context, filter string) ([]domain.OnCall, error)
}

// App holds the dependencies of every handler.
type App struct {
	Slack Slack
	// PagerDuty is nil when PAGERDUTY_TOKEN is not set.
	PagerDuty PagerDuty
	Store     Store
	// Feed and Storm run the incident feed into subscribed channels.
	Feed  FeedStore
	Storm StormPolicy
	// OnCall is the on-call feature (with follows and shift import); nil
	// when not configured.
	OnCall *oncall.Feature
	// Maintenance is the maintenance-window feature; nil when PagerDuty
	// is not configured.
	Maintenance *maintenance.Feature
	// Tasks is the scheduled-task feature; nil when not configured.
	// NewEngines gives it its engine (and Report its own).
	Tasks *tasks.Feature
	// Subscriptions is the feed's subscriptions feature; nil when not
	// configured.
	Subscriptions *subscriptions.Feature
	// Calendar is the calendar feature; nil when not configured.
	Calendar *calendar.Feature
	// Report is the incident-report feature; nil when PagerDuty is not
	// configured.
	Report *reports.Feature
	// Runbook runs the actions of TOBAN_ACTIONS from incident cards; nil
	// when no actions file is configured.
	Runbook *runbook.Feature
	// Changed, when set, is told of a change that the replica running a
	// singleton must hear of (TopicOnCall, TopicCalendars): the singleton
	// may run on another replica, whose in-process wake-up this one cannot
	// reach. cmd/toban sends it as a database change notice and calls
	// WakeOnCallOps or WakeCalendars on every replica that receives it.
	Changed func(topic string)
	// Location is where times are shown (TOBAN_TIMEZONE).
	Location *time.Location
	// Admins are the Slack user IDs allowed admin commands.
	Admins map[string]bool
	Now    func() time.Time
	Log    zerolog.Logger

	routes   appRouter
	services serviceCache
}

// now is toban's clock. An App without one is a wiring mistake: falling
// back to the machine's clock would make tests depend on the day they run.
func (a *App) now() time.Time { return chat.Now(a.Now, "handlers: App.Now") }

func (a *App) location() *time.Location { return chat.Location(a.Location) }
