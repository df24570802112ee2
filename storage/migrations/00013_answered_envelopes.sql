-- +goose Up
-- Socket Mode redelivers a slash command or interactive envelope whose ack
-- Slack did not see, with the same envelope_id and retry_attempt 1. The
-- first delivery's handler already ran (and may have posted), so a
-- redelivery must not run it again; it is acked with the answer recorded
-- here, which Slack never received.
CREATE TABLE answered_envelopes (
    envelope_id TEXT PRIMARY KEY,
    received_at INTEGER NOT NULL, -- unix seconds
    ack_payload TEXT              -- JSON of the ack's payload; NULL when it had none
) WITHOUT ROWID;
CREATE INDEX answered_envelopes_received_at ON answered_envelopes (received_at);

-- +goose Down
DROP TABLE answered_envelopes;
