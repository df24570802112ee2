-- +goose Up
-- Slack redelivers events_api envelopes that were not acked in time; the
-- event_id makes the second delivery a no-op, even across restarts.
CREATE TABLE processed_events (
    event_id    TEXT PRIMARY KEY,
    received_at INTEGER NOT NULL -- unix seconds
) WITHOUT ROWID;
CREATE INDEX processed_events_received_at ON processed_events (received_at);

-- One row, rewritten by readiness probes to prove the database is writable.
CREATE TABLE heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE heartbeat;
DROP TABLE processed_events;
