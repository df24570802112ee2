package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/tobanbot/toban/domain"
)

// The kinds of Activity.
const (
	ActivityTriggered    = "triggered"
	ActivityAcknowledged = "acknowledged"
	ActivityResolved     = "resolved"
	ActivityEscalated    = "escalated"
	ActivityNote         = "note"
)

var activityKinds = map[string]bool{
	ActivityTriggered: true, ActivityAcknowledged: true, ActivityResolved: true,
	ActivityEscalated: true, ActivityNote: true,
}

// Activity is one thing someone did to an incident through toban, shown on
// its cards ("Acknowledged by @alice at 10:02").
type Activity struct {
	IncidentID string
	// Kind is one of the Activity* constants.
	Kind        string
	SlackUserID string
	PDUserID    string
	// Detail qualifies Kind, e.g. "level 2" for an escalation.
	Detail string
	// At is when it happened, to the millisecond; zero means now.
	At time.Time
}

// RecordActivity appends a to the incident's history. It does not
// deduplicate: guard a click with FirstClick before acting on it.
func (db *DB) RecordActivity(ctx context.Context, a Activity) error {
	switch {
	case a.IncidentID == "":
		return fmt.Errorf("record activity: %w", domain.Invalid("an activity needs an incident"))
	case !activityKinds[a.Kind]:
		return fmt.Errorf("record activity on %s: %w", a.IncidentID, domain.Invalid("unknown activity kind %q", a.Kind))
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
func (db *DB) Activities(ctx context.Context, incidentID string) ([]Activity, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT incident_id, kind, slack_user_id, pd_user_id, detail, at
		 FROM incident_activity WHERE incident_id = $1 ORDER BY at, id`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("activities of %s: %w", incidentID, err)
	}
	defer rows.Close()
	var out []Activity
	for rows.Next() {
		var a Activity
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
