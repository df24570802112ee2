-- +goose Up
-- Claims on inbox events, so that of several replicas one processes each
-- event: claimed_by names the replica and claim_until (unix milliseconds)
-- ends its lease; an event whose lease has passed unprocessed (its
-- replica died) is claimed again by another.
ALTER TABLE incident_events ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE incident_events ADD COLUMN claim_until INTEGER NOT NULL DEFAULT 0;

-- The same on task occurrences between claim and post: the replica posting
-- the card holds it; others leave it alone until the claim lapses. Rows
-- from before have no live claim, so a restart recovers them at once.
ALTER TABLE task_occurrences ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE task_occurrences ADD COLUMN claim_until INTEGER NOT NULL DEFAULT 0;

-- Slack pacing shared by the replicas: one row per key (a channel's
-- posts, or chat.update). tat is the theoretical arrival time of the next
-- write (GCRA) and paused_until the end of the latest Retry-After, both
-- unix milliseconds of wall time.
CREATE TABLE slack_pacing (
    key          TEXT PRIMARY KEY,
    tat          INTEGER NOT NULL,
    paused_until INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Storm control counted across replicas: an incident given a card of its
-- own in a channel takes a slot there; once a window holds the storm
-- threshold's worth of slots, further incidents go to the digest.
CREATE TABLE storm_slots (
    channel_id  TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    at          INTEGER NOT NULL, -- unix milliseconds
    PRIMARY KEY (channel_id, incident_id)
) WITHOUT ROWID;
CREATE INDEX storm_slots_at ON storm_slots (channel_id, at);

-- +goose Down
DROP TABLE storm_slots;
DROP TABLE slack_pacing;
ALTER TABLE task_occurrences DROP COLUMN claim_until;
ALTER TABLE task_occurrences DROP COLUMN claimed_by;
ALTER TABLE incident_events DROP COLUMN claim_until;
ALTER TABLE incident_events DROP COLUMN claimed_by;
