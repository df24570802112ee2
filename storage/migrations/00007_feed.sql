-- +goose Up
-- A feed card is claimed before it is posted, so that after a crash
-- between the post and recording it, the card is looked for in Slack
-- (by its metadata) instead of posted twice.
CREATE TABLE feed_claims (
    incident_id TEXT    NOT NULL,
    channel_id  TEXT    NOT NULL,
    claimed_at  INTEGER NOT NULL, -- unix ms
    PRIMARY KEY (incident_id, channel_id)
) WITHOUT ROWID;

-- During an alert storm, incidents beyond the channel's budget are rolled
-- into one digest card per channel and service.
CREATE TABLE digests (
    id           INTEGER PRIMARY KEY,
    channel_id   TEXT    NOT NULL,
    service_id   TEXT    NOT NULL,
    service_name TEXT    NOT NULL,
    started_at   INTEGER NOT NULL, -- unix ms
    ts           TEXT    NOT NULL DEFAULT '', -- '' until posted
    version      INTEGER NOT NULL DEFAULT 1,
    rendered     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX digests_open ON digests (channel_id, service_id, started_at);
CREATE INDEX digests_dirty ON digests (id) WHERE version > rendered;

CREATE TABLE digest_members (
    digest_id   INTEGER NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
    incident_id TEXT    NOT NULL,
    number      INTEGER NOT NULL,
    title       TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    added_at    INTEGER NOT NULL, -- unix ms
    PRIMARY KEY (digest_id, incident_id)
) WITHOUT ROWID;
CREATE INDEX digest_members_incident ON digest_members (incident_id);

-- +goose Down
DROP TABLE digest_members;
DROP TABLE digests;
DROP TABLE feed_claims;
