-- One store for SQLite and PostgreSQL (internal/store): the same key types
-- as SQLite's, the same search text, kept counts; derived columns are then
-- recomputed by the one Go derivation.

-- Comparison keys are text compared bytewise (collation "C"), as SQLite
-- compares TEXT: the same order in both engines, whatever the database's
-- collation. The indexes on them are rebuilt.
ALTER TABLE customers ALTER COLUMN name_key TYPE text COLLATE "C" USING convert_from(name_key, 'UTF8');
ALTER TABLE invitations ALTER COLUMN email_key TYPE text COLLATE "C" USING convert_from(email_key, 'UTF8');
ALTER TABLE users ALTER COLUMN email_key TYPE text COLLATE "C" USING convert_from(email_key, 'UTF8');

-- The search text in SQLite's order: first name, last name, email (this
-- store put the email first).
UPDATE invitations SET search_text = split_part(search_text, E'\n', 2) || E'\n' ||
    split_part(search_text, E'\n', 3) || E'\n' || split_part(search_text, E'\n', 1);

-- The number of invitations per customer and state, changed by the store in
-- the same transaction as every change that moves it: a list's usual totals
-- are a sum over these rows, not a count over an index.
CREATE TABLE invitation_counts (
    customer_id bigint NOT NULL REFERENCES customers (id),
    state       text   NOT NULL,
    n           bigint NOT NULL,
    PRIMARY KEY (customer_id, state)
);
INSERT INTO invitation_counts (customer_id, state, n)
    SELECT customer_id, state, count(*) FROM invitations GROUP BY customer_id, state;

-- Per-customer counts are kept now, and the customer filter reads
-- invitations_by_customer: this index only slowed inserts.
DROP INDEX invitations_customer;

-- After this file the migrator recomputes, in Go (internal/store, rederive),
-- email_key, search_text and customers.name_key where they differ from the
-- one derivation (internal/store/schema), and NFC-normalises emails.
