package main

import (
	"context"
	"time"

	"github.com/tobanbot/toban/scheduler"
	"github.com/tobanbot/toban/storage"
)

// openReports builds the engine of scheduled incident reports and gives
// it to the handlers before any envelope is taken, so that a report
// scheduled in Slack starts at once. Reports run on an engine of their
// own, not the tasks' one, so that report and task IDs, catch-up and
// retries never mix. Each due report goes to App.FireReport, which claims
// the run in the database before posting, so it is posted once per
// occurrence, across retries and restarts. A report missed while toban
// was down is posted late, once (the most recent only).
func (m *Main) openReports(ctx context.Context) {
	log := m.Log.With().Str("component", "reports").Logger()
	m.knownReports = map[string]string{}
	schedules, err := m.db.ReportSchedules(ctx)
	if err != nil && ctx.Err() == nil {
		log.Error().Err(err).Msg("scheduled reports unreadable; only new ones will run")
	}
	for _, s := range schedules {
		m.reports.Upsert(scheduler.Task{ID: s.ID, Rule: s.Rule})
		m.knownReports[s.ID] = armed{id: s.ID, rule: s.Rule}.sig()
	}
	log.Info().Int("schedules", len(schedules)).Msg("scheduled reports loaded")
}

// runReports fires scheduled reports until ctx ends.
func (m *Main) runReports(ctx context.Context) {
	if err := m.reports.Run(ctx); err != nil && ctx.Err() == nil {
		m.Log.Error().Err(err).Str("component", "reports").Msg("report scheduler stopped")
	}
}

// reportRuns tells the reports' engine what already fired, from the
// report_runs table (scheduler.Store and BulkStore).
type reportRuns struct{ db *storage.DB }

// LastFired is the due time of the schedule's newest claimed run.
func (r reportRuns) LastFired(ctx context.Context, id string) (time.Time, error) {
	return r.db.LastReportRun(ctx, id)
}

// LastFiredAll is LastFired of every schedule, in one query.
func (r reportRuns) LastFiredAll(ctx context.Context) (map[string]time.Time, error) {
	return r.db.LastReportRunAll(ctx)
}
