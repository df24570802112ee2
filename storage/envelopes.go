package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// RecordEnvelope remembers that the Socket Mode envelope envelopeID was
// answered, with the JSON payload of its ack (nil for none), so that a
// redelivery after a restart is answered the same way and not handled
// again.
func (db *DB) RecordEnvelope(ctx context.Context, envelopeID string, ack []byte) error {
	var payload any
	if ack != nil {
		payload = string(ack)
	}
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO answered_envelopes (envelope_id, received_at, ack_payload) VALUES ($1, $2, $3)
		 ON CONFLICT (envelope_id) DO UPDATE SET ack_payload = excluded.ack_payload`,
		envelopeID, db.now().Unix(), payload)
	if err != nil {
		return fmt.Errorf("record envelope %s: %w", envelopeID, err)
	}
	return nil
}

// EnvelopeAnswer reports whether envelopeID was answered and with which
// ack payload (nil when the ack carried none).
func (db *DB) EnvelopeAnswer(ctx context.Context, envelopeID string) (found bool, ack []byte, err error) {
	var payload sql.NullString
	err = db.sql.QueryRowContext(ctx,
		`SELECT ack_payload FROM answered_envelopes WHERE envelope_id = $1`, envelopeID).Scan(&payload)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil, nil
	case err != nil:
		return false, nil, fmt.Errorf("read envelope %s: %w", envelopeID, err)
	}
	if payload.Valid {
		ack = []byte(payload.String)
	}
	return true, ack, nil
}
