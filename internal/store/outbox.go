package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// The mail outbox. A delivery is queued in the transaction of the change
// that causes it; queueing one, or moving an invitation's link on, or
// resolving it, supersedes its undelivered ones, so that an invitation has
// at most one undelivered email and only its latest link is ever sent.
// Deliverers claim rows with a lease (claimed_until) and a token naming the
// claiming process (see claimer.go), written in a write transaction:
// SQLite's writer lock serialises claimers, and PostgreSQL's claimers skip
// each other's locked rows; either way, two never hold a row at once. A row
// whose claimer no longer runs is claimable at once, before its lease ends.

// queue supersedes inv's undelivered emails and queues one of kind for its
// current link generation.
func (t *Tx) queue(ctx context.Context, inv *invite.Invitation, kind invite.DeliveryKind, now time.Time) error {
	if err := t.supersede(ctx, inv.ID); err != nil {
		return err
	}
	at := t.s.d.Time(now)
	if _, err := t.execBatch(ctx, `INSERT INTO deliveries (invitation_id, kind, link_generation, state, next_attempt_at, created_at)
		VALUES (?, ?, ?, 'queued', ?, ?)`, inv.ID, string(kind), inv.LinkGeneration, at, at); err != nil {
		return t.s.errorf("queue email", err)
	}
	inv.Delivery, inv.DeliveryError = invite.DeliveryQueued, ""
	return t.syncDelivery(ctx, inv.ID)
}

// supersede marks id's undelivered emails superseded.
func (t *Tx) supersede(ctx context.Context, id int64) error {
	_, err := t.execBatch(ctx, `UPDATE deliveries SET state = 'superseded', claimed_until = NULL, claim_token = NULL
		WHERE invitation_id = ? AND state IN ('queued', 'failed')`, id)
	if err != nil {
		return t.s.errorf("supersede emails", err)
	}
	return nil
}

// syncDelivery derives the invitation's delivery state and error (what
// `list --delivery` filters on, kept on the row for its index) from its
// outbox rows, in the transaction that changed them: the state of its
// latest invitation email that was not superseded ("none" when there is
// none), and that email's error while it is undelivered. Every change to
// an invitation's outbox rows ends with it, so the two never disagree.
func (t *Tx) syncDelivery(ctx context.Context, id int64) error {
	const latest = `FROM deliveries d WHERE d.invitation_id = invitations.id AND d.kind <> 'password_reset'
		AND d.state <> 'superseded' ORDER BY d.id DESC LIMIT 1`
	if _, err := t.execBatch(ctx, `UPDATE invitations SET delivery = COALESCE((SELECT d.state `+latest+`), 'none'),
		delivery_error = (SELECT CASE WHEN d.state IN ('queued', 'failed') THEN d.last_error END `+latest+`)
		WHERE id = ?`, id); err != nil {
		return t.s.errorf("record delivery", err)
	}
	return nil
}

// deliveryCols are the columns a delivery is read from and copied with.
var deliveryCols = []string{"id", "invitation_id", "kind", "link_generation", "state", "attempts",
	"next_attempt_at", "last_error", "created_at", "sent_at", "user_id"}

var deliveryColumns = "d." + strings.Join(deliveryCols, ", d.")

// deliveryDest is where the columns of deliveryColumns are read into.
func deliveryDest(d *invite.Delivery, kind, state *string) []any {
	return []any{&d.ID, &d.InvitationID, kind, &d.LinkGeneration, state, &d.Attempts,
		scanTime{&d.NextAttemptAt}, scanString{&d.LastError}, scanTime{&d.CreatedAt}, scanTime{&d.SentAt}, scanID{&d.UserID}}
}

func scanDelivery(sc scanner) (invite.Delivery, error) {
	var d invite.Delivery
	var kind, state string
	err := sc.Scan(deliveryDest(&d, &kind, &state)...)
	d.Kind, d.State = invite.DeliveryKind(kind), invite.DeliveryState(state)
	return d, err
}

func scanClaimed(sc scanner) (invite.ClaimedDelivery, error) {
	var c invite.ClaimedDelivery
	var kind, state string
	inv, err := scanInvitationWith(sc, deliveryDest(&c.Delivery, &kind, &state)...)
	c.Kind, c.State, c.Invitation = invite.DeliveryKind(kind), invite.DeliveryState(state), inv
	return c, err
}

