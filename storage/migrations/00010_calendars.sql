-- +goose Up
-- ICS calendar feeds attached to a channel: each upcoming event becomes a
-- one-off task with source 'ics:' || id. url is a secret (a Google Calendar
-- secret address): it is never logged and only its host is shown. body is
-- the last calendar fetched, kept so that a "304 Not Modified" answer can
-- still be expanded as time moves on. Times are unix milliseconds; NULL
-- means "never".
CREATE TABLE calendars (
    id                     TEXT    PRIMARY KEY,
    channel_id             TEXT    NOT NULL,
    url                    TEXT    NOT NULL,
    all_day_at             TEXT    NOT NULL DEFAULT '09:00', -- HH:MM for all-day events
    grace_minutes          INTEGER NOT NULL DEFAULT 15 CHECK (grace_minutes BETWEEN 0 AND 1440),
    escalation             TEXT    NOT NULL DEFAULT 'none' CHECK (escalation IN ('none', 'oncall', 'incident')),
    escalation_target_id   TEXT    NOT NULL DEFAULT '',
    escalation_target_name TEXT    NOT NULL DEFAULT '',
    created_by             TEXT    NOT NULL DEFAULT '', -- Slack user ID
    creator_pd_email       TEXT    NOT NULL DEFAULT '', -- From: of incidents its tasks trigger
    created_at             INTEGER NOT NULL,
    last_fetched           INTEGER,
    etag                   TEXT    NOT NULL DEFAULT '',
    last_modified          TEXT    NOT NULL DEFAULT '',
    body                   BLOB,
    body_sha256            TEXT    NOT NULL DEFAULT '',
    last_error             TEXT    NOT NULL DEFAULT '', -- '' while the feed is healthy
    failing_since          INTEGER
);
-- CalendarsInChannel; a calendar is attached to a channel once.
CREATE UNIQUE INDEX calendars_channel_url ON calendars (channel_id, url);

-- +goose Down
DROP TABLE calendars;
