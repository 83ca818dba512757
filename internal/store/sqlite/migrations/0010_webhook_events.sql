-- Webhook events: each is a row written in the same transaction as the
-- change that causes it, holding only its type and the IDs it concerns;
-- its body is built when it is sent (docs/architecture.md, "Departures
-- from the design": events have their own table, not rows of deliveries).

CREATE TABLE webhook_events (
    id              INTEGER PRIMARY KEY,
    webhook_id      TEXT    NOT NULL UNIQUE, -- the webhook-id header, the same on every retry
    type            TEXT    NOT NULL,
    invitation_id   INTEGER,                 -- no reference: an event outlives an erasure
    user_id         INTEGER,
    state           TEXT    NOT NULL CHECK (state IN ('queued', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER,                 -- a deliverer holds it until then
    claim_token     TEXT,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER
);
-- What deliverers claim: the undelivered, in ID order.
CREATE INDEX webhook_events_queued ON webhook_events (id) WHERE state = 'queued';
-- One invitation's events go in order: an earlier undelivered one holds the later back.
CREATE INDEX webhook_events_by_invitation ON webhook_events (invitation_id, id) WHERE state = 'queued';
CREATE INDEX webhook_events_failed ON webhook_events (id) WHERE state = 'failed';
