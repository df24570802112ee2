-- +goose Up
-- Scheduled incident reports: /toban report schedule posts a report in a
-- channel when rule (scheduler.Rule.Encode(), weekly) comes due. services
-- is a JSON array of {"id","name"}; empty means the channel's subscribed
-- services at run time, else all. Times are unix milliseconds.
CREATE TABLE report_schedules (
    id             TEXT    PRIMARY KEY,
    channel_id     TEXT    NOT NULL,
    period         TEXT    NOT NULL CHECK (period IN ('last-week', 'last-month')),
    services       TEXT    NOT NULL DEFAULT '[]',
    rule           TEXT    NOT NULL,
    with_incidents INTEGER NOT NULL DEFAULT 0 CHECK (with_incidents IN (0, 1)),
    created_by     TEXT    NOT NULL DEFAULT '', -- Slack user ID
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) WITHOUT ROWID;
-- ReportSchedulesInChannel, oldest first.
CREATE INDEX report_schedules_channel ON report_schedules (channel_id, created_at, id);

-- One due time of one scheduled report, claimed before the report is
-- posted so that it is posted once, also across restarts: id is
-- schedule_id || '@' || due. DeleteReportSchedule deletes its runs. due is
-- unix seconds, other times unix milliseconds.
CREATE TABLE report_runs (
    id          TEXT    PRIMARY KEY,
    schedule_id TEXT    NOT NULL,
    due         INTEGER NOT NULL,
    channel_id  TEXT    NOT NULL,
    ts          TEXT    NOT NULL DEFAULT '', -- the report message; empty until posted
    claimed_at  INTEGER NOT NULL,
    posted_at   INTEGER,
    UNIQUE (schedule_id, due) -- also LastReportRun and LastReportRunAll
) WITHOUT ROWID;

-- +goose Down
DROP TABLE report_runs;
DROP TABLE report_schedules;
