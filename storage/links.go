package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tobanbot/toban/domain"
)

// SaveUserLink creates or replaces the link of l.SlackUserID. A link found
// automatically (Manual false) does not replace a manual one: SaveUserLink
// then keeps the manual link and returns nil. DeleteUserLink first to drop
// a manual link.
func (db *DB) SaveUserLink(ctx context.Context, l domain.UserLink) error {
	if err := l.Validate(); err != nil {
		return fmt.Errorf("save user link %s: %w", l.SlackUserID, err)
	}
	checked := l.CheckedAt
	if checked.IsZero() {
		checked = db.now()
	}
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO user_links (slack_user_id, pd_user_id, pd_name, email, manual, checked_at)
		 VALUES ($1, $2, $3, $4, $5, $6)
		 ON CONFLICT (slack_user_id) DO UPDATE SET
		   pd_user_id = excluded.pd_user_id, pd_name = excluded.pd_name, email = excluded.email,
		   manual = excluded.manual, checked_at = excluded.checked_at
		 WHERE excluded.manual = 1 OR user_links.manual = 0`,
		l.SlackUserID, l.PDUserID, l.PDName, l.Email, boolInt(l.Manual), checked.Unix())
	if err != nil {
		return fmt.Errorf("save user link %s: %w", l.SlackUserID, err)
	}
	return nil
}

// UserLink returns the link of the Slack user. It returns an error wrapping
// domain.ErrNotFound when there is none, or when it is automatic and was
// checked more than maxAge ago, so the caller looks the user up again.
// maxAge <= 0 accepts a link of any age, e.g. as a fallback while
// PagerDuty is unavailable.
func (db *DB) UserLink(ctx context.Context, slackUserID string, maxAge time.Duration) (domain.UserLink, error) {
	l, err := scanUserLink(db.sql.QueryRowContext(ctx,
		`SELECT slack_user_id, pd_user_id, pd_name, email, manual, checked_at FROM user_links WHERE slack_user_id = $1`,
		slackUserID))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.UserLink{}, fmt.Errorf("user link %s: %w", slackUserID, domain.ErrNotFound)
	}
	if err != nil {
		return domain.UserLink{}, fmt.Errorf("user link %s: %w", slackUserID, err)
	}
	if !l.Manual && maxAge > 0 && l.CheckedAt.Before(db.now().Add(-maxAge)) {
		return domain.UserLink{}, fmt.Errorf("user link %s: checked %s, expired: %w",
			slackUserID, l.CheckedAt.Format(time.RFC3339), domain.ErrNotFound)
	}
	return l, nil
}

func scanUserLink(r rowScanner) (domain.UserLink, error) {
	var l domain.UserLink
	var checked int64
	if err := r.Scan(&l.SlackUserID, &l.PDUserID, &l.PDName, &l.Email, &l.Manual, &checked); err != nil {
		return domain.UserLink{}, err
	}
	l.CheckedAt = time.Unix(checked, 0).UTC()
	return l, nil
}

// SlackUserFor returns the Slack user linked to the PagerDuty user, whatever
// the link's age, for showing "@alice" instead of a PagerDuty name. When
// several Slack users are linked to one PagerDuty user, a manual link wins,
// then the most recently checked.
func (db *DB) SlackUserFor(ctx context.Context, pdUserID string) (string, error) {
	found, err := db.SlackUsersFor(ctx, []string{pdUserID})
	if err != nil {
		return "", fmt.Errorf("slack user for %s: %w", pdUserID, err)
	}
	id, ok := found[pdUserID]
	if !ok {
		return "", fmt.Errorf("slack user for %s: %w", pdUserID, domain.ErrNotFound)
	}
	return id, nil
}

// SlackUsersFor is SlackUserFor for several PagerDuty users in one query,
// as a card naming its assignees and acknowledgers needs; a PagerDuty user
// linked to nobody is missing from the map.
func (db *DB) SlackUsersFor(ctx context.Context, pdUserIDs []string) (map[string]string, error) {
	out := make(map[string]string, len(pdUserIDs))
	if len(pdUserIDs) == 0 {
		return out, nil
	}
	distinct := slices.Compact(slices.Sorted(slices.Values(pdUserIDs)))
	rows, err := db.sql.QueryContext(ctx, `SELECT pd_user_id, slack_user_id FROM user_links
		WHERE pd_user_id IN (`+placeholderList(1, len(distinct))+`)
		ORDER BY pd_user_id, manual DESC, checked_at DESC, slack_user_id`, anySlice(distinct)...)
	if err != nil {
		return nil, fmt.Errorf("slack users for %d pagerduty users: %w", len(distinct), err)
	}
	defer rows.Close()
	for rows.Next() {
		var pdUserID, slackUserID string
		if err := rows.Scan(&pdUserID, &slackUserID); err != nil {
			return nil, fmt.Errorf("slack users for %d pagerduty users: %w", len(distinct), err)
		}
		if _, seen := out[pdUserID]; !seen { // the first row is the best link
			out[pdUserID] = slackUserID
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("slack users for %d pagerduty users: %w", len(distinct), err)
	}
	return out, nil
}

// DeleteUserLink forgets the Slack user's link, manual or not; it returns an
// error wrapping domain.ErrNotFound if there was none.
func (db *DB) DeleteUserLink(ctx context.Context, slackUserID string) error {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM user_links WHERE slack_user_id = $1`, slackUserID)
	if err != nil {
		return fmt.Errorf("delete user link %s: %w", slackUserID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete user link %s: %w", slackUserID, err)
	} else if n == 0 {
		return fmt.Errorf("delete user link %s: %w", slackUserID, domain.ErrNotFound)
	}
	return nil
}
