-- +goose Up
-- The Slack message that shows a PagerDuty incident in one channel. version
-- is bumped whenever the incident changes; rendered is the version last
-- written to Slack, so version > rendered means "chat.update still owed",
-- which survives restarts and failed calls. Times are unix milliseconds so
-- that the retry queue is first in, first out within a second.
CREATE TABLE incident_cards (
    incident_id TEXT    NOT NULL,
    channel_id  TEXT    NOT NULL,
    ts          TEXT    NOT NULL,
    thread_ts   TEXT    NOT NULL DEFAULT '', -- empty for a top-level message
    version     INTEGER NOT NULL DEFAULT 0,
    rendered    INTEGER NOT NULL DEFAULT 0 CHECK (rendered <= version),
    dirty_since INTEGER,                     -- when it went stale; NULL when up to date
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (incident_id, channel_id)
) WITHOUT ROWID;
-- CardByMessage: a message shows one incident.
CREATE UNIQUE INDEX incident_cards_message ON incident_cards (channel_id, ts);
-- DirtyCards: only the stale cards, oldest first.
CREATE INDEX incident_cards_dirty ON incident_cards (dirty_since, updated_at) WHERE version > rendered;

-- Who did what to an incident through toban, shown on its cards.
CREATE TABLE incident_activity (
    id            INTEGER PRIMARY KEY,
    incident_id   TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    slack_user_id TEXT    NOT NULL DEFAULT '',
    pd_user_id    TEXT    NOT NULL DEFAULT '',
    detail        TEXT    NOT NULL DEFAULT '',
    at            INTEGER NOT NULL -- unix milliseconds
);
CREATE INDEX incident_activity_incident ON incident_activity (incident_id, at, id);

-- Slack user -> PagerDuty user, looked up by email (expires) or set by hand
-- with /toban link (manual = 1, never expires).
CREATE TABLE user_links (
    slack_user_id TEXT    PRIMARY KEY,
    pd_user_id    TEXT    NOT NULL,
    pd_name       TEXT    NOT NULL DEFAULT '',
    email         TEXT    NOT NULL DEFAULT '',
    manual        INTEGER NOT NULL DEFAULT 0 CHECK (manual IN (0, 1)),
    checked_at    INTEGER NOT NULL -- unix seconds
) WITHOUT ROWID;
CREATE INDEX user_links_pd_user ON user_links (pd_user_id);

-- A redelivered or double-submitted interaction acts once.
CREATE TABLE processed_clicks (
    click_key  TEXT    PRIMARY KEY,
    clicked_at INTEGER NOT NULL -- unix seconds
) WITHOUT ROWID;
CREATE INDEX processed_clicks_clicked_at ON processed_clicks (clicked_at);

-- +goose Down
DROP TABLE processed_clicks;
DROP TABLE user_links;
DROP TABLE incident_activity;
DROP TABLE incident_cards;
