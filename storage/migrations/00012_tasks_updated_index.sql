-- +goose Up
-- TasksVersion reads MAX(updated_at) every reload interval.
CREATE INDEX tasks_updated_at ON tasks (updated_at);

-- +goose Down
DROP INDEX tasks_updated_at;
