package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/scheduler"
)

// How a task escalates when nobody starts it within its grace period.
const (
	// EscalateNone never escalates.
	EscalateNone = "none"
	// EscalateOnCall mentions whoever is on call on a PagerDuty schedule.
	EscalateOnCall = "oncall"
	// EscalateIncident triggers an incident on a PagerDuty service.
	EscalateIncident = "incident"
)

// Where a task came from (Task.Source). An ICS feed's tasks have the source
// SourceICSPrefix + the feed's name.
const (
	SourceSlack     = "slack"
	SourceImport    = "import"
	SourceICSPrefix = "ics:"
)

// Limits on a task's fields, enforced by SaveTask and ImportTasks. The
// description limit is Slack's for one section of a message.
const (
	MaxTaskTitle       = 200  // runes
	MaxTaskDescription = 3000 // runes
	MaxGraceMinutes    = 1440 // a day
	maxTaskID          = 64   // bytes
	maxExternalID      = 1024 // bytes
)

// ErrTaskExists means another task already has the Source and ExternalID of
// the task being saved; TaskByExternalID returns it.
var ErrTaskExists = errors.New("task exists")

// Task is a scheduled operations task: a card posted in ChannelID whenever
// Rule comes due.
type Task struct {
	// ID is assigned by SaveTask when empty: "t_" and 12 base32 characters
	// (see NewTaskID). It never contains "@".
	ID string
	// Title is required, at most MaxTaskTitle runes; Description (at most
	// MaxTaskDescription runes) may hold a runbook link.
	Title, Description string
	// ChannelID is a Slack channel ID, never a #name.
	ChannelID string
	// Rule is a scheduler.Rule.Encode(); SaveTask stores it re-encoded.
	Rule string
	// GraceMinutes (0 to MaxGraceMinutes) is how long after the due time
	// nobody may have started before the task escalates.
	GraceMinutes int
	// Escalation is EscalateNone (also for ""), EscalateOnCall or
	// EscalateIncident.
	Escalation string
	// EscalationTargetID is the PagerDuty schedule (oncall) or service
	// (incident), required for those kinds and cleared for none. The name is
	// for display.
	EscalationTargetID, EscalationTargetName string
	// CreatedBy is the Slack user who created the task; SaveTask keeps the
	// first one when it updates a task.
	CreatedBy string
	// CreatorPDEmail is the From of the PagerDuty incidents the task
	// triggers.
	CreatorPDEmail string
	// Paused tasks are kept but not scheduled.
	Paused bool
	// Source is SourceSlack (also for ""), SourceImport, or SourceICSPrefix
	// followed by the feed's name.
	Source string
	// ExternalID, when not empty, names the task in its Source (an ICS
	// UID); no two tasks share both.
	ExternalID string
	// CreatedAt and UpdatedAt are set by the database clock.
	CreatedAt, UpdatedAt time.Time
}

// TaskFieldError is the error SaveTask and ImportTasks return for a task
// field that is wrong. It wraps a *domain.InvalidError, so errors.Is(err,
// domain.ErrInvalid) holds and handlers.UserMessage shows the reason.
type TaskFieldError struct {
	// Field is one of "id", "title", "description", "channel", "rule",
	// "grace", "escalation", "escalation_target", "source", "external_id".
	Field   string
	Invalid *domain.InvalidError
}

// Error returns the field and the reason, e.g. "grace: The grace period ...".
func (e *TaskFieldError) Error() string { return e.Field + ": " + e.Invalid.Reason }

// Unwrap returns the *domain.InvalidError.
func (e *TaskFieldError) Unwrap() error { return e.Invalid }

func taskFieldErr(field, format string, args ...any) error {
	return &TaskFieldError{Field: field, Invalid: &domain.InvalidError{Reason: fmt.Sprintf(format, args...)}}
}

var taskIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewTaskID returns a fresh task ID, "t_" and 12 random base32 characters.
// Callers that need the IDs of tasks before ImportTasks may assign them.
func NewTaskID() string {
	var b [8]byte
	rand.Read(b[:]) // never fails
	return "t_" + taskIDEncoding.EncodeToString(b[:])[:12]
}

