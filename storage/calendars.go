package storage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/tobanbot/toban/domain"
)

const calendarColumns = `id, channel_id, url, all_day_at, grace_minutes, escalation, escalation_target_id,
	escalation_target_name, created_by, creator_pd_email, created_at, last_fetched, etag, last_modified,
	last_error, failing_since`

func scanCalendar(r rowScanner) (domain.Calendar, error) {
	var c domain.Calendar
	var created int64
	var fetched, failing sql.NullInt64
	err := r.Scan(&c.ID, &c.ChannelID, &c.URL, &c.AllDayAt, &c.GraceMinutes, &c.Escalation, &c.EscalationTargetID,
		&c.EscalationTargetName, &c.CreatedBy, &c.CreatorPDEmail, &created, &fetched, &c.ETag, &c.LastModified,
		&c.LastError, &failing)
	if err != nil {
		return domain.Calendar{}, err
	}
	c.CreatedAt, c.LastFetched, c.FailingSince = fromMillis(created), nullMillisTime(fetched), nullMillisTime(failing)
	return c, nil
}

// AddCalendar attaches a new calendar and returns it as stored, with its ID.
// The same URL attached twice to a channel gives domain.ErrCalendarExists.
func (db *DB) AddCalendar(ctx context.Context, c domain.Calendar) (domain.Calendar, error) {
	c, err := c.Normalized()
	if err != nil {
		return domain.Calendar{}, fmt.Errorf("add calendar: %w", err)
	}
	c.ID = domain.NewID("cal_")
	saved, err := scanCalendar(db.sql.QueryRowContext(ctx, `
		INSERT INTO calendars (id, channel_id, url, all_day_at, grace_minutes, escalation, escalation_target_id,
			escalation_target_name, created_by, creator_pd_email, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (channel_id, url) DO NOTHING
		RETURNING `+calendarColumns,
		c.ID, c.ChannelID, c.URL, c.AllDayAt, c.GraceMinutes, c.Escalation, c.EscalationTargetID,
		c.EscalationTargetName, c.CreatedBy, c.CreatorPDEmail, db.now().UnixMilli()))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Calendar{}, fmt.Errorf("add calendar in %s: %w", c.ChannelID, domain.ErrCalendarExists)
	}
	if err != nil {
		return domain.Calendar{}, fmt.Errorf("add calendar in %s: %w", c.ChannelID, err)
	}
	return saved, nil
}

