-- +goose Up
-- Runbook action runs (runbook package): one row per run of a declared
-- action for an incident. At most one run of an action per incident is
-- running at a time (the partial unique index). A run whose deadline
-- (start + the action's timeout) has passed while still 'running' was cut
-- short by a restart: InterruptStaleRunbookRuns marks it 'interrupted',
-- and it is never run again by itself. Times are unix milliseconds.
CREATE TABLE runbook_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    run_by      TEXT    NOT NULL DEFAULT '', -- Slack user ID; empty when toban ran it by itself
    status      TEXT    NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'timeout', 'error', 'interrupted')),
    summary     TEXT    NOT NULL DEFAULT '',
    output      TEXT    NOT NULL DEFAULT '',
    truncated   INTEGER NOT NULL DEFAULT 0 CHECK (truncated IN (0, 1)),
    channel_id  TEXT    NOT NULL DEFAULT '', -- where the run is told
    thread_ts   TEXT    NOT NULL DEFAULT '',
    started_at  INTEGER NOT NULL,
    deadline    INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE UNIQUE INDEX runbook_runs_one_running ON runbook_runs (incident_id, action) WHERE status = 'running';
CREATE INDEX runbook_runs_incident ON runbook_runs (incident_id, id);
CREATE INDEX runbook_runs_action ON runbook_runs (action, id);

-- +goose Down
DROP TABLE runbook_runs;
