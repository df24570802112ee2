package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/tobanbot/toban/domain"
)

// UnknownTasksError is the error DeleteTasks and ImportAndUpdateTasks
// return when tasks they were asked to change do not exist. It wraps
// domain.ErrNotFound.
type UnknownTasksError struct {
	// IDs are the unknown task IDs, in the order given.
	IDs []string
}

// Error returns, for example, "no task t_abc, t_def".
func (e *UnknownTasksError) Error() string { return "no task " + strings.Join(e.IDs, ", ") }

// Unwrap returns domain.ErrNotFound.
func (e *UnknownTasksError) Unwrap() error { return domain.ErrNotFound }

// ImportAndUpdateTasks saves the new tasks as ImportTasks does and updates
// the existing ones, in one transaction: if one task is refused or one
// update's ID does not exist (an *UnknownTasksError naming every such ID),
// nothing changes. An update replaces the fields a task file holds (title,
// description, channel, rule, grace, escalation and its target, and the
// creator's PagerDuty email when not empty) and keeps the rest: paused,
// source, external ID, creator. Like SaveTask it accepts a once rule that
// has passed. An ID may not appear twice across both lists.
func (db *DB) ImportAndUpdateTasks(ctx context.Context, create, update []domain.Task) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("import tasks: %w", err)
	}
	defer tx.Rollback()
	seen := make(map[string]bool, len(create)+len(update))
	for i, t := range update {
		if t.ID == "" {
			return fmt.Errorf("import tasks: update %d of %d (%q): %w", i+1, len(update), t.Title, domain.TaskFieldErr("id", "An update needs the task's ID."))
		}
		if seen[t.ID] {
			return fmt.Errorf("import tasks: update %d of %d (%q): %w", i+1, len(update), t.Title, domain.TaskFieldErr("id", "Task %s is updated twice.", t.ID))
		}
		seen[t.ID] = true
	}
	var unknown []string
	for i, t := range update {
		found, err := db.updateImportedTask(ctx, tx, t)
		if err != nil {
			return fmt.Errorf("import tasks: update %d of %d (%q): %w", i+1, len(update), t.Title, err)
		}
		if !found {
			unknown = append(unknown, t.ID)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("import tasks: %w", &UnknownTasksError{IDs: unknown})
	}
	for i, t := range create {
		if t.ID != "" {
			if seen[t.ID] {
				return fmt.Errorf("import tasks: task %d of %d (%q): %w", i+1, len(create), t.Title,
					domain.TaskFieldErr("id", "Another task has the same ID, %s.", t.ID))
			}
			seen[t.ID] = true
		}
		if _, err := db.saveTask(ctx, tx, t); err != nil {
			return fmt.Errorf("import tasks: task %d of %d (%q): %w", i+1, len(create), t.Title, err)
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

// updateImportedTask updates the file's fields of the task with t's ID and
// reports whether it exists.
func (db *DB) updateImportedTask(ctx context.Context, tx *sql.Tx, t domain.Task) (bool, error) {
	t, err := t.Normalized()
	if err != nil {
		return false, err
	}
	n, err := rowsChanged(tx.ExecContext(ctx, `UPDATE tasks SET
			title = $1, description = $2, channel_id = $3, rule = $4, grace_minutes = $5, escalation = $6,
			escalation_target_id = $7, escalation_target_name = $8,
			creator_pd_email = CASE WHEN $9 = '' THEN creator_pd_email ELSE $9 END, updated_at = $10
		WHERE id = $11`,
		t.Title, t.Description, t.ChannelID, t.Rule.Encode(), t.GraceMinutes, t.Escalation,
		t.EscalationTargetID, t.EscalationTargetName, t.CreatorPDEmail, db.now().UnixMilli(), t.ID))
	return n > 0, err
}

// DeleteTasks deletes the tasks as DeleteTask does, in one transaction: if
// any ID is unknown, none is deleted and the error is an
// *UnknownTasksError naming every unknown ID. An ID given twice is deleted
// once.
func (db *DB) DeleteTasks(ctx context.Context, ids []string) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete tasks: %w", err)
	}
	defer tx.Rollback()
	done := map[string]bool{}
	var unknown []string
	for _, id := range ids {
		if done[id] {
			continue
		}
		done[id] = true
		n, err := rowsChanged(tx.ExecContext(ctx, `DELETE FROM tasks WHERE id = $1`, id))
		if err != nil {
			return fmt.Errorf("delete task %s: %w", id, err)
		}
		if n == 0 {
			unknown = append(unknown, id)
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM task_occurrences
			WHERE task_id = $1 AND state IN ('`+domain.OccClaimed+`', '`+domain.OccPosted+`', '`+domain.OccStarted+`')`, id); err != nil {
			return fmt.Errorf("delete task %s: occurrences: %w", id, err)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("delete tasks: %w", &UnknownTasksError{IDs: unknown})
	}
	if err := db.changedTx(ctx, tx, TopicTasks); err != nil {
		return fmt.Errorf("delete tasks: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete tasks: %w", err)
	}
	return nil
}
