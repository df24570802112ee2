-- +goose Up
-- Leader leases: of several replicas, only the holder of a lease runs the
-- singleton it names (the PagerDuty poller, calendar refresh, …). A lease
-- is taken over only once expires_at has passed, so a replica that dies
-- holding one blocks the others for at most its TTL. epoch grows on every
-- acquisition and is never reset (a release only expires the row), so it
-- works as a fencing token: a holder that lost the lease cannot renew it.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    epoch       INTEGER NOT NULL,
    acquired_at INTEGER NOT NULL, -- unix milliseconds
    expires_at  INTEGER NOT NULL, -- unix milliseconds; 0 once released
    taken_over  INTEGER NOT NULL  -- 1 when this tenure began by taking an expired, unreleased lease from another holder
) WITHOUT ROWID;

-- A change counter per topic ("tasks", …): a replica that changes what the
-- topic names bumps it, and the others, polling it on SQLite or told by
-- NOTIFY on PostgreSQL, reload.
CREATE TABLE change_topics (
    topic   TEXT PRIMARY KEY,
    version INTEGER NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE change_topics;
DROP TABLE leases;
