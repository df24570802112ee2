package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tobanbot/toban/domain"
)

// StartRunbookRun records a run as running and returns its id, or
// domain.ErrRunInProgress when the action is already running for the incident
// (on any replica: the partial unique index decides).
func (db *DB) StartRunbookRun(ctx context.Context, r domain.RunbookRun) (int64, error) {
	r.Status = "running"
	if err := r.Validate(); err != nil {
		return 0, fmt.Errorf("start run of %s: %w", r.Action, err)
	}
	var id int64
	err := db.sql.QueryRowContext(ctx,
		`INSERT INTO runbook_runs (incident_id, action, run_by, status, channel_id, thread_ts, started_at, deadline)
		 VALUES ($1, $2, $3, 'running', $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id`,
		r.IncidentID, r.Action, r.RunBy, r.ChannelID, r.ThreadTS, r.StartedAt.UnixMilli(), r.Deadline.UnixMilli()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("start run of %s on %s: %w", r.Action, r.IncidentID, domain.ErrRunInProgress)
	}
	if err != nil {
		return 0, fmt.Errorf("start run of %s on %s: %w", r.Action, r.IncidentID, err)
	}
	return id, nil
}

// FinishRunbookRun records how a running run ended. A run already marked
// interrupted keeps that status (false is returned): its end came too late
// to count.
func (db *DB) FinishRunbookRun(ctx context.Context, id int64, status, summary, output string, truncated bool) (bool, error) {
	if !domain.RunbookRunStatuses[status] || status == "running" {
		return false, fmt.Errorf("finish run %d: %w", id, domain.Invalid("a run cannot end as %q", status))
	}
	// Programs print anything; PostgreSQL's TEXT takes neither NUL nor
	// invalid UTF-8.
	output = strings.ToValidUTF8(strings.ReplaceAll(output, "\x00", ""), "\uFFFD")
	res, err := db.sql.ExecContext(ctx,
		`UPDATE runbook_runs SET status = $1, summary = $2, output = $3, truncated = $4, finished_at = $5
		 WHERE id = $6 AND status = 'running'`,
		status, summary, output, boolToInt(truncated), db.now().UnixMilli(), id)
	if err != nil {
		return false, fmt.Errorf("finish run %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("finish run %d: %w", id, err)
	}
	return n == 1, nil
}

// InterruptStaleRunbookRuns marks as interrupted every run still running
// past its deadline plus grace — runs whose process died — and returns
// them, so that each is told once and none is re-run silently. A run
// within its deadline may be alive on another replica and is left alone.
func (db *DB) InterruptStaleRunbookRuns(ctx context.Context, grace time.Duration) ([]domain.RunbookRun, error) {
	now := db.now()
	rows, err := db.sql.QueryContext(ctx,
		`UPDATE runbook_runs SET status = 'interrupted', summary = 'interrupted: toban stopped during the run', finished_at = $1
		 WHERE status = 'running' AND deadline < $2
		 RETURNING `+runbookRunColumns, now.UnixMilli(), now.Add(-grace).UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("interrupt stale runs: %w", err)
	}
	return scanRunbookRuns(rows, "interrupt stale runs")
}

// RunbookRuns returns an incident's runs, oldest first.
func (db *DB) RunbookRuns(ctx context.Context, incidentID string) ([]domain.RunbookRun, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT `+runbookRunColumns+` FROM runbook_runs WHERE incident_id = $1 ORDER BY id`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("runs of %s: %w", incidentID, err)
	}
	return scanRunbookRuns(rows, "runs of "+incidentID)
}

// LastRunbookRuns returns each action's latest run, by action name.
func (db *DB) LastRunbookRuns(ctx context.Context) (map[string]domain.RunbookRun, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT `+runbookRunColumns+` FROM runbook_runs
		 WHERE id IN (SELECT MAX(id) FROM runbook_runs GROUP BY action)`)
	if err != nil {
		return nil, fmt.Errorf("last runs: %w", err)
	}
	runs, err := scanRunbookRuns(rows, "last runs")
	if err != nil {
		return nil, err
	}
	out := make(map[string]domain.RunbookRun, len(runs))
	for _, r := range runs {
		out[r.Action] = r
	}
	return out, nil
}

const runbookRunColumns = `id, incident_id, action, run_by, status, summary, output, truncated, channel_id, thread_ts, started_at, deadline, finished_at`

func scanRunbookRuns(rows *sql.Rows, what string) ([]domain.RunbookRun, error) {
	defer rows.Close()
	var out []domain.RunbookRun
	for rows.Next() {
		var r domain.RunbookRun
		var truncated int
		var started, deadline int64
		var finished sql.NullInt64
		if err := rows.Scan(&r.ID, &r.IncidentID, &r.Action, &r.RunBy, &r.Status, &r.Summary, &r.Output, &truncated,
			&r.ChannelID, &r.ThreadTS, &started, &deadline, &finished); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		r.Truncated = truncated == 1
		r.StartedAt, r.Deadline = fromMillis(started), fromMillis(deadline)
		if finished.Valid {
			r.FinishedAt = fromMillis(finished.Int64)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
