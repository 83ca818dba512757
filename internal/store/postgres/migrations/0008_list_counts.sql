-- Totals of `list --status pending|expired` come from kept counts: the
-- pending invitations are counted per customer and UTC day of expiry, so
-- that the expired are the sum of the days before today and today's up to
-- now, a range of invitations_by_expiry, instead of a walk of every expired
-- entry.
CREATE TABLE invitation_expiry_counts (
    customer_id bigint NOT NULL REFERENCES customers (id),
    day         bigint NOT NULL, -- days since 1970-01-01, UTC
    n           bigint NOT NULL,
    PRIMARY KEY (customer_id, day)
);
INSERT INTO invitation_expiry_counts (customer_id, day, n)
    SELECT customer_id, floor(extract(epoch FROM expires_at) / 86400)::bigint, count(*) FROM invitations
    WHERE state = 'pending' GROUP BY 1, 2;

-- The expiry index holds the customer's ID, as the sort indexes do, so that
-- today's expired of one customer are a range of it.
DROP INDEX invitations_by_expiry;
CREATE INDEX invitations_by_expiry ON invitations (state, expires_at) INCLUDE (customer_id);

-- The lifetimes of the pending invitations, shortest to longest: a pending
-- or expired list in sent-on order starts its walk where the lifetimes say
-- the first of its rows can be (see boundSentOn in internal/store/list.go).
CREATE INDEX invitations_by_lifetime ON invitations (state, (expires_at - created_at));
