-- Purging (`invitectl purge`, `users delete`): an invitation whose personal
-- data was erased is in state 'purged'; purged_from keeps the status it had
-- (accepted, revoked, expired) and purged_at when, for counting.

ALTER TABLE invitations DROP CONSTRAINT invitations_state_check;
ALTER TABLE invitations ADD CONSTRAINT invitations_state_check
    CHECK (state IN ('pending', 'accepted', 'revoked', 'purged'));
ALTER TABLE invitations
    ADD COLUMN purged_from text CHECK (purged_from IN ('accepted', 'revoked', 'expired')),
    ADD COLUMN purged_at   timestamptz;
