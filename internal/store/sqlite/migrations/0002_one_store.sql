-- One store for SQLite and PostgreSQL (internal/store): kept counts, an
-- expiry index, and derived columns recomputed by the one Go derivation.

-- The number of invitations per customer and state, changed by the store in
-- the same transaction as every change that moves it: a list's usual totals
-- are a sum over these rows, not a count over an index.
CREATE TABLE invitation_counts (
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    state       TEXT    NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (customer_id, state)
) WITHOUT ROWID;
INSERT INTO invitation_counts (customer_id, state, n)
    SELECT customer_id, state, count(*) FROM invitations GROUP BY customer_id, state;

-- Expired invitations (pending, expires_at passed) are counted from here.
CREATE INDEX invitations_by_expiry ON invitations (state, expires_at);

-- After this file the migrator recomputes, in Go (internal/store, rederive),
-- email_key, search_text and customers.name_key where they differ from the
-- one derivation (internal/store/schema), and NFC-normalises emails.
