package storage

import (
	"context"
	"fmt"

	"github.com/tobanbot/toban/domain"
)

// RecordActivity appends a to the incident's history. It does not
// deduplicate: guard a click with FirstClick before acting on it.
func (db *DB) RecordActivity(ctx context.Context, a domain.Activity) error {
	if err := a.Validate(); err != nil {
		if a.IncidentID == "" {
			return fmt.Errorf("record activity: %w", err)
		}
		return fmt.Errorf("record activity on %s: %w", a.IncidentID, err)
	}
	at := a.At
	if at.IsZero() {
		at = db.now()
	}
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO incident_activity (incident_id, kind, slack_user_id, pd_user_id, detail, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		a.IncidentID, a.Kind, a.SlackUserID, a.PDUserID, a.Detail, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("record activity on %s: %w", a.IncidentID, err)
	}
	return nil
}

// Activities returns the incident's history, oldest first (equal times in
// the order recorded); none is not an error.
func (db *DB) Activities(ctx context.Context, incidentID string) ([]domain.Activity, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT incident_id, kind, slack_user_id, pd_user_id, detail, at
		 FROM incident_activity WHERE incident_id = $1 ORDER BY at, id`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("activities of %s: %w", incidentID, err)
	}
	defer rows.Close()
	var out []domain.Activity
	for rows.Next() {
		var a domain.Activity
		var at int64
		if err := rows.Scan(&a.IncidentID, &a.Kind, &a.SlackUserID, &a.PDUserID, &a.Detail, &at); err != nil {
			return nil, fmt.Errorf("activities of %s: %w", incidentID, err)
		}
		a.At = fromMillis(at)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("activities of %s: %w", incidentID, err)
	}
	return out, nil
}
