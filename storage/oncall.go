package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tobanbot/toban/domain"
)

// Follow records that a channel follows a schedule, or refreshes the
// record (name, who, when) if it already does.
func (db *DB) Follow(ctx context.Context, f domain.Follow) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	_, err := db.sql.ExecContext(ctx, `
		INSERT INTO oncall_follows (channel_id, schedule_id, schedule_name, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (channel_id, schedule_id) DO UPDATE SET
			schedule_name = excluded.schedule_name, created_by = excluded.created_by, created_at = excluded.created_at`,
		f.ChannelID, f.ScheduleID, f.ScheduleName, f.CreatedBy, db.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("follow %s in %s: %w", f.ScheduleID, f.ChannelID, err)
	}
	return nil
}

// Unfollow stops a channel following a schedule; every schedule when
// scheduleID is "". Nothing to stop is domain.ErrNotFound.
func (db *DB) Unfollow(ctx context.Context, channelID, scheduleID string) error {
	q, args := `DELETE FROM oncall_follows WHERE channel_id = $1`, []any{channelID}
	if scheduleID != "" {
		q, args = q+` AND schedule_id = $2`, append(args, scheduleID)
	}
	res, err := db.sql.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("unfollow in %s: %w", channelID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("unfollow in %s: %w", channelID, domain.ErrNotFound)
	}
	return nil
}

// Follows lists the schedules a channel follows (every channel's when
// channelID is ""), by channel and schedule name.
func (db *DB) Follows(ctx context.Context, channelID string) ([]domain.Follow, error) {
	q := `SELECT channel_id, schedule_id, schedule_name, created_by, created_at FROM oncall_follows`
	var args []any
	if channelID != "" {
		q, args = q+` WHERE channel_id = $1`, append(args, channelID)
	}
	rows, err := db.sql.QueryContext(ctx, q+` ORDER BY channel_id, schedule_name, schedule_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("follows: %w", err)
	}
	defer rows.Close()
	var out []domain.Follow
	for rows.Next() {
		var f domain.Follow
		var created int64
		if err := rows.Scan(&f.ChannelID, &f.ScheduleID, &f.ScheduleName, &f.CreatedBy, &created); err != nil {
			return nil, fmt.Errorf("follows: %w", err)
		}
		f.CreatedAt = fromMillis(created)
		out = append(out, f)
	}
	return out, rows.Err()
}

// ClaimAnnouncement records that the announcement key is being posted and
// reports whether this is the first claim; a second claim returns false.
func (db *DB) ClaimAnnouncement(ctx context.Context, key string) (bool, error) {
	res, err := db.sql.ExecContext(ctx,
		`INSERT INTO oncall_announcements (key, claimed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, key, db.now().UnixMilli())
	if err != nil {
		return false, fmt.Errorf("claim announcement %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim announcement %s: %w", key, err)
	}
	return n == 1, nil
}

// ReleaseAnnouncement forgets a claim whose post failed, so that it is
// tried again.
func (db *DB) ReleaseAnnouncement(ctx context.Context, key string) error {
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM oncall_announcements WHERE key = $1`, key); err != nil {
		return fmt.Errorf("release announcement %s: %w", key, err)
	}
	return nil
}

// ForgetAnnouncementsBefore deletes claims older than t; announcements are
// only made about the present, so old claims never matter again.
func (db *DB) ForgetAnnouncementsBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM oncall_announcements WHERE claimed_at < $1`, t.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune announcements: %w", err)
	}
	return res.RowsAffected()
}

