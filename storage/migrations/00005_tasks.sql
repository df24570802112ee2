-- +goose Up
-- Scheduled operations tasks: a recurring check or chore that toban posts as
-- a card in a channel when it comes due. rule is scheduler.Rule.Encode().
-- Times are unix milliseconds.
CREATE TABLE tasks (
    id                     TEXT    PRIMARY KEY,
    title                  TEXT    NOT NULL,
    description            TEXT    NOT NULL DEFAULT '',
    channel_id             TEXT    NOT NULL,
    rule                   TEXT    NOT NULL,
    grace_minutes          INTEGER NOT NULL DEFAULT 0 CHECK (grace_minutes BETWEEN 0 AND 1440),
    escalation             TEXT    NOT NULL DEFAULT 'none' CHECK (escalation IN ('none', 'oncall', 'incident')),
    escalation_target_id   TEXT    NOT NULL DEFAULT '', -- PagerDuty schedule (oncall) or service (incident)
    escalation_target_name TEXT    NOT NULL DEFAULT '',
    created_by             TEXT    NOT NULL DEFAULT '', -- Slack user ID
    creator_pd_email       TEXT    NOT NULL DEFAULT '', -- From: of incidents the task triggers
    paused                 INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    source                 TEXT    NOT NULL DEFAULT 'slack', -- slack, import, ics:<feed>
    external_id            TEXT    NOT NULL DEFAULT '',      -- e.g. an ICS UID
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
) WITHOUT ROWID;
-- TasksInChannel, by title.
CREATE INDEX tasks_channel ON tasks (channel_id, title COLLATE NOCASE, id);
-- TaskByExternalID; an external ID names one task per source.
CREATE UNIQUE INDEX tasks_external ON tasks (source, external_id) WHERE external_id <> '';

-- One due time of one task, claimed before its card is posted so that it is
-- posted once, also across restarts: id is task_id || '@' || due.
-- Finished occurrences (done, skipped) outlive their task, for reports, so
-- there is no foreign key. due is unix seconds, every other time unix
-- milliseconds; NULL means "not set".
CREATE TABLE task_occurrences (
    id            TEXT    PRIMARY KEY,
    task_id       TEXT    NOT NULL,
    due           INTEGER NOT NULL,
    late          INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    channel_id    TEXT    NOT NULL,
    ts            TEXT    NOT NULL DEFAULT '', -- the card; empty until posted
    state         TEXT    NOT NULL CHECK (state IN ('claimed', 'posted', 'started', 'done', 'skipped')),
    claimed_at    INTEGER NOT NULL,
    started_by    TEXT    NOT NULL DEFAULT '',
    started_at    INTEGER,
    done_by       TEXT    NOT NULL DEFAULT '',
    done_at       INTEGER,
    skipped_by    TEXT    NOT NULL DEFAULT '',
    skip_reason   TEXT    NOT NULL DEFAULT '',
    skipped_at    INTEGER,
    snoozed_by    TEXT    NOT NULL DEFAULT '',
    snoozed_until INTEGER,
    escalate_at   INTEGER, -- pending escalation deadline
    escalated_at  INTEGER,
    incident_id   TEXT    NOT NULL DEFAULT '',
    UNIQUE (task_id, due) -- also LastFired, LastFiredAll and DeleteTask
) WITHOUT ROWID;
-- NextEscalation: only posted occurrences with a deadline, earliest first.
CREATE INDEX task_occurrences_escalate ON task_occurrences (escalate_at, id)
    WHERE state = 'posted' AND escalate_at IS NOT NULL;
-- UnpostedOccurrences: claimed but never posted (a crash in between).
CREATE INDEX task_occurrences_unposted ON task_occurrences (claimed_at, id) WHERE state = 'claimed';
-- OccurrenceByMessage: a message shows one occurrence.
CREATE UNIQUE INDEX task_occurrences_message ON task_occurrences (channel_id, ts) WHERE ts <> '';
-- OccurrencesForIncident.
CREATE INDEX task_occurrences_incident ON task_occurrences (incident_id, due, id) WHERE incident_id <> '';
-- OccurrencesBetween, for reports.
CREATE INDEX task_occurrences_due ON task_occurrences (due, task_id);

-- +goose Down
DROP TABLE task_occurrences;
DROP TABLE tasks;
