-- +goose Up
-- Who opened toban's App Home (handlers/home): the Home loop re-publishes
-- the Homes of recent viewers when incidents, on-call or tasks change.
-- zone is the IANA zone of the person's Slack profile ('' unknown); hash
-- identifies the view last published, so an unchanged view is not sent
-- again by any replica. Times are unix seconds.
CREATE TABLE home_viewers (
    user_id      TEXT    NOT NULL PRIMARY KEY,
    zone         TEXT    NOT NULL DEFAULT '',
    opened_at    INTEGER NOT NULL,
    hash         TEXT    NOT NULL DEFAULT '',
    published_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX home_viewers_opened ON home_viewers (opened_at);
-- The Home lists a person's own tasks (TasksCreatedBy).
CREATE INDEX tasks_created_by ON tasks (created_by);

-- +goose Down
DROP INDEX tasks_created_by;
DROP TABLE home_viewers;
