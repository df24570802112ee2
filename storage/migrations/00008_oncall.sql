-- +goose Up
-- A channel following a schedule is told at each shift change who is on
-- call, and warned ahead of a gap in the rota.
CREATE TABLE oncall_follows (
    channel_id    TEXT    NOT NULL,
    schedule_id   TEXT    NOT NULL,
    schedule_name TEXT    NOT NULL,
    created_by    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL, -- unix ms
    PRIMARY KEY (channel_id, schedule_id)
) WITHOUT ROWID;

-- Each announcement (a shift change or a gap, per channel) is claimed
-- here before it is posted, so that it is posted once.
CREATE TABLE oncall_announcements (
    key        TEXT    PRIMARY KEY,
    claimed_at INTEGER NOT NULL -- unix ms
) WITHOUT ROWID;

-- The card of a maintenance window created from Slack, kept true when the
-- window is extended or ended, and told when it ends by itself.
CREATE TABLE maintenance_cards (
    window_id   TEXT    PRIMARY KEY,
    channel_id  TEXT    NOT NULL,
    ts          TEXT    NOT NULL,
    services    TEXT    NOT NULL, -- JSON [{"id","name"}]
    description TEXT    NOT NULL,
    created_by  TEXT    NOT NULL, -- Slack user ID
    start_at    INTEGER NOT NULL, -- unix ms
    end_at      INTEGER NOT NULL, -- unix ms
    state       TEXT    NOT NULL DEFAULT 'open', -- open, ended, cancelled
    extended_by TEXT    NOT NULL DEFAULT '',
    ended_by    TEXT    NOT NULL DEFAULT '',  -- '' when it ended by itself
    ended_at    INTEGER NOT NULL DEFAULT 0    -- unix ms
) WITHOUT ROWID;
CREATE INDEX maintenance_cards_open ON maintenance_cards (end_at) WHERE state = 'open';

-- +goose Down
DROP TABLE maintenance_cards;
DROP TABLE oncall_announcements;
DROP TABLE oncall_follows;