// selection is the condition of the deliveries q selects, whoever holds
// them.
func (s *Store) selection(q invite.ClaimQuery) (cond []string, args []any) {
	cond, args = []string{"d.id > ?"}, []any{q.AfterID}
	if q.Due {
		cond = append(cond, "d.state = 'queued'", "d.next_attempt_at <= ?")
		args = append(args, s.d.Time(q.Now))
	} else if q.RetryFailed {
		cond = append(cond, "d.state IN ('queued', 'failed')")
	} else {
		cond = append(cond, "d.state = 'queued'")
	}
	if len(q.InvitationIDs) > 0 {
		cond = append(cond, "d.invitation_id IN (?"+strings.Repeat(", ?", len(q.InvitationIDs)-1)+")")
		for _, id := range q.InvitationIDs {
			args = append(args, id)
		}
	}
	if q.CustomerID != 0 {
		cond = append(cond, "d.invitation_id IN (SELECT id FROM invitations WHERE customer_id = ?)")
		args = append(args, q.CustomerID)
	}
	return cond, args
}

// deadClaims are the claim tokens of undelivered rows of table (deliveries
// or webhook_events), still within their lease, whose claimer no longer
// runs (see gone).
func (t *Tx) deadClaims(ctx context.Context, table string, now time.Time) ([]any, error) {
	rows, err := t.query(ctx, `SELECT DISTINCT claim_token FROM `+table+`
		WHERE state IN ('queued', 'failed') AND claim_token IS NOT NULL AND claimed_until > ?`, t.s.d.Time(now))
	tokens, err := collect(rows, err, func(sc scanner) (string, error) {
		var tok string
		return tok, sc.Scan(&tok)
	})
	var dead []any
	for _, tok := range tokens {
		if gone(tok) {
			dead = append(dead, tok)
		}
	}
	return dead, err
}

// lease claims, for token until the time until, the rows of table whose
// IDs query selects, and returns the IDs with an IN list of placeholders
// for them.
func (t *Tx) lease(ctx context.Context, table, query string, args []any, until time.Time, token string) ([]any, string, error) {
	rows, err := t.query(ctx, query, args...)
	ids, err := collect(rows, err, func(sc scanner) (any, error) {
		var id int64
		return id, sc.Scan(&id)
	})
	if err != nil || len(ids) == 0 {
		return nil, "", err
	}
	in := "(?" + strings.Repeat(", ?", len(ids)-1) + ")"
	_, err = t.Exec(ctx, `UPDATE `+table+` SET claimed_until = ?, claim_token = ? WHERE id IN `+in,
		append([]any{t.s.d.Time(until), token}, ids...)...)
	return ids, in, err
}

// heldBy is the condition on a row (alias alias) that a live deliverer
// holds (held) or that nobody does (not held): its lease not over, and its
// claimer not among dead.
func heldBy(alias string, held bool, now any, dead []any) (string, []any) {
	cond := alias + ".claim_token IS NOT NULL AND " + alias + ".claimed_until > ?"
	if len(dead) > 0 {
		cond += " AND " + alias + ".claim_token NOT IN (?" + strings.Repeat(", ?", len(dead)-1) + ")"
	}
	if !held {
		cond = "NOT (" + cond + ")"
	}
	return cond, append([]any{now}, dead...)
}

// ClaimDeliveries leases up to q.Limit of the deliveries q selects, in ID
// order, and returns them with their invitations. Rows whose claimer no
// longer runs are taken over at once.
func (s *Store) ClaimDeliveries(ctx context.Context, q invite.ClaimQuery) ([]invite.ClaimedDelivery, error) {
	cond, args := s.selection(q)
	token := self().String() + "/" + claimToken()
	var out []invite.ClaimedDelivery
	err := s.write(ctx, func(tx *Tx) error {
		dead, err := tx.deadClaims(ctx, "deliveries", q.Now)
		if err != nil {
			return err
		}
		free, fargs := heldBy("d", false, s.d.Time(q.Now), dead)
		ids, in, err := tx.lease(ctx, "deliveries", `SELECT d.id FROM deliveries d WHERE `+strings.Join(append(cond, free), " AND ")+
			` ORDER BY d.id LIMIT ?`+s.d.SkipLocked, append(append(args, fargs...), q.Limit), q.Now.Add(q.Lease), token)
		if err != nil || len(ids) == 0 {
			return err
		}
		rows, err := tx.query(ctx, `SELECT `+deliveryColumns+`, `+invitationColumns+` FROM deliveries d
			JOIN invitations i ON i.id = d.invitation_id JOIN customers c ON c.id = i.customer_id
			WHERE d.id IN `+in+` ORDER BY d.id`, ids...)
		out, err = collect(rows, err, scanClaimed)
		return err
	})
	if err != nil {
		return nil, s.errorf("claim emails", err)
	}
	for i := range out {
		out[i].Token = token
	}
	return out, nil
}

