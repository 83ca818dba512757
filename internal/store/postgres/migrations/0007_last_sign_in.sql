-- When each account last signed in (registration, sign-in or a password
-- reset opens a session): shown by users list. NULL for accounts made before.
ALTER TABLE users ADD COLUMN last_signed_in_at timestamptz;
