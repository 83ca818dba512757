-- `list --delivery queued|failed` (and `deliver --dry-run`, and the counts
-- `deliver` reports) reads the invitations whose latest email is
-- undelivered: a backlog, few beside the sent and the never mailed. This
-- index holds them alone, with every column a list filters and sorts them
-- by, so their page and total are gathered from it by an index-only scan
-- instead of a walk of every invitation (see listPlan.gathered in
-- internal/store/list.go).
CREATE INDEX invitations_undelivered ON invitations (delivery, state, customer_id, expires_at)
    INCLUDE (first_name_key, last_name_key, email_key, customer_key, created_at, id)
    WHERE delivery IN ('queued', 'failed');