// HeldDeliveries counts the deliveries q selects that a live deliverer
// holds.
func (s *Store) HeldDeliveries(ctx context.Context, q invite.ClaimQuery) (int, error) {
	cond, args := s.selection(q)
	var n int
	err := s.read(ctx, func(tx *Tx) error {
		dead, err := tx.deadClaims(ctx, "deliveries", q.Now)
		if err != nil {
			return err
		}
		held, hargs := heldBy("d", true, s.d.Time(q.Now), dead)
		return tx.row(ctx, `SELECT count(*) FROM deliveries d WHERE `+strings.Join(append(cond, held), " AND "),
			append(args, hargs...)...).Scan(&n)
	})
	if err != nil {
		return 0, s.errorf("count the emails being sent", err)
	}
	return n, nil
}

func claimToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand does not fail
	return hex.EncodeToString(b)
}

// FinishDeliveries records the outcomes in one transaction.
func (s *Store) FinishDeliveries(ctx context.Context, outcomes []invite.DeliveryOutcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *Tx) error {
		tx.batch = len(outcomes) > 1
		if err := tx.lockInvitationsOf(ctx, outcomes); err != nil {
			return err
		}
		for _, o := range outcomes {
			if err := tx.finish(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.errorf("record emails", err)
	}
	return nil
}

// lockInvitationsOf locks the invitations the outcomes record on before
// any of their emails' rows, as every change that touches an invitation and
// its emails (a resend, a revoke, an accept) takes the invitation first: a
// record taking the email first could wait for a resend that waits for it.
func (t *Tx) lockInvitationsOf(ctx context.Context, outcomes []invite.DeliveryOutcome) error {
	var ids []int64
	for _, o := range outcomes {
		if o.Claim.InvitationID != 0 && o.State != invite.DeliveryReleased {
			ids = append(ids, o.Claim.InvitationID)
		}
	}
	return t.lockInvitations(ctx, ids)
}

// lockInvitations locks the invitations ids for the transaction, in ID
// order, so that transactions locking some of the same ones never wait
// for each other in a cycle (PostgreSQL: deadlock detected). SQLite's one
// writer needs no lock.
func (t *Tx) lockInvitations(ctx context.Context, ids []int64) error {
	if t.s.d.ForUpdate == "" || len(ids) == 0 {
		return nil
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	for chunk := range slices.Chunk(ids, updateRows) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := t.query(ctx, `SELECT i.id FROM invitations i WHERE i.id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`) ORDER BY i.id`+t.s.d.ForUpdate, args...)
		// Each row is locked as it is read.
		if err := each(rows, err, func(sc scanner) (int64, error) {
			var id int64
			return id, sc.Scan(&id)
		}, func(int64) error { return nil }); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tx) finish(ctx context.Context, o invite.DeliveryOutcome) error {
	c := o.Claim
	if o.State == invite.DeliveryReleased {
		_, err := t.execBatch(ctx, `UPDATE deliveries SET claimed_until = NULL, claim_token = NULL WHERE id = ? AND claim_token = ?`, c.ID, c.Token)
		return err
	}
	var sentAt any
	if o.State == invite.DeliverySent {
		sentAt = t.s.d.Time(o.At)
	}
	// A row superseded while it was being sent keeps that state unless it
	// was sent: then it was sent.
	res, err := t.execBatch(ctx, `UPDATE deliveries SET state = CASE WHEN state = 'superseded' AND ? <> 'sent' THEN state ELSE ? END,
		attempts = attempts + 1, next_attempt_at = ?, last_error = ?, sent_at = ?, claimed_until = NULL, claim_token = NULL
		WHERE id = ? AND claim_token = ?`,
		string(o.State), string(o.State), t.s.d.Time(maxTime(o.Next, o.At)), nullString(o.Error), sentAt, c.ID, c.Token)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // the claim was lost: the row is another deliverer's now
	}
	if o.State == invite.DeliverySent {
		if _, err := t.execBatch(ctx, `UPDATE invitations SET send_count = send_count + 1, last_sent_at = ? WHERE id = ?`, sentAt, c.InvitationID); err != nil {
			return err
		}
		if err := t.insertAudit(ctx, o.Event); err != nil {
			return err
		}
	}
	return t.syncDelivery(ctx, c.InvitationID)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// OutboxDepth counts the undelivered emails, from the index deliverers
// claim by.
func (s *Store) OutboxDepth(ctx context.Context) (invite.OutboxDepth, error) {
	var d invite.OutboxDepth
	err := s.read(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT state, count(*), min(created_at) FROM deliveries
			WHERE state IN ('queued', 'failed') GROUP BY state`)
		return each(rows, err, func(sc scanner) (struct{}, error) {
			var state string
			var n int
			var oldest time.Time
			err := sc.Scan(&state, &n, scanTime{&oldest})
			if state == "queued" {
				d.Queued, d.OldestQueued = n, oldest
			} else {
				d.Failed = n
			}
			return struct{}{}, err
		}, func(struct{}) error { return nil })
	})
	if err != nil {
		return invite.OutboxDepth{}, s.errorf("count the outbox", err)
	}
	return d, nil
}
