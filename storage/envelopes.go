package storage

import (
	"context"
	"database/sql"
	"fmt"
)

// FirstEnvelope records that the Socket Mode envelope envelopeID is being
// answered and reports whether this is its first delivery. For a
// redelivery it returns the ack payload recorded by RecordEnvelopeAck (nil
// if the first delivery's ack had none or is not decided yet).
func (db *DB) FirstEnvelope(ctx context.Context, envelopeID string) (first bool, ack []byte, err error) {
	res, err := db.sql.ExecContext(ctx,
		`INSERT INTO answered_envelopes (envelope_id, received_at) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		envelopeID, db.now().Unix())
	if err != nil {
		return false, nil, fmt.Errorf("record envelope %s: %w", envelopeID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, nil, fmt.Errorf("record envelope %s: %w", envelopeID, err)
	}
	if n == 1 {
		return true, nil, nil
	}
	var payload sql.NullString
	err = db.sql.QueryRowContext(ctx,
		`SELECT ack_payload FROM answered_envelopes WHERE envelope_id = ?`, envelopeID).Scan(&payload)
	if err != nil {
		return false, nil, fmt.Errorf("read envelope %s: %w", envelopeID, err)
	}
	if payload.Valid {
		ack = []byte(payload.String)
	}
	return false, ack, nil
}

// RecordEnvelopeAck keeps the JSON ack payload of an envelope recorded by
// FirstEnvelope, so that a redelivery is answered with the same message.
func (db *DB) RecordEnvelopeAck(ctx context.Context, envelopeID string, payload []byte) error {
	_, err := db.sql.ExecContext(ctx,
		`UPDATE answered_envelopes SET ack_payload = ? WHERE envelope_id = ?`, string(payload), envelopeID)
	if err != nil {
		return fmt.Errorf("record ack of envelope %s: %w", envelopeID, err)
	}
	return nil
}
