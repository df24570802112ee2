// Package handlers turns what people do in Slack — slash commands, button
// clicks, modal submissions, events — into answers and actions by handing
// them to the feature that owns them. It owns the router (features register
// their subcommands, IDs and help lines in features.go), the dispatch of
// envelopes to features, help and the App Home tab, and the thin glue
// (*_glue.go) that says "not configured" for a feature that is nil. The
// features are packages of their own: handlers/incidents,
// handlers/incidentactions, handlers/calendar, handlers/home, handlers/maintenance, handlers/oncall,
// handlers/oncallgroups, handlers/reports, handlers/runbook,
// handlers/statusupdates, handlers/subscriptions and handlers/tasks.
//
// It may import domain, scheduler, its toolkit (handlers/chat,
// handlers/identity) and the feature packages below it; never storage,
// bot, pagerduty, webhook or poller (internal/archtest checks it).
package handlers

import (
	"context"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/calendar"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/home"
	"github.com/tobanbot/toban/handlers/identity"
	"github.com/tobanbot/toban/handlers/incidentactions"
	"github.com/tobanbot/toban/handlers/incidentchannels"
	"github.com/tobanbot/toban/handlers/incidents"
	"github.com/tobanbot/toban/handlers/maintenance"
	"github.com/tobanbot/toban/handlers/oncall"
	"github.com/tobanbot/toban/handlers/reports"
	"github.com/tobanbot/toban/handlers/runbook"
	"github.com/tobanbot/toban/handlers/statusupdates"
	"github.com/tobanbot/toban/handlers/subscriptions"
	"github.com/tobanbot/toban/handlers/tasks"
)

// Slack is the part of Slack's Web API that the router uses: answers
// through response_url, ephemeral messages and the App Home tab.
type Slack interface {
	chat.Teller
	// PublishHome shows view on the App Home tab of userID.
	PublishHome(ctx context.Context, userID string, view slack.HomeTabViewRequest) error
}

// App holds the dependencies of every handler.
type App struct {
	Slack Slack
	// Clicks remembers which clicks were handled (the runbook's buttons).
	Clicks chat.Clicks
	// Identity is who a Slack user acts as in PagerDuty (the runbook's
	// buttons).
	Identity identity.Actor
	// Incidents is the incident feature (incidents, trigger, link, cards,
	// the feed); nil when not configured.
	Incidents *incidents.Feature
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
	// IncidentActions is Reassign…, Snooze…, Change priority… and Add
	// responders… of incident cards; nil when PagerDuty is not configured.
	IncidentActions *incidentactions.Feature
	// IncidentChannels opens a channel per incident from the card's More
	// actions… menu; nil when PagerDuty is not configured.
	IncidentChannels *incidentchannels.Feature
	// Runbook runs the actions of TOBAN_ACTIONS from incident cards; nil
	// when no actions file is configured.
	Runbook *runbook.Feature
	// StatusUpdates posts status updates from incident cards; nil when not
	// configured.
	StatusUpdates *statusupdates.Feature
	// Home is the App Home tab; nil shows the help instead.
	Home *home.Feature
	// Admins are the Slack user IDs allowed admin commands.
	Admins map[string]bool
	Log    zerolog.Logger

	routes appRouter
}
