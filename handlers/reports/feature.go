// Package reports is the incident-report feature: /toban report (counts,
// MTTA and MTTR per service, with CSVs and a chart), scheduled reports
// (/toban report schedule, /toban report schedules, the Delete button) and
// the firing of a scheduled report when its engine says it is due.
//
// It owns the "report." action and callback IDs and the toban_report
// message metadata. It reaches Slack, PagerDuty and the database only
// through the ports declared here, given concrete values in cmd/toban. It
// may import domain, report, scheduler and the toolkit (handlers/chat);
// never storage, pagerduty, bot, webhook, poller, the router (handlers)
// or another feature.
package reports

import (
	"context"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/report"
	"github.com/tobanbot/toban/scheduler"
)

// Slack is the part of Slack's Web API the feature uses.
type Slack interface {
	chat.Teller
	OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) (viewID string, err error)
	// FindMessage finds a message toban posted by its metadata.
	FindMessage(ctx context.Context, channelID string, since time.Time, eventType, key string) (ts string, found bool, err error)
}

// Source reads what a report needs from PagerDuty; *pagerduty.Client
// implements it.
type Source interface {
	ReportIncidents(ctx context.Context, since, until time.Time, serviceIDs []string) ([]report.Incident, error)
}

// Uploader shares a file in a channel; *bot.WebAPI implements it.
type Uploader interface {
	UploadFile(ctx context.Context, channel, filename, title string, content []byte) error
}

// Store keeps scheduled reports and their runs; *storage.DB implements it.
type Store interface {
	SaveReportSchedule(ctx context.Context, s domain.ReportSchedule) (domain.ReportSchedule, error)
	ReportSchedule(ctx context.Context, id string) (domain.ReportSchedule, error)
	ReportSchedulesInChannel(ctx context.Context, channelID string) ([]domain.ReportSchedule, error)
	DeleteReportSchedule(ctx context.Context, id string) error
	ClaimReportRun(ctx context.Context, scheduleID string, due time.Time, channelID string) (domain.ReportRun, bool, error)
	SetReportRunPosted(ctx context.Context, id, ts string) error
}

// Subscriptions lists a channel's subscriptions: a report without named
// services covers the channel's subscribed services.
type Subscriptions interface {
	Subscriptions(ctx context.Context, channelID string) ([]domain.Subscription, error)
}

// Services lists every PagerDuty service, for resolving names people type.
type Services interface {
	AllServices(ctx context.Context) ([]domain.Service, error)
}

// Engine schedules the reports' due times (a scheduler.Engine).
type Engine interface {
	Upsert(t scheduler.Task)
	Remove(taskID string)
	NextDue(taskID string) (time.Time, bool)
}

// Feature is the incident-report feature. A nil *Feature is a feature that
// is not configured (no PagerDuty token); the router then says so.
type Feature struct {
	Slack         Slack
	Source        Source
	Subscriptions Subscriptions
	Services      Services
	// Clicks makes a click or a modal act once.
	Clicks chat.Clicks
	// Store is nil when the database cannot keep scheduled reports; the
	// schedule commands then say they are not available.
	Store Store
	// Uploader is nil when the Slack client cannot share files; reports are
	// then posted without their CSVs and chart.
	Uploader Uploader
	// Engine fires scheduled reports (its callback is Fire); nil until it
	// is made, and then schedules made in Slack start at the next restart.
	Engine Engine
	// Admins may delete anyone's scheduled report.
	Admins   map[string]bool
	Location *time.Location
	Now      func() time.Time
	Log      zerolog.Logger
}

// now is toban's clock; a Feature without one is a wiring mistake.
func (f *Feature) now() time.Time { return chat.Now(f.Now, "reports: Feature.Now") }

func (f *Feature) location() *time.Location { return chat.Location(f.Location) }
