-- Times are INTEGER unix microseconds in UTC. Columns ending in _key hold
-- sort or comparison keys computed in Go (invite.SortKey, invite.EmailKey), so
-- ordering is a plain byte comparison and needs no database collation.

CREATE TABLE customers (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    name_key   TEXT    NOT NULL UNIQUE, -- lower-cased name: names are unique ignoring case
    -- Swedish collation key of name. Unique too: names that differ only in
    -- ways the collation ignores (case, width, canonically equivalent
    -- accents) are the same name, and invitations find their customer's
    -- rows by this key.
    sort_key   BLOB    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE invitations (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER NOT NULL REFERENCES customers (id),
    customer_key    BLOB    NOT NULL, -- the customer's sort_key, copied so sorting by customer needs no join
    email           TEXT    NOT NULL,
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
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'accepted', 'revoked')),
    link_generation INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    created_by      TEXT,
    last_sent_at    INTEGER NOT NULL,
    send_count      INTEGER NOT NULL,
    accepted_at     INTEGER,
    revoked_at      INTEGER,
    version         INTEGER NOT NULL
);

-- One index per sort field, led by state so that the default list (state
-- 'pending') walks it in order; id makes ties deterministic and expires_at
-- lets the pending/expired filters and counts be decided from the index
-- alone. The customer index also serves the customer filter and the
-- per-customer counts, and the email index the lookups by email. Every
-- index costs time on each insert, so there are no others.
CREATE INDEX invitations_by_customer   ON invitations (state, customer_key, id, expires_at);
CREATE INDEX invitations_by_first_name ON invitations (state, first_name_key, id, expires_at);
CREATE INDEX invitations_by_last_name  ON invitations (state, last_name_key, id, expires_at);
CREATE INDEX invitations_by_email      ON invitations (state, email_key, id, expires_at);
CREATE INDEX invitations_by_sent_on    ON invitations (state, last_sent_at, id, expires_at);
-- An email has at most one open invitation.
CREATE UNIQUE INDEX invitations_open_email ON invitations (email_key) WHERE state = 'pending';

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    customer_id         INTEGER NOT NULL REFERENCES customers (id),
    email               TEXT    NOT NULL,
    email_key           TEXT    NOT NULL UNIQUE, -- lower-cased, trimmed email
    first_name          TEXT    NOT NULL,
    last_name           TEXT    NOT NULL,
    swedish_citizen     INTEGER,
    eu_eea_citizen      INTEGER,
    personal_number     TEXT,
    lma_number          TEXT,
    phone               TEXT,
    gender              TEXT,
    language            TEXT    NOT NULL,
    password_hash       TEXT    NOT NULL,
    email_verified_at   INTEGER,
    privacy_accepted_at INTEGER,
    invitation_id       INTEGER REFERENCES invitations (id),
    created_at          INTEGER NOT NULL
);
CREATE INDEX users_customer ON users (customer_id);

CREATE TABLE sessions (
    id_hash    BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_events (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    actor         TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    invitation_id INTEGER REFERENCES invitations (id),
    detail        TEXT    NOT NULL
);
CREATE INDEX audit_events_invitation ON audit_events (invitation_id, at, id);
CREATE INDEX audit_events_at ON audit_events (at, id);
