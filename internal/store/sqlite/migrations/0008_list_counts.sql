-- Totals of `list --status pending|expired` come from kept counts: the
-- pending invitations are counted per customer and UTC day of expiry
-- (expires_at, unix microseconds, divided by a day's and rounded down, as
-- internal/store's expiryDay does), so that the expired
-- are the sum of the days before today and today's up to now, a range of
-- invitations_by_expiry, instead of a walk of every expired entry.
CREATE TABLE invitation_expiry_counts (
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    day         INTEGER NOT NULL, -- days since 1970-01-01, UTC
    n           INTEGER NOT NULL,
    PRIMARY KEY (customer_id, day)
) WITHOUT ROWID;
INSERT INTO invitation_expiry_counts (customer_id, day, n)
    SELECT customer_id, CAST(floor(expires_at / 86400000000.0) AS INTEGER), count(*) FROM invitations
    WHERE state = 'pending' GROUP BY 1, 2;

-- Every list index holds the customer's ID, as PostgreSQL's INCLUDE it, so
-- that a customer's rows are told from the others' in the index: a large
-- customer's page in another field's order walks that field's index without
-- reading a row, and today's expired of one customer are a range of the
-- expiry index.
DROP INDEX invitations_by_customer;
DROP INDEX invitations_by_first_name;
DROP INDEX invitations_by_last_name;
DROP INDEX invitations_by_email;
DROP INDEX invitations_by_sent_on;
DROP INDEX invitations_by_expiry;
CREATE INDEX invitations_by_customer   ON invitations (state, customer_key, id, expires_at, customer_id);
CREATE INDEX invitations_by_first_name ON invitations (state, first_name_key, id, expires_at, customer_id);
CREATE INDEX invitations_by_last_name  ON invitations (state, last_name_key, id, expires_at, customer_id);
CREATE INDEX invitations_by_email      ON invitations (state, email_key, id, expires_at, customer_id);
CREATE INDEX invitations_by_sent_on    ON invitations (state, created_at, id, expires_at, customer_id);
CREATE INDEX invitations_by_expiry     ON invitations (state, expires_at, customer_id);

-- The lifetimes of the pending invitations, shortest to longest: a pending
-- or expired list in sent-on order starts its walk where the lifetimes say
-- the first of its rows can be (see boundSentOn in internal/store/list.go).
CREATE INDEX invitations_by_lifetime ON invitations (state, (expires_at - created_at));
