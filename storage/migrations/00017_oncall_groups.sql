-- +goose Up
-- On-call user groups (handlers/oncallgroups): a Slack user group kept
-- equal to who is on call for a schedule (schedule_id) or for one level of
-- an escalation policy (policy_id, level). One tie per user group.
-- members is the comma-separated member set toban last wrote; gap_warned
-- and free_plan_warned make each warning be said once. Times are unix
-- seconds.
CREATE TABLE oncall_groups (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id         TEXT    NOT NULL UNIQUE,
    handle           TEXT    NOT NULL DEFAULT '',
    schedule_id      TEXT    NOT NULL DEFAULT '',
    policy_id        TEXT    NOT NULL DEFAULT '',
    level            INTEGER NOT NULL DEFAULT 0,
    source_name      TEXT    NOT NULL DEFAULT '',
    channel_id       TEXT    NOT NULL,
    created_by       TEXT    NOT NULL DEFAULT '',
    members          TEXT    NOT NULL DEFAULT '',
    gap_warned       INTEGER NOT NULL DEFAULT 0 CHECK (gap_warned IN (0, 1)),
    free_plan_warned INTEGER NOT NULL DEFAULT 0 CHECK (free_plan_warned IN (0, 1)),
    created_at       INTEGER NOT NULL,
    CHECK ((schedule_id = '') <> (policy_id = ''))
);

-- +goose Down
DROP TABLE oncall_groups;
