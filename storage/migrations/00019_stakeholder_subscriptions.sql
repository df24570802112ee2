-- +goose Up
-- A stakeholders' subscription (stakeholders = 1) gives its channel the
-- status updates of the service's incidents instead of cards.
ALTER TABLE subscriptions ADD COLUMN stakeholders INTEGER NOT NULL DEFAULT 0 CHECK (stakeholders IN (0, 1));

-- +goose Down
ALTER TABLE subscriptions DROP COLUMN stakeholders;
