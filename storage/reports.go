package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/scheduler"
)

const reportColumns = `id, channel_id, period, services, rule, with_incidents, created_by, created_at, updated_at`

func scanReportSchedule(r rowScanner) (domain.ReportSchedule, error) {
	var s domain.ReportSchedule
	var services string
	var created, updated int64
	var rule string
	if err := r.Scan(&s.ID, &s.ChannelID, &s.Period, &services, &rule, &s.WithIncidents, &s.CreatedBy, &created, &updated); err != nil {
		return domain.ReportSchedule{}, err
	}
	var err error
	if s.Rule, err = scheduler.DecodeRule(rule); err != nil {
		return domain.ReportSchedule{}, fmt.Errorf("rule of report schedule %s: %w", s.ID, err)
	}
	if err := json.Unmarshal([]byte(services), &s.Services); err != nil {
		return domain.ReportSchedule{}, fmt.Errorf("services of %s: %w", s.ID, err)
	}
	s.CreatedAt, s.UpdatedAt = fromMillis(created), fromMillis(updated)
	return s, nil
}

// SaveReportSchedule adds a schedule (empty ID: a new one is given) or
// replaces the one with its ID, and returns it as stored.
func (db *DB) SaveReportSchedule(ctx context.Context, s domain.ReportSchedule) (domain.ReportSchedule, error) {
	s.ChannelID = strings.TrimSpace(s.ChannelID)
	if err := s.Validate(); err != nil {
		return domain.ReportSchedule{}, fmt.Errorf("save report schedule: %w", err)
	}
	if s.ID == "" {
		s.ID = domain.NewID("rep_")
	}
	if s.Services == nil {
		s.Services = []domain.ReportService{}
	}
	services, err := json.Marshal(s.Services)
	if err != nil {
		return domain.ReportSchedule{}, fmt.Errorf("save report schedule %s: %w", s.ID, err)
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return domain.ReportSchedule{}, fmt.Errorf("save report schedule %s: %w", s.ID, err)
	}
	defer tx.Rollback()
	now := db.now().UnixMilli()
	saved, err := scanReportSchedule(tx.QueryRowContext(ctx, `
		INSERT INTO report_schedules (`+reportColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO UPDATE SET channel_id = excluded.channel_id, period = excluded.period,
			services = excluded.services, rule = excluded.rule, with_incidents = excluded.with_incidents,
			updated_at = excluded.updated_at
		RETURNING `+reportColumns,
		s.ID, s.ChannelID, s.Period, string(services), s.Rule.Encode(), boolInt(s.WithIncidents), s.CreatedBy, now, now))
	if err == nil {
		err = db.changedTx(ctx, tx, TopicReports)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return domain.ReportSchedule{}, fmt.Errorf("save report schedule %s: %w", s.ID, err)
	}
	return saved, nil
}

// ReportSchedule returns the schedule with the ID.
func (db *DB) ReportSchedule(ctx context.Context, id string) (domain.ReportSchedule, error) {
	s, err := scanReportSchedule(db.sql.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM report_schedules WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = domain.ErrNotFound
	}
	if err != nil {
		return domain.ReportSchedule{}, fmt.Errorf("report schedule %s: %w", id, err)
	}
	return s, nil
}

// ReportSchedules returns every schedule, oldest first.
func (db *DB) ReportSchedules(ctx context.Context) ([]domain.ReportSchedule, error) {
	return db.queryReportSchedules(ctx, `SELECT `+reportColumns+` FROM report_schedules ORDER BY created_at, id`)
}

// ReportSchedulesInChannel returns the channel's schedules, oldest first.
func (db *DB) ReportSchedulesInChannel(ctx context.Context, channelID string) ([]domain.ReportSchedule, error) {
	return db.queryReportSchedules(ctx, `SELECT `+reportColumns+` FROM report_schedules
		WHERE channel_id = $1 ORDER BY created_at, id`, channelID)
}

func (db *DB) queryReportSchedules(ctx context.Context, query string, args ...any) ([]domain.ReportSchedule, error) {
	out, err := queryRows(ctx, db.sql, scanReportSchedule, query, args...)
	if err != nil {
		return nil, fmt.Errorf("report schedules: %w", err)
	}
	return out, nil
}

// DeleteReportSchedule deletes the schedule and its runs.
func (db *DB) DeleteReportSchedule(ctx context.Context, id string) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete report schedule %s: %w", id, err)
	}
	defer tx.Rollback()
	n, err := rowsChanged(tx.ExecContext(ctx, `DELETE FROM report_schedules WHERE id = $1`, id))
	if err == nil && n == 0 {
		err = domain.ErrNotFound
	}
	if err == nil {
		_, err = tx.ExecContext(ctx, `DELETE FROM report_runs WHERE schedule_id = $1`, id)
	}
	if err == nil {
		err = db.changedTx(ctx, tx, TopicReports)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return fmt.Errorf("delete report schedule %s: %w", id, err)
	}
	return nil
}

const runColumns = `id, schedule_id, due, channel_id, ts, claimed_at, posted_at`

func scanReportRun(r rowScanner) (domain.ReportRun, error) {
	var run domain.ReportRun
	var due, claimed int64
	var posted sql.NullInt64
	if err := r.Scan(&run.ID, &run.ScheduleID, &due, &run.ChannelID, &run.TS, &claimed, &posted); err != nil {
		return domain.ReportRun{}, err
	}
	run.Due, run.ClaimedAt, run.PostedAt = time.Unix(due, 0).UTC(), fromMillis(claimed), nullMillisTime(posted)
	return run, nil
}

// ClaimReportRun records the schedule's run due at due before the report
// is posted, and reports whether this call created it. An existing run is
// returned unchanged with false: posted already if it has a TS, else an
// earlier attempt may have posted it just before crashing.
func (db *DB) ClaimReportRun(ctx context.Context, scheduleID string, due time.Time, channelID string) (domain.ReportRun, bool, error) {
	id := domain.ReportRunID(scheduleID, due)
	if scheduleID == "" || due.IsZero() || channelID == "" {
		return domain.ReportRun{}, false, fmt.Errorf("claim report run %s: %w", id, domain.Invalid("a report run needs a schedule, a due time and a channel"))
	}
	run, err := scanReportRun(db.sql.QueryRowContext(ctx, `
		INSERT INTO report_runs (id, schedule_id, due, channel_id, claimed_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING RETURNING `+runColumns,
		id, scheduleID, due.Unix(), channelID, db.now().UnixMilli()))
	if err == nil {
		return run, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return domain.ReportRun{}, false, fmt.Errorf("claim report run %s: %w", id, err)
	}
	run, err = scanReportRun(db.sql.QueryRowContext(ctx, `SELECT `+runColumns+` FROM report_runs WHERE id = $1`, id))
	if err != nil {
		return domain.ReportRun{}, false, fmt.Errorf("claim report run %s: %w", id, err)
	}
	return run, false, nil
}

// SetReportRunPosted records the run's report message. Recording the same
// ts again is a no-op; another ts gives domain.ErrAlreadyPosted.
func (db *DB) SetReportRunPosted(ctx context.Context, id, ts string) error {
	if ts == "" {
		return fmt.Errorf("report run %s posted: %w", id, domain.Invalid("empty message ts"))
	}
	n, err := rowsChanged(db.sql.ExecContext(ctx, `UPDATE report_runs SET ts = $1, posted_at = $2 WHERE id = $3 AND ts = ''`,
		ts, db.now().UnixMilli(), id))
	if err != nil {
		return fmt.Errorf("report run %s posted: %w", id, err)
	}
	if n == 1 {
		return nil
	}
	var cur string
	err = db.sql.QueryRowContext(ctx, `SELECT ts FROM report_runs WHERE id = $1`, id).Scan(&cur)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("report run %s posted: %w", id, domain.ErrNotFound)
	case err != nil:
		return fmt.Errorf("report run %s posted: %w", id, err)
	case cur == ts:
		return nil
	}
	return fmt.Errorf("report run %s posted as %s: %w as %s", id, ts, domain.ErrAlreadyPosted, cur)
}

// LastReportRun returns the due time of the schedule's newest run, or the
// zero time if there is none: scheduler.Store's LastFired for reports.
func (db *DB) LastReportRun(ctx context.Context, scheduleID string) (time.Time, error) {
	last, err := db.lastDue(ctx, "report_runs", "schedule_id", scheduleID)
	if err != nil {
		return time.Time{}, fmt.Errorf("last report run of %s: %w", scheduleID, err)
	}
	return last, nil
}

// LastReportRunAll returns LastReportRun of every schedule with a run:
// scheduler.BulkStore's LastFiredAll for reports.
func (db *DB) LastReportRunAll(ctx context.Context) (map[string]time.Time, error) {
	out, err := db.lastDueAll(ctx, "report_runs", "schedule_id")
	if err != nil {
		return nil, fmt.Errorf("last report runs: %w", err)
	}
	return out, nil
}
