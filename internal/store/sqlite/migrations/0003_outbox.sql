-- The mail outbox: every email is a delivery, written in the same
-- transaction as the change that causes it (docs/architecture.md, "Mail
-- outbox"). "Sent on" is when the invitation was created; last_sent_at
-- becomes the time of the latest delivered email, NULL while none was.

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    invitation_id   INTEGER NOT NULL REFERENCES invitations (id),
    kind            TEXT    NOT NULL,
    link_generation INTEGER NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'superseded')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER,          -- a deliverer holds it until then
    claim_token     TEXT,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
-- What deliverers claim: the undelivered, in ID order.
CREATE INDEX deliveries_undelivered ON deliveries (id) WHERE state IN ('queued', 'failed');
CREATE INDEX deliveries_by_invitation ON deliveries (invitation_id, id);

-- The state of each invitation's latest email, and its last error.
ALTER TABLE invitations ADD COLUMN delivery TEXT NOT NULL DEFAULT 'none'
    CHECK (delivery IN ('none', 'queued', 'sent', 'failed'));
ALTER TABLE invitations ADD COLUMN delivery_error TEXT;
ALTER TABLE invitations ADD COLUMN delivered_at INTEGER;
UPDATE invitations SET delivery = 'sent', delivered_at = last_sent_at WHERE send_count > 0;

-- Sent on is the creation time: its sort index moves to created_at, and
-- the old column gives way to the time of the latest delivered email.
DROP INDEX invitations_by_sent_on;
CREATE INDEX invitations_by_sent_on ON invitations (state, created_at, id, expires_at);
ALTER TABLE invitations DROP COLUMN last_sent_at;
ALTER TABLE invitations RENAME COLUMN delivered_at TO last_sent_at;