// SaveMaintenanceCard records an open card. It is saved before it is
// posted (TS "", then SetMaintenanceCardTS), so that a click on the card
// always finds it.
func (db *DB) SaveMaintenanceCard(ctx context.Context, c domain.MaintenanceCard) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("save maintenance card: %w", err)
	}
	type svc struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	list := make([]svc, 0, len(c.Services))
	for _, s := range c.Services {
		list = append(list, svc{s.ID, s.Name})
	}
	services, _ := json.Marshal(list)
	_, err := db.sql.ExecContext(ctx, `
		INSERT INTO maintenance_cards (window_id, channel_id, ts, services, description, created_by, start_at, end_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		c.WindowID, c.ChannelID, c.TS, string(services), c.Description, c.CreatedBy, c.Start.UnixMilli(), c.End.UnixMilli())
	if err != nil {
		return fmt.Errorf("save maintenance card %s: %w", c.WindowID, err)
	}
	return nil
}

// SetMaintenanceCardTS records the message that shows the card.
func (db *DB) SetMaintenanceCardTS(ctx context.Context, windowID, ts string) error {
	res, err := db.sql.ExecContext(ctx, `UPDATE maintenance_cards SET ts = $1 WHERE window_id = $2`, ts, windowID)
	if err != nil {
		return fmt.Errorf("set maintenance card ts %s: %w", windowID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set maintenance card ts %s: %w", windowID, domain.ErrNotFound)
	}
	return nil
}

const maintenanceColumns = `window_id, channel_id, ts, services, description, created_by, start_at, end_at, state, extended_by, ended_by, ended_at`

func scanMaintenanceCard(r rowScanner) (domain.MaintenanceCard, error) {
	var c domain.MaintenanceCard
	var services string
	var start, end, ended int64
	if err := r.Scan(&c.WindowID, &c.ChannelID, &c.TS, &services, &c.Description, &c.CreatedBy, &start, &end,
		&c.State, &c.ExtendedBy, &c.EndedBy, &ended); err != nil {
		return domain.MaintenanceCard{}, err
	}
	var list []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(services), &list); err != nil {
		return domain.MaintenanceCard{}, fmt.Errorf("services of %s: %w", c.WindowID, err)
	}
	for _, s := range list {
		c.Services = append(c.Services, domain.Service{ID: s.ID, Name: s.Name})
	}
	c.Start, c.End = fromMillis(start), fromMillis(end)
	if ended != 0 {
		c.EndedAt = fromMillis(ended)
	}
	return c, nil
}

// MaintenanceCard reads the card of a window; none is domain.ErrNotFound.
func (db *DB) MaintenanceCard(ctx context.Context, windowID string) (domain.MaintenanceCard, error) {
	c, err := scanMaintenanceCard(db.sql.QueryRowContext(ctx,
		`SELECT `+maintenanceColumns+` FROM maintenance_cards WHERE window_id = $1`, windowID))
	if errors.Is(err, sql.ErrNoRows) {
		err = domain.ErrNotFound
	}
	if err != nil {
		return domain.MaintenanceCard{}, fmt.Errorf("maintenance card %s: %w", windowID, err)
	}
	return c, nil
}

// OpenMaintenanceCards lists the cards of windows not yet ended, soonest
// end first.
func (db *DB) OpenMaintenanceCards(ctx context.Context) ([]domain.MaintenanceCard, error) {
	out, err := queryRows(ctx, db.sql, scanMaintenanceCard,
		`SELECT `+maintenanceColumns+` FROM maintenance_cards WHERE state = $1 ORDER BY end_at, window_id`, domain.MaintenanceOpen)
	if err != nil {
		return nil, fmt.Errorf("open maintenance cards: %w", err)
	}
	return out, nil
}

// ExtendMaintenanceCard records a window's new end; by is who moved it
// ("" when PagerDuty did, e.g. an edit in its web app).
func (db *DB) ExtendMaintenanceCard(ctx context.Context, windowID string, end time.Time, by string) error {
	res, err := db.sql.ExecContext(ctx,
		`UPDATE maintenance_cards SET end_at = $1, extended_by = CASE WHEN $2 = '' THEN extended_by ELSE $3 END
		 WHERE window_id = $4 AND state = $5`, end.UnixMilli(), by, by, windowID, domain.MaintenanceOpen)
	if err != nil {
		return fmt.Errorf("extend maintenance card %s: %w", windowID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("extend maintenance card %s: %w", windowID, domain.ErrNotFound)
	}
	return nil
}

// EndMaintenanceCard marks an open card ended (or cancelled) at at by by
// ("" when it ended by itself) and reports whether this call did it: of a
// click and the end-of-window watcher, exactly one wins.
func (db *DB) EndMaintenanceCard(ctx context.Context, windowID, state, by string, at time.Time) (bool, error) {
	if state != domain.MaintenanceEnded && state != domain.MaintenanceCancelled {
		return false, fmt.Errorf("end maintenance card %s: %w", windowID, domain.Invalid("unknown state %q", state))
	}
	res, err := db.sql.ExecContext(ctx,
		`UPDATE maintenance_cards SET state = $1, ended_by = $2, ended_at = $3, end_at = CASE WHEN $3 < end_at THEN $3 ELSE end_at END
		 WHERE window_id = $4 AND state = $5`, state, by, at.UnixMilli(), windowID, domain.MaintenanceOpen)
	if err != nil {
		return false, fmt.Errorf("end maintenance card %s: %w", windowID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("end maintenance card %s: %w", windowID, err)
	}
	return n == 1, nil
}
