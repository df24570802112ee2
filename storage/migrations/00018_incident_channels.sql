-- +goose Up
-- Incident channels (handlers/incidentchannels): one Slack channel per
-- incident. The row is claimed (channel_id '') before the channel is
-- created, so that a double click or a second replica links to the first
-- channel instead of creating another; claimed_at lets a claim left empty
-- by a replica that died be taken over. resolved_at starts the archive
-- countdown and archived_at says it was done. Times are unix
-- milliseconds; 0 means not yet.
CREATE TABLE incident_channels (
    incident_id TEXT PRIMARY KEY,
    channel_id  TEXT    NOT NULL DEFAULT '',
    name        TEXT    NOT NULL DEFAULT '',
    opened_by   TEXT    NOT NULL DEFAULT '',
    claimed_at  INTEGER NOT NULL,
    resolved_at INTEGER NOT NULL DEFAULT 0,
    archived_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX incident_channels_resolved ON incident_channels (resolved_at);

-- +goose Down
DROP TABLE incident_channels;
