package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tobanbot/toban/domain"
)

// HomeOpened records that the person opened the App Home now, with the
// time zone of their Slack profile ("" keeps the one known).
func (db *DB) HomeOpened(ctx context.Context, userID, zone string) error {
	if err := (domain.HomeViewer{UserID: userID, Zone: zone}).Validate(); err != nil {
		return fmt.Errorf("home opened by %s: %w", userID, err)
	}
	_, err := db.sql.ExecContext(ctx, `
		INSERT INTO home_viewers (user_id, zone, opened_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET opened_at = excluded.opened_at,
			zone = CASE WHEN excluded.zone = '' THEN home_viewers.zone ELSE excluded.zone END`,
		userID, zone, db.now().Unix())
	if err != nil {
		return fmt.Errorf("home opened by %s: %w", userID, err)
	}
	return nil
}

const homeViewerColumns = `user_id, zone, opened_at, hash, published_at`

func scanHomeViewer(r rowScanner) (domain.HomeViewer, error) {
	var v domain.HomeViewer
	var opened, published int64
	if err := r.Scan(&v.UserID, &v.Zone, &opened, &v.Hash, &published); err != nil {
		return v, err
	}
	v.OpenedAt = time.Unix(opened, 0)
	if published > 0 {
		v.PublishedAt = time.Unix(published, 0)
	}
	return v, nil
}

// HomeViewer reads one viewer; domain.ErrNotFound when they never opened
// the Home.
func (db *DB) HomeViewer(ctx context.Context, userID string) (domain.HomeViewer, error) {
	v, err := scanHomeViewer(db.sql.QueryRowContext(ctx, `SELECT `+homeViewerColumns+` FROM home_viewers WHERE user_id = $1`, userID))
	if errors.Is(err, sql.ErrNoRows) {
		err = domain.ErrNotFound
	}
	if err != nil {
		return domain.HomeViewer{}, fmt.Errorf("home viewer %s: %w", userID, err)
	}
	return v, nil
}

// HomeViewers lists at most limit people who opened the Home since since,
// the most recent first.
func (db *DB) HomeViewers(ctx context.Context, since time.Time, limit int) ([]domain.HomeViewer, error) {
	list, err := queryRows(ctx, db.sql, scanHomeViewer, `SELECT `+homeViewerColumns+` FROM home_viewers
		WHERE opened_at >= $1 ORDER BY opened_at DESC, user_id LIMIT $2`, since.Unix(), limit)
	if err != nil {
		return nil, fmt.Errorf("home viewers: %w", err)
	}
	return list, nil
}

// SetHomePublished records the hash of the view just published to the
// person's Home.
func (db *DB) SetHomePublished(ctx context.Context, userID, hash string) error {
	if err := (domain.HomeViewer{UserID: userID, Hash: hash}).Validate(); err != nil {
		return fmt.Errorf("home published for %s: %w", userID, err)
	}
	_, err := db.sql.ExecContext(ctx, `
		INSERT INTO home_viewers (user_id, opened_at, hash, published_at) VALUES ($1, $2, $3, $2)
		ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, published_at = excluded.published_at`,
		userID, db.now().Unix(), hash)
	if err != nil {
		return fmt.Errorf("home published for %s: %w", userID, err)
	}
	return nil
}

// TasksCreatedBy returns the tasks the person created, by title
// (case-insensitive), paused ones included.
func (db *DB) TasksCreatedBy(ctx context.Context, userID string) ([]domain.Task, error) {
	tasks, err := db.queryTasks(ctx, `SELECT `+taskColumns+` FROM tasks WHERE created_by = $1
		ORDER BY title COLLATE NOCASE, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("tasks of %s: %w", userID, err)
	}
	return tasks, nil
}
