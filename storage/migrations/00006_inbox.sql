-- +goose Up
-- The durable inbox of PagerDuty incident events (webhooks and the log
-- entry poller). An event is stored before the webhook is answered and is
-- processed later, in arrival order (seq). event_id makes a redelivery, or
-- the poller seeing an entry again, a no-op. Times are unix milliseconds.
CREATE TABLE incident_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused
    event_id     TEXT    NOT NULL UNIQUE,
    incident_id  TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    source       TEXT    NOT NULL DEFAULT '',       -- "webhook" or "poller"
    webhook_id   TEXT    NOT NULL DEFAULT '',       -- X-Webhook-Id of the first delivery
    payload      TEXT    NOT NULL,                  -- the domain.IncidentEvent as JSON
    occurred_at  INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,        -- failed processing attempts
    retry_at     INTEGER,                           -- not before; NULL when never failed
    processed_at INTEGER                            -- NULL while pending
);
-- PendingEvents: the unprocessed events by seq, and per incident.
CREATE INDEX incident_events_pending ON incident_events (seq) WHERE processed_at IS NULL;
CREATE INDEX incident_events_pending_incident ON incident_events (incident_id, seq) WHERE processed_at IS NULL;
-- LatestOccurred: the newest processed event of an incident.
CREATE INDEX incident_events_incident ON incident_events (incident_id, occurred_at) WHERE processed_at IS NOT NULL;
-- ForgetEventsBefore.
CREATE INDEX incident_events_processed ON incident_events (processed_at) WHERE processed_at IS NOT NULL;

-- Small named values that must survive restarts, e.g. the poller's cursor.
CREATE TABLE cursors (
    name       TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL -- unix milliseconds
) WITHOUT ROWID;

-- +goose Down
DROP TABLE cursors;
DROP TABLE incident_events;
