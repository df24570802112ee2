package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tobanbot/toban/domain"
)

// ReportService is a service a scheduled report covers.
type ReportService struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ReportSchedule posts an incident report in a channel when Rule comes due.
type ReportSchedule struct {
	// ID is "rep_" and 12 random characters, set by SaveReportSchedule.
	ID        string
	ChannelID string
	// Period is "last-week" or "last-month" (report.LastWeek, LastMonth).
	Period string
	// Services are the services reported on; none means the channel's
	// subscribed services when the report runs, else all.
	Services []ReportService
	// Rule is a scheduler.Rule, encoded.
	Rule string
	// WithIncidents also uploads the per-incident CSV.
	WithIncidents bool
	CreatedBy     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// ReportRun is one due time of a scheduled report.
type ReportRun struct {
	// ID is ReportRunID(ScheduleID, Due).
	ID         string
	ScheduleID string
	// Due is a whole second.
	Due       time.Time
	ChannelID string
	// TS is the posted report message; empty until posted.
	TS        string
	ClaimedAt time.Time
	PostedAt  time.Time
}

// ReportRunID returns the ID of the schedule's run due at due.
func ReportRunID(scheduleID string, due time.Time) string {
	return scheduleID + "@" + strconv.FormatInt(due.Unix(), 10)
}

const reportColumns = `id, channel_id, period, services, rule, with_incidents, created_by, created_at, updated_at`

func scanReportSchedule(r rowScanner) (ReportSchedule, error) {
	var s ReportSchedule
	var services string
	var created, updated int64
	if err := r.Scan(&s.ID, &s.ChannelID, &s.Period, &services, &s.Rule, &s.WithIncidents, &s.CreatedBy, &created, &updated); err != nil {
		return ReportSchedule{}, err
	}
	if err := json.Unmarshal([]byte(services), &s.Services); err != nil {
		return ReportSchedule{}, fmt.Errorf("services of %s: %w", s.ID, err)
	}
	s.CreatedAt, s.UpdatedAt = fromMillis(created), fromMillis(updated)
	return s, nil
}

// SaveReportSchedule adds a schedule (empty ID: a new one is given) or
// replaces the one with its ID, and returns it as stored.
func (db *DB) SaveReportSchedule(ctx context.Context, s ReportSchedule) (ReportSchedule, error) {
	s.ChannelID, s.Rule = strings.TrimSpace(s.ChannelID), strings.TrimSpace(s.Rule)
	switch {
	case s.ChannelID == "" || s.Rule == "":
		return ReportSchedule{}, fmt.Errorf("save report schedule: %w", domain.Invalid("a scheduled report needs a channel and a schedule"))
	case s.Period != "last-week" && s.Period != "last-month":
		return ReportSchedule{}, fmt.Errorf("save report schedule: %w", domain.Invalid("a scheduled report covers last-week or last-month, not %q", s.Period))
	}
	if s.ID == "" {
		var b [8]byte
		rand.Read(b[:]) // never fails
		s.ID = "rep_" + taskIDEncoding.EncodeToString(b[:])[:12]
	}
	if s.Services == nil {
		s.Services = []ReportService{}
	}
	services, err := json.Marshal(s.Services)
	if err != nil {
		return ReportSchedule{}, fmt.Errorf("save report schedule %s: %w", s.ID, err)
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return ReportSchedule{}, fmt.Errorf("save report schedule %s: %w", s.ID, err)
	}
	defer tx.Rollback()
	now := db.now().UnixMilli()
	saved, err := scanReportSchedule(tx.QueryRowContext(ctx, `
		INSERT INTO report_schedules (`+reportColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO UPDATE SET channel_id = excluded.channel_id, period = excluded.period,
			services = excluded.services, rule = excluded.rule, with_incidents = excluded.with_incidents,
			updated_at = excluded.updated_at
		RETURNING `+reportColumns,
		s.ID, s.ChannelID, s.Period, string(services), s.Rule, boolInt(s.WithIncidents), s.CreatedBy, now, now))
	if err == nil {
		err = db.changedTx(ctx, tx, TopicReports)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return ReportSchedule{}, fmt.Errorf("save report schedule %s: %w", s.ID, err)
	}
	return saved, nil
}

// ReportSchedule returns the schedule with the ID.
func (db *DB) ReportSchedule(ctx context.Context, id string) (ReportSchedule, error) {
	s, err := scanReportSchedule(db.sql.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM report_schedules WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = domain.ErrNotFound
	}
	if err != nil {
		return ReportSchedule{}, fmt.Errorf("report schedule %s: %w", id, err)
	}
	return s, nil
}

// ReportSchedules returns every schedule, oldest first.
func (db *DB) ReportSchedules(ctx context.Context) ([]ReportSchedule, error) {
	return db.queryReportSchedules(ctx, `SELECT `+reportColumns+` FROM report_schedules ORDER BY created_at, id`)
}

// ReportSchedulesInChannel returns the channel's schedules, oldest first.
func (db *DB) ReportSchedulesInChannel(ctx context.Context, channelID string) ([]ReportSchedule, error) {
	return db.queryReportSchedules(ctx, `SELECT `+reportColumns+` FROM report_schedules
		WHERE channel_id = $1 ORDER BY created_at, id`, channelID)
}

func (db *DB) queryReportSchedules(ctx context.Context, query string, args ...any) ([]ReportSchedule, error) {
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("report schedules: %w", err)
	}
	defer rows.Close()
	var out []ReportSchedule
	for rows.Next() {
		s, err := scanReportSchedule(rows)
		if err != nil {
			return nil, fmt.Errorf("report schedules: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
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

func scanReportRun(r rowScanner) (ReportRun, error) {
	var run ReportRun
	var due, claimed int64
	var posted sql.NullInt64
	if err := r.Scan(&run.ID, &run.ScheduleID, &due, &run.ChannelID, &run.TS, &claimed, &posted); err != nil {
		return ReportRun{}, err
	}
	run.Due, run.ClaimedAt, run.PostedAt = time.Unix(due, 0).UTC(), fromMillis(claimed), nullMillisTime(posted)
	return run, nil
}

// ClaimReportRun records the schedule's run due at due before the report
// is posted, and reports whether this call created it. An existing run is
// returned unchanged with false: posted already if it has a TS, else an
// earlier attempt may have posted it just before crashing.
func (db *DB) ClaimReportRun(ctx context.Context, scheduleID string, due time.Time, channelID string) (ReportRun, bool, error) {
	id := ReportRunID(scheduleID, due)
	if scheduleID == "" || due.IsZero() || channelID == "" {
		return ReportRun{}, false, fmt.Errorf("claim report run %s: %w", id, domain.Invalid("a report run needs a schedule, a due time and a channel"))
	}
	run, err := scanReportRun(db.sql.QueryRowContext(ctx, `
		INSERT INTO report_runs (id, schedule_id, due, channel_id, claimed_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING RETURNING `+runColumns,
		id, scheduleID, due.Unix(), channelID, db.now().UnixMilli()))
	if err == nil {
		return run, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return ReportRun{}, false, fmt.Errorf("claim report run %s: %w", id, err)
	}
	run, err = scanReportRun(db.sql.QueryRowContext(ctx, `SELECT `+runColumns+` FROM report_runs WHERE id = $1`, id))
	if err != nil {
		return ReportRun{}, false, fmt.Errorf("claim report run %s: %w", id, err)
	}
	return run, false, nil
}

// SetReportRunPosted records the run's report message. Recording the same
// ts again is a no-op; another ts gives ErrAlreadyPosted.
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
	return fmt.Errorf("report run %s posted as %s: %w as %s", id, ts, ErrAlreadyPosted, cur)
}

// LastReportRun returns the due time of the schedule's newest run, or the
// zero time if there is none: scheduler.Store's LastFired for reports.
func (db *DB) LastReportRun(ctx context.Context, scheduleID string) (time.Time, error) {
	var due sql.NullInt64
	if err := db.sql.QueryRowContext(ctx, `SELECT MAX(due) FROM report_runs WHERE schedule_id = $1`, scheduleID).Scan(&due); err != nil {
		return time.Time{}, fmt.Errorf("last report run of %s: %w", scheduleID, err)
	}
	if !due.Valid {
		return time.Time{}, nil
	}
	return time.Unix(due.Int64, 0).UTC(), nil
}

// LastReportRunAll returns LastReportRun of every schedule with a run:
// scheduler.BulkStore's LastFiredAll for reports.
func (db *DB) LastReportRunAll(ctx context.Context) (map[string]time.Time, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT schedule_id, MAX(due) FROM report_runs GROUP BY schedule_id`)
	if err != nil {
		return nil, fmt.Errorf("last report runs: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var due int64
		if err := rows.Scan(&id, &due); err != nil {
			return nil, fmt.Errorf("last report runs: %w", err)
		}
		out[id] = time.Unix(due, 0).UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("last report runs: %w", err)
	}
	return out, nil
}
