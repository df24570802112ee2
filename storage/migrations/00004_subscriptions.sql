-- +goose Up
-- Which channels show which PagerDuty services' incidents. A service may
-- feed several channels; a channel subscribes to a service once.
CREATE TABLE subscriptions (
    id           INTEGER PRIMARY KEY,
    channel_id   TEXT NOT NULL,
    service_id   TEXT NOT NULL,
    service_name TEXT NOT NULL,
    urgencies    TEXT NOT NULL, -- comma-separated: high,low
    events       TEXT NOT NULL, -- comma-separated thread replies: notes,escalations,reassignments
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL, -- unix seconds
    UNIQUE (channel_id, service_id)
);
CREATE INDEX subscriptions_service ON subscriptions (service_id);

-- +goose Down
DROP TABLE subscriptions;