// Calendar returns the calendar with the ID.
func (db *DB) Calendar(ctx context.Context, id string) (domain.Calendar, error) {
	c, err := scanCalendar(db.sql.QueryRowContext(ctx, `SELECT `+calendarColumns+` FROM calendars WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = domain.ErrNotFound
	}
	if err != nil {
		return domain.Calendar{}, fmt.Errorf("calendar %s: %w", id, err)
	}
	return c, nil
}

// CalendarsInChannel returns the channel's calendars, oldest first; none
// is not an error.
func (db *DB) CalendarsInChannel(ctx context.Context, channelID string) ([]domain.Calendar, error) {
	cals, err := db.queryCalendars(ctx, `SELECT `+calendarColumns+` FROM calendars WHERE channel_id = $1
		ORDER BY created_at, rowid`, channelID)
	if err != nil {
		return nil, fmt.Errorf("calendars in %s: %w", channelID, err)
	}
	return cals, nil
}

// AllCalendars returns every calendar, for the periodic refresh.
func (db *DB) AllCalendars(ctx context.Context) ([]domain.Calendar, error) {
	cals, err := db.queryCalendars(ctx, `SELECT `+calendarColumns+` FROM calendars ORDER BY created_at, rowid`)
	if err != nil {
		return nil, fmt.Errorf("all calendars: %w", err)
	}
	return cals, nil
}

func (db *DB) queryCalendars(ctx context.Context, query string, args ...any) ([]domain.Calendar, error) {
	return queryRows(ctx, db.sql, scanCalendar, query, args...)
}

// DeleteCalendar forgets the calendar. Its tasks are the caller's to
// delete first (CalendarTasks), so that the scheduler is told.
func (db *DB) DeleteCalendar(ctx context.Context, id string) error {
	n, err := rowsChanged(db.sql.ExecContext(ctx, `DELETE FROM calendars WHERE id = $1`, id))
	if err == nil && n == 0 {
		err = domain.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete calendar %s: %w", id, err)
	}
	return nil
}

// RecordCalendarFetch records a successful read: when, its validators, and
// the body unless it is nil (304) or unchanged. It does not touch
// LastError; SetCalendarError does.
func (db *DB) RecordCalendarFetch(ctx context.Context, id string, f domain.CalendarFetch) error {
	var res sql.Result
	var err error
	if f.Body == nil {
		res, err = db.sql.ExecContext(ctx, `UPDATE calendars SET last_fetched = $1, etag = $2, last_modified = $3 WHERE id = $4`,
			f.At.UnixMilli(), f.ETag, f.LastModified, id)
	} else {
		sum := sha256.Sum256(f.Body)
		hash := hex.EncodeToString(sum[:])
		// The body is rewritten only when it changed: most refreshes of a
		// server without validators return the same bytes.
		res, err = db.sql.ExecContext(ctx, `UPDATE calendars SET last_fetched = $1, etag = $2, last_modified = $3,
				body = CASE WHEN body_sha256 = $4 THEN body ELSE $5 END, body_sha256 = $6
			WHERE id = $7`, f.At.UnixMilli(), f.ETag, f.LastModified, hash, f.Body, hash, id)
	}
	n, err := rowsChanged(res, err)
	if err == nil && n == 0 {
		err = domain.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("record fetch of calendar %s: %w", id, err)
	}
	return nil
}

// CalendarBody returns the last calendar fetched, nil if none was.
func (db *DB) CalendarBody(ctx context.Context, id string) ([]byte, error) {
	var body []byte
	err := db.sql.QueryRowContext(ctx, `SELECT body FROM calendars WHERE id = $1`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		err = domain.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("body of calendar %s: %w", id, err)
	}
	return body, nil
}

// SetCalendarError records why the calendar's latest refresh failed, or
// with msg "" that it worked, and returns the error recorded before, so
// that the caller tells the channel once when a feed starts failing and
// once when it recovers.
func (db *DB) SetCalendarError(ctx context.Context, id, msg string) (previous string, err error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("set error of calendar %s: %w", id, err)
	}
	defer tx.Rollback()
	if err := db.serialize(ctx, tx, "calendar/"+id); err != nil {
		return "", fmt.Errorf("set error of calendar %s: %w", id, err)
	}
	err = tx.QueryRowContext(ctx, `SELECT last_error FROM calendars WHERE id = $1`, id).Scan(&previous)
	if errors.Is(err, sql.ErrNoRows) {
		err = domain.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("set error of calendar %s: %w", id, err)
	}
	// failing_since is kept while the calendar keeps failing.
	if _, err := tx.ExecContext(ctx, `UPDATE calendars SET last_error = $1,
			failing_since = CASE WHEN $2 = '' THEN NULL ELSE COALESCE(failing_since, $3) END
		WHERE id = $4`, msg, msg, db.now().UnixMilli(), id); err != nil {
		return "", fmt.Errorf("set error of calendar %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("set error of calendar %s: %w", id, err)
	}
	return previous, nil
}

// CalendarTasks returns the tasks made from the calendar's events, past
// ones included, by title.
func (db *DB) CalendarTasks(ctx context.Context, calendarID string) ([]domain.Task, error) {
	tasks, err := db.queryTasks(ctx, `SELECT `+taskColumns+` FROM tasks WHERE source = $1
		ORDER BY title COLLATE NOCASE, id`, domain.SourceICSPrefix+calendarID)
	if err != nil {
		return nil, fmt.Errorf("tasks of calendar %s: %w", calendarID, err)
	}
	return tasks, nil
}
