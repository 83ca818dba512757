-- A password reset email belongs to the user, not to the invitation they
-- accepted: purging that invitation keeps the user's resets, and deleting
-- the user takes them away.
ALTER TABLE deliveries ADD COLUMN user_id bigint REFERENCES users (id) ON DELETE CASCADE;
UPDATE deliveries SET user_id = (SELECT u.id FROM users u WHERE u.invitation_id = deliveries.invitation_id)
    WHERE kind = 'password_reset';
DELETE FROM deliveries WHERE kind = 'password_reset' AND user_id IS NULL;
CREATE INDEX deliveries_by_user ON deliveries (user_id) WHERE user_id IS NOT NULL;
