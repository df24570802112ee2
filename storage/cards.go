package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tobanbot/toban/domain"
)

const cardColumns = `incident_id, channel_id, ts, thread_ts, version, rendered, dirty_since, created_at, updated_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanCard(r rowScanner) (domain.Card, error) {
	var c domain.Card
	var dirty sql.NullInt64
	var created, updated int64
	if err := r.Scan(&c.IncidentID, &c.ChannelID, &c.TS, &c.ThreadTS, &c.Version, &c.Rendered, &dirty, &created, &updated); err != nil {
		return domain.Card{}, err
	}
	if dirty.Valid {
		c.DirtySince = fromMillis(dirty.Int64)
	}
	c.CreatedAt, c.UpdatedAt = fromMillis(created), fromMillis(updated)
	return c, nil
}

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// SaveCard records a newly posted card. CreatedAt, UpdatedAt and DirtySince
// are set from the database clock. Zero Version and Rendered mean the message
// is up to date; a Version above Rendered saves it stale, so that the retry
// loop renders it once more.
//
// If the incident already has a card in the channel, the first one is kept
// and SaveCard returns an error wrapping domain.ErrCardExists: the caller should
// delete or abandon the message it just posted and use CardIn instead.
func (db *DB) SaveCard(ctx context.Context, c domain.Card) error {
	id := c.IncidentID + " in " + c.ChannelID
	if err := c.Validate(); err != nil {
		return fmt.Errorf("save card %s: %w", id, err)
	}
	now := db.now().UnixMilli()
	var dirty sql.NullInt64
	if c.Dirty() {
		dirty = sql.NullInt64{Int64: now, Valid: true}
	}
	res, err := db.sql.ExecContext(ctx,
		`INSERT INTO incident_cards (`+cardColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		 ON CONFLICT (incident_id, channel_id) DO NOTHING`,
		c.IncidentID, c.ChannelID, c.TS, c.ThreadTS, c.Version, c.Rendered, dirty, now, now)
	if err != nil {
		return fmt.Errorf("save card %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("save card %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("save card %s: %w", id, domain.ErrCardExists)
	}
	return nil
}

// CardIn returns the incident's card in the channel.
func (db *DB) CardIn(ctx context.Context, incidentID, channelID string) (domain.Card, error) {
	c, err := scanCard(db.sql.QueryRowContext(ctx,
		`SELECT `+cardColumns+` FROM incident_cards WHERE incident_id = $1 AND channel_id = $2`,
		incidentID, channelID))
	if errors.Is(err, sql.ErrNoRows) {
		err = domain.ErrNotFound
	}
	if err != nil {
		return domain.Card{}, fmt.Errorf("card %s in %s: %w", incidentID, channelID, err)
	}
	return c, nil
}

// CardByMessage returns the card shown by the message ts in the channel,
// for example the one whose button was clicked.
func (db *DB) CardByMessage(ctx context.Context, channelID, ts string) (domain.Card, error) {
	c, err := scanCard(db.sql.QueryRowContext(ctx,
		`SELECT `+cardColumns+` FROM incident_cards WHERE channel_id = $1 AND ts = $2`,
		channelID, ts))
	if errors.Is(err, sql.ErrNoRows) {
		err = domain.ErrNotFound
	}
	if err != nil {
		return domain.Card{}, fmt.Errorf("card for message %s in %s: %w", ts, channelID, err)
	}
	return c, nil
}

// CardsForIncident returns the incident's cards, oldest first; none is not
// an error.
func (db *DB) CardsForIncident(ctx context.Context, incidentID string) ([]domain.Card, error) {
	got, err := db.CardsForIncidents(ctx, []string{incidentID})
	if err != nil {
		return nil, err
	}
	return got[incidentID], nil
}

