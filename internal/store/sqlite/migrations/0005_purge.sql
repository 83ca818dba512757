-- Purging (`invitectl purge`, `users delete`): an invitation whose personal
-- data was erased is in state 'purged'; purged_from keeps the status it had
-- (accepted, revoked, expired) and purged_at when, for counting. 0001's
-- CHECK on state cannot be altered in SQLite, so the table is rebuilt: its
-- rows are copied aside, the table is dropped and created again with the
-- new CHECK, and the rows are copied back with the same IDs. Foreign keys
-- of users, audit_events and deliveries point at invitations by name and
-- so find the new table. They are checked at commit (defer_foreign_keys):
-- the drop orphans those rows, the copy back adopts them again. The search
-- index (0004) keeps its entries, which are the same rows' under the same
-- IDs; its triggers go with the old table and are created again.

PRAGMA defer_foreign_keys = ON;

CREATE TABLE invitations_0005 AS SELECT * FROM invitations;
DROP TABLE invitations;

CREATE TABLE invitations (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER NOT NULL REFERENCES customers (id),
    customer_key    BLOB    NOT NULL, -- the customer's sort_key, copied so sorting by customer needs no join
    email           TEXT    NOT NULL, -- '' once purged
    email_key       TEXT    NOT NULL, -- lower-cased, trimmed email
    first_name      TEXT    NOT NULL,
    first_name_key  BLOB    NOT NULL,
    last_name       TEXT    NOT NULL,
    last_name_key   BLOB    NOT NULL,
    search_text     TEXT    NOT NULL, -- lower-cased first name, last name and email, one per line
    swedish_citizen INTEGER,          -- 1 yes, 0 no, NULL unset
    eu_eea_citizen  INTEGER,
    personal_number TEXT,
    lma_number      TEXT,
    phone           TEXT,
    gender          TEXT,
    language        TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'accepted', 'revoked', 'purged')),
    link_generation INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    created_by      TEXT,
    send_count      INTEGER NOT NULL,
    accepted_at     INTEGER,
    revoked_at      INTEGER,
    version         INTEGER NOT NULL,
    delivery        TEXT    NOT NULL DEFAULT 'none' CHECK (delivery IN ('none', 'queued', 'sent', 'failed')),
    delivery_error  TEXT,
    last_sent_at    INTEGER,
    purged_from     TEXT    CHECK (purged_from IN ('accepted', 'revoked', 'expired')),
    purged_at       INTEGER
);

INSERT INTO invitations (id, customer_id, customer_key, email, email_key, first_name, first_name_key,
    last_name, last_name_key, search_text, swedish_citizen, eu_eea_citizen, personal_number, lma_number,
    phone, gender, language, state, link_generation, expires_at, created_at, created_by, send_count,
    accepted_at, revoked_at, version, delivery, delivery_error, last_sent_at)
SELECT id, customer_id, customer_key, email, email_key, first_name, first_name_key,
    last_name, last_name_key, search_text, swedish_citizen, eu_eea_citizen, personal_number, lma_number,
    phone, gender, language, state, link_generation, expires_at, created_at, created_by, send_count,
    accepted_at, revoked_at, version, delivery, delivery_error, last_sent_at
FROM invitations_0005 ORDER BY id;
DROP TABLE invitations_0005;

CREATE INDEX invitations_by_customer   ON invitations (state, customer_key, id, expires_at);
CREATE INDEX invitations_by_first_name ON invitations (state, first_name_key, id, expires_at);
CREATE INDEX invitations_by_last_name  ON invitations (state, last_name_key, id, expires_at);
CREATE INDEX invitations_by_email      ON invitations (state, email_key, id, expires_at);
CREATE INDEX invitations_by_sent_on    ON invitations (state, created_at, id, expires_at);
CREATE INDEX invitations_by_expiry     ON invitations (state, expires_at);
CREATE UNIQUE INDEX invitations_open_email ON invitations (email_key) WHERE state = 'pending';

CREATE TRIGGER invitations_search_insert AFTER INSERT ON invitations BEGIN
    INSERT INTO invitations_search (rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE TRIGGER invitations_search_delete AFTER DELETE ON invitations BEGIN
    INSERT INTO invitations_search (invitations_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;

CREATE TRIGGER invitations_search_update AFTER UPDATE OF id, search_text ON invitations BEGIN
    INSERT INTO invitations_search (invitations_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO invitations_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
