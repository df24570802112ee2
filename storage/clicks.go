package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/tobanbot/toban/domain"
)

// FirstClick records that the interaction identified by key is being acted
// on and reports whether this is the first time; a redelivery or a second
// submission with the same key returns false, also across restarts. The key
// is the caller's: "view:"+view.ID for a modal submission; for a button,
// something that is equal for a double click but not for a later,
// deliberate click, e.g. channel, message ts, action_id and the card
// Version the button was rendered with. An empty key is refused with an
// error wrapping domain.ErrInvalid.
func (db *DB) FirstClick(ctx context.Context, key string) (bool, error) {
	if key == "" {
		// An empty key would make every later click a duplicate.
		return false, fmt.Errorf("record click: %w", domain.Invalid("empty click key"))
	}
	res, err := db.sql.ExecContext(ctx,
		`INSERT INTO processed_clicks (click_key, clicked_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		key, db.now().Unix())
	if err != nil {
		return false, fmt.Errorf("record click %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record click %s: %w", key, err)
	}
	return n == 1, nil
}

// ForgetClicksBefore deletes click records older than t and returns how many
// it deleted. A day of history is plenty.
func (db *DB) ForgetClicksBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM processed_clicks WHERE clicked_at < $1`, t.Unix())
	if err != nil {
		return 0, fmt.Errorf("prune clicks: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune clicks: %w", err)
	}
	return n, nil
}
