-- `audit --action` and `audit --actor` read a page of one action's or one
-- actor's events, newest first, and count them: each is one range of its
-- index, walked backwards for ids alone (the page's rows are then read by
-- id), instead of a walk of audit_events_at that tests every event. The
-- time (audit_events_at) and the invitation (audit_events_invitation) have
-- theirs since 0001.
CREATE INDEX audit_events_action ON audit_events (action, at, id);
CREATE INDEX audit_events_actor ON audit_events (actor, at, id);