// checkTask validates t and returns it normalised: trimmed title and
// channel, canonical rule, defaults for escalation and source.
func checkTask(t Task) (Task, error) {
	if t.ID != "" && !validTaskID(t.ID) {
		return t, taskFieldErr("id", "%q is not a task ID.", t.ID)
	}
	t.Title = strings.TrimSpace(t.Title)
	switch n := utf8.RuneCountInString(t.Title); {
	case n == 0:
		return t, taskFieldErr("title", "Give the task a title.")
	case n > MaxTaskTitle:
		return t, taskFieldErr("title", "The title is %d characters long; keep it to %d.", n, MaxTaskTitle)
	}
	if n := utf8.RuneCountInString(t.Description); n > MaxTaskDescription {
		return t, taskFieldErr("description", "The description is %d characters long; keep it to %d.", n, MaxTaskDescription)
	}
	t.ChannelID = strings.TrimSpace(t.ChannelID)
	switch {
	case t.ChannelID == "":
		return t, taskFieldErr("channel", "Choose a channel.")
	case strings.HasPrefix(t.ChannelID, "#") || strings.IndexFunc(t.ChannelID, unicode.IsSpace) >= 0:
		return t, taskFieldErr("channel", "%q is not a channel ID; resolve channel names before saving.", t.ChannelID)
	}
	rule, err := scheduler.DecodeRule(t.Rule)
	if err != nil {
		msg := err.Error()
		var fe *scheduler.FieldError
		if errors.As(err, &fe) {
			msg = fe.Msg
		}
		return t, taskFieldErr("rule", "The schedule is not valid: %s", msg)
	}
	t.Rule = rule.Encode()
	if t.GraceMinutes < 0 || t.GraceMinutes > MaxGraceMinutes {
		return t, taskFieldErr("grace", "The grace period must be between 0 and %d minutes, not %d.", MaxGraceMinutes, t.GraceMinutes)
	}
	switch t.Escalation {
	case "", EscalateNone:
		t.Escalation, t.EscalationTargetID, t.EscalationTargetName = EscalateNone, "", ""
	case EscalateOnCall, EscalateIncident:
		if strings.TrimSpace(t.EscalationTargetID) == "" {
			what := "schedule whose on-call person to mention"
			if t.Escalation == EscalateIncident {
				what = "service to trigger an incident on"
			}
			return t, taskFieldErr("escalation_target", "Choose the PagerDuty %s.", what)
		}
	default:
		return t, taskFieldErr("escalation", "%q is not a kind of escalation; use %s, %s or %s.", t.Escalation, EscalateNone, EscalateOnCall, EscalateIncident)
	}
	switch {
	case t.Source == "":
		t.Source = SourceSlack
	case t.Source == SourceSlack || t.Source == SourceImport:
	case strings.HasPrefix(t.Source, SourceICSPrefix) && len(t.Source) > len(SourceICSPrefix):
	default:
		return t, taskFieldErr("source", "%q is not a task source; use %s, %s or %s<feed>.", t.Source, SourceSlack, SourceImport, SourceICSPrefix)
	}
	if len(t.ExternalID) > maxExternalID {
		return t, taskFieldErr("external_id", "The external ID is longer than %d bytes.", maxExternalID)
	}
	return t, nil
}

func validTaskID(id string) bool {
	if len(id) > maxTaskID {
		return false
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':'
		if !ok {
			return false
		}
	}
	return true
}

const taskColumns = `id, title, description, channel_id, rule, grace_minutes, escalation, escalation_target_id,
	escalation_target_name, created_by, creator_pd_email, paused, source, external_id, created_at, updated_at`

func scanTask(r rowScanner) (Task, error) {
	var t Task
	var created, updated int64
	err := r.Scan(&t.ID, &t.Title, &t.Description, &t.ChannelID, &t.Rule, &t.GraceMinutes, &t.Escalation,
		&t.EscalationTargetID, &t.EscalationTargetName, &t.CreatedBy, &t.CreatorPDEmail, &t.Paused,
		&t.Source, &t.ExternalID, &created, &updated)
	if err != nil {
		return Task{}, err
	}
	t.CreatedAt, t.UpdatedAt = fromMillis(created), fromMillis(updated)
	return t, nil
}

// SaveTask inserts t, or updates the task with its ID, and returns it as
// stored. An empty ID gets a new one (NewTaskID); a given ID that does not
// exist yet is inserted as is. An update replaces every field except
// CreatedBy and CreatedAt. The rule is checked with scheduler.DecodeRule
// only, so a once rule in the past is accepted (a past task can still be
// renamed); check Rule.Validate(now) when a person creates one. A bad field
// gives a *TaskFieldError; an ExternalID another task of the Source already
// has gives ErrTaskExists.
func (db *DB) SaveTask(ctx context.Context, t Task) (Task, error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return Task{}, fmt.Errorf("save task %q: %w", t.Title, err)
	}
	defer tx.Rollback()
	saved, err := db.saveTask(ctx, tx, t)
	if err == nil {
		err = db.changedTx(ctx, tx, TopicTasks)
	}
	if err != nil {
		return Task{}, fmt.Errorf("save task %q: %w", t.Title, err)
	}
	if err := tx.Commit(); err != nil {
		return Task{}, fmt.Errorf("save task %q: %w", t.Title, err)
	}
	return saved, nil
}

