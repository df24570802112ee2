-- +goose Up
-- An occurrence can be started from its card before its ts is recorded,
-- so "unposted" means no ts, whatever the state.
DROP INDEX task_occurrences_unposted;
CREATE INDEX task_occurrences_unposted ON task_occurrences (claimed_at, id) WHERE ts = '';

-- +goose Down
DROP INDEX task_occurrences_unposted;
CREATE INDEX task_occurrences_unposted ON task_occurrences (claimed_at, id) WHERE state = 'claimed';
