package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/scheduler"
)

const taskColumns = `id, title, description, channel_id, rule, grace_minutes, escalation, escalation_target_id,
	escalation_target_name, created_by, creator_pd_email, paused, source, external_id, created_at, updated_at`

func scanTask(r rowScanner) (domain.Task, error) {
	var t domain.Task
	var created, updated int64
	var rule string
	err := r.Scan(&t.ID, &t.Title, &t.Description, &t.ChannelID, &rule, &t.GraceMinutes, &t.Escalation,
		&t.EscalationTargetID, &t.EscalationTargetName, &t.CreatedBy, &t.CreatorPDEmail, &t.Paused,
		&t.Source, &t.ExternalID, &created, &updated)
	if err != nil {
		return domain.Task{}, err
	}
	if t.Rule, err = scheduler.DecodeRule(rule); err != nil {
		return domain.Task{}, fmt.Errorf("rule of task %s: %w", t.ID, err)
	}
	t.CreatedAt, t.UpdatedAt = fromMillis(created), fromMillis(updated)
	return t, nil
}

// SaveTask inserts t, or updates the task with its ID, and returns it as
// stored. An empty ID gets a new one (domain.NewTaskID); a given ID that does not
// exist yet is inserted as is. An update replaces every field except
// CreatedBy and CreatedAt. The task is checked with Task.Validate
// only, so a once rule in the past is accepted (a past task can still be
// renamed); check Rule.Validate(now) when a person creates one. A bad field
// gives a *domain.TaskFieldError; an ExternalID another task of the Source already
// has gives domain.ErrTaskExists.
func (db *DB) SaveTask(ctx context.Context, t domain.Task) (domain.Task, error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return domain.Task{}, fmt.Errorf("save task %q: %w", t.Title, err)
	}
	defer tx.Rollback()
	saved, err := db.saveTask(ctx, tx, t)
	if err == nil {
		err = db.changedTx(ctx, tx, TopicTasks)
	}
	if err != nil {
		return domain.Task{}, fmt.Errorf("save task %q: %w", t.Title, err)
	}
	if err := tx.Commit(); err != nil {
		return domain.Task{}, fmt.Errorf("save task %q: %w", t.Title, err)
	}
	return saved, nil
}

func (db *DB) saveTask(ctx context.Context, tx *sql.Tx, t domain.Task) (domain.Task, error) {
	t, err := t.Normalized()
	if err != nil {
		return domain.Task{}, err
	}
	if t.ID == "" {
		t.ID = domain.NewTaskID()
	}
	if t.ExternalID != "" {
		if err := db.serialize(ctx, tx, "task-external/"+t.Source+"/"+t.ExternalID); err != nil {
			return domain.Task{}, err
		}
		var other string
		err := tx.QueryRowContext(ctx, `SELECT id FROM tasks WHERE source = $1 AND external_id = $2 AND external_id <> '' AND id <> $3`,
			t.Source, t.ExternalID, t.ID).Scan(&other)
		switch {
		case err == nil:
			return domain.Task{}, fmt.Errorf("%w: task %s already has external ID %q in %s", domain.ErrTaskExists, other, t.ExternalID, t.Source)
		case !errors.Is(err, sql.ErrNoRows):
			return domain.Task{}, err
		}
	}
	now := db.now().UnixMilli()
	return scanTask(tx.QueryRowContext(ctx, `
		INSERT INTO tasks (`+taskColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (id) DO UPDATE SET
			title = excluded.title, description = excluded.description, channel_id = excluded.channel_id,
			rule = excluded.rule, grace_minutes = excluded.grace_minutes, escalation = excluded.escalation,
			escalation_target_id = excluded.escalation_target_id,
			escalation_target_name = excluded.escalation_target_name,
			creator_pd_email = excluded.creator_pd_email, paused = excluded.paused,
			source = excluded.source, external_id = excluded.external_id, updated_at = excluded.updated_at
		RETURNING `+taskColumns,
		t.ID, t.Title, t.Description, t.ChannelID, t.Rule.Encode(), t.GraceMinutes, t.Escalation, t.EscalationTargetID,
		t.EscalationTargetName, t.CreatedBy, t.CreatorPDEmail, boolInt(t.Paused), t.Source, t.ExternalID, now, now))
}

// ImportTasks saves every task as SaveTask would, in one transaction: if one
// is refused, none is saved, and the error (wrapping the *domain.TaskFieldError or
// domain.ErrTaskExists) names the task by its position, from 1. Two tasks with the
// same non-empty ID are refused. Assign IDs with domain.NewTaskID beforehand to
// know them without reading the tasks back.
func (db *DB) ImportTasks(ctx context.Context, tasks []domain.Task) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("import tasks: %w", err)
	}
	defer tx.Rollback()
	seen := make(map[string]int, len(tasks))
	for i, t := range tasks {
		if t.ID != "" {
			if j, dup := seen[t.ID]; dup {
				return fmt.Errorf("import tasks: task %d of %d (%q): %w", i+1, len(tasks), t.Title,
					domain.TaskFieldErr("id", "Task %d has the same ID, %s.", j+1, t.ID))
			}
			seen[t.ID] = i
		}
		if _, err := db.saveTask(ctx, tx, t); err != nil {
			return fmt.Errorf("import tasks: task %d of %d (%q): %w", i+1, len(tasks), t.Title, err)
		}
	}
	if err := db.changedTx(ctx, tx, TopicTasks); err != nil {
		return fmt.Errorf("import tasks: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("import tasks: %w", err)
	}
	return nil
}

// Task returns the task with the ID. Concurrent look-ups (every firing
// starts with one) share a query.
func (db *DB) Task(ctx context.Context, id string) (domain.Task, error) {
	out, err := db.taskReads.do(ctx, id, maxTaskReadBatch, db.readTasks)
	if err == nil {
		err = out.err
	}
	if err != nil {
		return domain.Task{}, fmt.Errorf("task %s: %w", id, err)
	}
	return out.task, nil
}

// maxTaskReadBatch bounds the IDs of one grouped look-up.
const maxTaskReadBatch = 200

// taskRead is one Task look-up's answer.
type taskRead struct {
	task domain.Task
	err  error
}

// readTasks looks up a batch of tasks by ID in one query; a missing one
// is domain.ErrNotFound.
func (db *DB) readTasks(ctx context.Context, ids []string) ([]taskRead, error) {
	args := anySlice(ids)
	tasks, err := db.queryTasks(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id IN (`+placeholderList(1, len(ids))+`)`, args...)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]domain.Task, len(tasks))
	for _, t := range tasks {
		byID[t.ID] = t
	}
	out := make([]taskRead, len(ids))
	for i, id := range ids {
		if t, ok := byID[id]; ok {
			out[i] = taskRead{task: t}
		} else {
			out[i] = taskRead{err: domain.ErrNotFound}
		}
	}
	return out, nil
}