func (db *DB) saveTask(ctx context.Context, tx *sql.Tx, t Task) (Task, error) {
	t, err := checkTask(t)
	if err != nil {
		return Task{}, err
	}
	if t.ID == "" {
		t.ID = NewTaskID()
	}
	if t.ExternalID != "" {
		if err := db.serialize(ctx, tx, "task-external/"+t.Source+"/"+t.ExternalID); err != nil {
			return Task{}, err
		}
		var other string
		err := tx.QueryRowContext(ctx, `SELECT id FROM tasks WHERE source = $1 AND external_id = $2 AND external_id <> '' AND id <> $3`,
			t.Source, t.ExternalID, t.ID).Scan(&other)
		switch {
		case err == nil:
			return Task{}, fmt.Errorf("%w: task %s already has external ID %q in %s", ErrTaskExists, other, t.ExternalID, t.Source)
		case !errors.Is(err, sql.ErrNoRows):
			return Task{}, err
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
		t.ID, t.Title, t.Description, t.ChannelID, t.Rule, t.GraceMinutes, t.Escalation, t.EscalationTargetID,
		t.EscalationTargetName, t.CreatedBy, t.CreatorPDEmail, boolInt(t.Paused), t.Source, t.ExternalID, now, now))
}

// ImportTasks saves every task as SaveTask would, in one transaction: if one
// is refused, none is saved, and the error (wrapping the *TaskFieldError or
// ErrTaskExists) names the task by its position, from 1. Two tasks with the
// same non-empty ID are refused. Assign IDs with NewTaskID beforehand to
// know them without reading the tasks back.
func (db *DB) ImportTasks(ctx context.Context, tasks []Task) error {
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
					taskFieldErr("id", "Task %d has the same ID, %s.", j+1, t.ID))
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

// Task returns the task with the ID.
func (db *DB) Task(ctx context.Context, id string) (Task, error) {
	t, err := scanTask(db.sql.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = domain.ErrNotFound
	}
	if err != nil {
		return Task{}, fmt.Errorf("task %s: %w", id, err)
	}
	return t, nil
}

// TaskByExternalID returns the task of source with the external ID.
func (db *DB) TaskByExternalID(ctx context.Context, source, externalID string) (Task, error) {
	if externalID == "" {
		return Task{}, fmt.Errorf("task by external ID: %w", domain.Invalid("empty external ID"))
	}
	t, err := scanTask(db.sql.QueryRowContext(ctx,
		`SELECT `+taskColumns+` FROM tasks WHERE source = $1 AND external_id = $2 AND external_id <> ''`, source, externalID))
	if errors.Is(err, sql.ErrNoRows) {
		err = domain.ErrNotFound
	}
	if err != nil {
		return Task{}, fmt.Errorf("task %q of %s: %w", externalID, source, err)
	}
	return t, nil
}

// TasksInChannel returns the channel's tasks by title (case-insensitive),
// paused ones included; none is not an error.
func (db *DB) TasksInChannel(ctx context.Context, channelID string) ([]Task, error) {
	tasks, err := db.queryTasks(ctx, `SELECT `+taskColumns+` FROM tasks WHERE channel_id = $1
		ORDER BY title COLLATE NOCASE, id`, channelID)
	if err != nil {
		return nil, fmt.Errorf("tasks in %s: %w", channelID, err)
	}
	return tasks, nil
}

// AllTasks returns every task, paused ones included, by channel and title:
// what the scheduler loads at start.
func (db *DB) AllTasks(ctx context.Context) ([]Task, error) {
	tasks, err := db.queryTasks(ctx, `SELECT `+taskColumns+` FROM tasks
		ORDER BY channel_id, title COLLATE NOCASE, id`)
	if err != nil {
		return nil, fmt.Errorf("all tasks: %w", err)
	}
	return tasks, nil
}

func (db *DB) queryTasks(ctx context.Context, query string, args ...any) ([]Task, error) {
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var tasks []Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, t)
	}
	return tasks, rows.Err()
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
		WHERE task_id = $1 AND state IN ('`+OccClaimed+`', '`+OccPosted+`', '`+OccStarted+`')`, id); err != nil {
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