// CardsForIncidents is CardsForIncident for several incidents in one
// query; an incident without cards is missing from the map.
func (db *DB) CardsForIncidents(ctx context.Context, incidentIDs []string) (map[string][]domain.Card, error) {
	out := make(map[string][]domain.Card, len(incidentIDs))
	if len(incidentIDs) == 0 {
		return out, nil
	}
	args := anySlice(incidentIDs)
	cards, err := db.queryCards(ctx,
		`SELECT `+cardColumns+` FROM incident_cards WHERE incident_id IN (`+placeholderList(1, len(args))+`)
		 ORDER BY created_at, channel_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("cards for %d incidents: %w", len(args), err)
	}
	for _, c := range cards {
		out[c.IncidentID] = append(out[c.IncidentID], c)
	}
	return out, nil
}

// DirtyCards returns up to limit stale cards (Version > Rendered), the one
// stale longest first; limit <= 0 means all. Ties are broken by UpdatedAt.
func (db *DB) DirtyCards(ctx context.Context, limit int) ([]domain.Card, error) {
	n := int64(limit)
	if n <= 0 {
		n = math.MaxInt64 // no limit, in words both engines accept
	}
	cards, err := db.queryCards(ctx,
		`SELECT `+cardColumns+` FROM incident_cards WHERE version > rendered
		 ORDER BY dirty_since, updated_at, incident_id, channel_id LIMIT $1`,
		n)
	if err != nil {
		return nil, fmt.Errorf("dirty cards: %w", err)
	}
	return cards, nil
}

func (db *DB) queryCards(ctx context.Context, query string, args ...any) ([]domain.Card, error) {
	return queryRows(ctx, db.sql, scanCard, query, args...)
}

// MarkCardDirty records that every card of the incident must be re-rendered,
// by bumping each one's Version. An incident without cards is not an error.
//
// Call it before reading the incident to render it: a render of the state
// read after the bump, recorded with MarkCardRendered(version read), then
// never hides a later change.
func (db *DB) MarkCardDirty(ctx context.Context, incidentID string) error {
	_, err := db.MarkCardsDirty(ctx, incidentID)
	return err
}

// MarkCardsDirty is MarkCardDirty that also returns the incident's cards
// as it left them, in CardsForIncident's order: a click re-renders them
// at once, and saves a read on its path.
func (db *DB) MarkCardsDirty(ctx context.Context, incidentID string) ([]domain.Card, error) {
	now := db.now().UnixMilli()
	cards, err := db.queryCards(ctx,
		`UPDATE incident_cards SET
		   version = version + 1,
		   updated_at = $1,
		   dirty_since = CASE WHEN version > rendered AND dirty_since IS NOT NULL THEN dirty_since ELSE $2 END
		 WHERE incident_id = $3
		 RETURNING `+cardColumns,
		now, now, incidentID)
	if err != nil {
		return nil, fmt.Errorf("mark cards of %s dirty: %w", incidentID, err)
	}
	slices.SortFunc(cards, func(a, b domain.Card) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ChannelID, b.ChannelID)
	})
	return cards, nil
}

// MarkCardRendered records that Slack now shows version of the card: Rendered
// becomes max(Rendered, version), so a late report of an older render never
// undoes a newer one, and the card stays dirty if MarkCardDirty ran since
// version was read. A version above the card's Version is refused with an
// error wrapping domain.ErrInvalid (the card was probably deleted and saved
// again meanwhile).
func (db *DB) MarkCardRendered(ctx context.Context, incidentID, channelID string, version int64) error {
	id := incidentID + " in " + channelID
	if version < 0 {
		return fmt.Errorf("mark card %s rendered: %w", id, domain.Invalid("negative version %d", version))
	}
	now := db.now().UnixMilli()
	res, err := db.sql.ExecContext(ctx,
		`UPDATE incident_cards SET
		   updated_at = CASE WHEN $1 > rendered THEN $2 ELSE updated_at END,
		   dirty_since = CASE WHEN $1 >= version OR rendered >= version THEN NULL ELSE dirty_since END,
		   rendered = CASE WHEN $1 > rendered THEN $1 ELSE rendered END
		 WHERE incident_id = $3 AND channel_id = $4 AND version >= $1`,
		version, now, incidentID, channelID)
	if err != nil {
		return fmt.Errorf("mark card %s rendered: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("mark card %s rendered: %w", id, err)
	}
	if n == 1 {
		return nil
	}
	// Nothing changed: say why.
	var current int64
	err = db.sql.QueryRowContext(ctx,
		`SELECT version FROM incident_cards WHERE incident_id = $1 AND channel_id = $2`,
		incidentID, channelID).Scan(&current)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("mark card %s rendered: %w", id, domain.ErrNotFound)
	case err != nil:
		return fmt.Errorf("mark card %s rendered: %w", id, err)
	}
	return fmt.Errorf("mark card %s rendered: %w", id, domain.Invalid("version %d is newer than the card's %d", version, current))
}

// DeleteCard forgets the incident's card in the channel, for when its message
// was deleted or can no longer be updated (message_not_found,
// channel_not_found, not_in_channel), so that the retry loop stops trying.
func (db *DB) DeleteCard(ctx context.Context, incidentID, channelID string) error {
	res, err := db.sql.ExecContext(ctx,
		`DELETE FROM incident_cards WHERE incident_id = $1 AND channel_id = $2`, incidentID, channelID)
	if err != nil {
		return fmt.Errorf("delete card %s in %s: %w", incidentID, channelID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete card %s in %s: %w", incidentID, channelID, err)
	} else if n == 0 {
		return fmt.Errorf("delete card %s in %s: %w", incidentID, channelID, domain.ErrNotFound)
	}
	return nil
}