// TaskByExternalID returns the task of source with the external ID.
func (db *DB) TaskByExternalID(ctx context.Context, source, externalID string) (domain.Task, error) {
	if externalID == "" {
		return domain.Task{}, fmt.Errorf("task by external ID: %w", domain.Invalid("empty external ID"))
	}
	t, err := scanTask(db.sql.QueryRowContext(ctx,
		`SELECT `+taskColumns+` FROM tasks WHERE source = $1 AND external_id = $2 AND external_id <> ''`, source, externalID))
	if errors.Is(err, sql.ErrNoRows) {
		err = domain.ErrNotFound
	}
	if err != nil {
		return domain.Task{}, fmt.Errorf("task %q of %s: %w", externalID, source, err)
	}
	return t, nil
}

// TasksInChannel returns the channel's tasks by title (case-insensitive),
// paused ones included; none is not an error.
func (db *DB) TasksInChannel(ctx context.Context, channelID string) ([]domain.Task, error) {
	tasks, err := db.queryTasks(ctx, `SELECT `+taskColumns+` FROM tasks WHERE channel_id = $1
		ORDER BY title COLLATE NOCASE, id`, channelID)
	if err != nil {
		return nil, fmt.Errorf("tasks in %s: %w", channelID, err)
	}
	return tasks, nil
}

// AllTasks returns every task, paused ones included, by channel and title:
// what the scheduler loads at start.
func (db *DB) AllTasks(ctx context.Context) ([]domain.Task, error) {
	tasks, err := db.queryTasks(ctx, `SELECT `+taskColumns+` FROM tasks
		ORDER BY channel_id, title COLLATE NOCASE, id`)
	if err != nil {
		return nil, fmt.Errorf("all tasks: %w", err)
	}
	return tasks, nil
}

func (db *DB) queryTasks(ctx context.Context, query string, args ...any) ([]domain.Task, error) {
	return queryRows(ctx, db.sql, scanTask, query, args...)
}

// SetTaskPaused pauses or resumes the task.
func (db *DB) SetTaskPaused(ctx context.Context, id string, paused bool) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("pause task %s: %w", id, err)
	}
	defer tx.Rollback()
	n, err := rowsChanged(tx.ExecContext(ctx, `UPDATE tasks SET paused = $1, updated_at = $2 WHERE id = $3`,
		boolInt(paused), db.now().UnixMilli(), id))
	if err == nil && n == 0 {
		err = domain.ErrNotFound
	}
	if err == nil {
		err = db.changedTx(ctx, tx, TopicTasks)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return fmt.Errorf("pause task %s: %w", id, err)
	}
	return nil
}

// rowsChanged returns how many rows an UPDATE or DELETE changed.
func rowsChanged(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// DeleteTask deletes the task and its unfinished occurrences (claimed,
// posted, started), whose cards' buttons then find nothing. Done and
// skipped occurrences stay, for reports.
func (db *DB) DeleteTask(ctx context.Context, id string) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete task %s: %w", id, err)
	}
	defer tx.Rollback()
	n, err := rowsChanged(tx.ExecContext(ctx, `DELETE FROM tasks WHERE id = $1`, id))
	if err == nil && n == 0 {
		err = domain.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete task %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM task_occurrences
		WHERE task_id = $1 AND state IN ('`+domain.OccClaimed+`', '`+domain.OccPosted+`', '`+domain.OccStarted+`')`, id); err != nil {
		return fmt.Errorf("delete task %s: occurrences: %w", id, err)
	}
	if err := db.changedTx(ctx, tx, TopicTasks); err != nil {
		return fmt.Errorf("delete task %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete task %s: %w", id, err)
	}
	return nil
}
