package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/webhook"
)

// Webhook events, in their own table (webhook_events). An event is queued
// by the audit write of the change that causes it (insertAudit), so it
// commits or rolls back with that change, and only when the store was told
// to send that type (SetWebhookEvents). Claims work as the mail outbox's
// do (a lease and a token naming the claiming process, see claimer.go),
// with one more rule: an event waits while an earlier undelivered event of
// its invitation is not taken by the same claim. Claimers are serialised
// (the write lock on SQLite, an advisory lock on PostgreSQL), so that
// rule is decided by one claimer at a time.

var _ invite.EventOutbox = (*Store)(nil)

// SetWebhookEvents makes every later change queue the events of types
// (none when empty). It is set once, before the store is used.
func (s *Store) SetWebhookEvents(types []string) {
	s.hooks = nil
	for _, t := range types {
		if s.hooks == nil {
			s.hooks = map[string]bool{}
		}
		s.hooks[t] = true
	}
}

// eventTypes are the events that audit actions cause. Import and purge
// record one audit event for many invitations, and queue theirs one by one
// (queueEvents).
var eventTypes = map[string]string{
	invite.ActionInvite:     webhook.InvitationCreated,
	invite.ActionEdit:       webhook.InvitationUpdated,
	invite.ActionResend:     webhook.InvitationResent,
	invite.ActionRevoke:     webhook.InvitationRevoked,
	invite.ActionAccept:     webhook.InvitationAccepted,
	invite.ActionUserDelete: webhook.UserDeleted,
	invite.ActionReset:      webhook.UserPasswordReset,
}

// queueEvent queues the event that ev causes, if any is sent: about ev's
// invitation and userID (0 for none).
func (t *Tx) queueEvent(ctx context.Context, ev invite.AuditEvent, userID int64) error {
	typ := eventTypes[ev.Action]
	if !t.s.hooks[typ] {
		return nil
	}
	at := t.s.d.Time(ev.At)
	_, err := t.execBatch(ctx, `INSERT INTO webhook_events (webhook_id, type, invitation_id, user_id, state, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, 'queued', ?, ?)`, webhook.NewID(), typ, nullID(ev.InvitationID), nullID(userID), at, at)
	if err != nil {
		return t.s.errorf("queue webhook event", err)
	}
	return nil
}

// queueEvents queues an event of typ for each of the invitations ids.
func (t *Tx) queueEvents(ctx context.Context, typ string, ids []int64, now time.Time) error {
	if !t.s.hooks[typ] || len(ids) == 0 {
		return nil
	}
	at := t.s.d.Time(now)
	err := t.s.d.Bulk(ctx, t, "webhook_events", []string{"webhook_id", "type", "invitation_id", "state", "next_attempt_at", "created_at"},
		len(ids), func(i int) []any { return []any{webhook.NewID(), typ, ids[i], "queued", at, at} })
	if err != nil {
		return t.s.errorf("queue webhook events", err)
	}
	return nil
}

// eventClaimLock is the key of the lock (PostgreSQL's advisory lock, see
// lockEmail) that serialises event claimers: no email key holds a NUL.
const eventClaimLock = "\x00webhook events claim"

// eventSelection is the condition, with its arguments, on the events (alias
// alias) that q takes if nobody holds them.
func (s *Store) eventSelection(alias string, q invite.EventClaimQuery) (string, []any) {
	states := "'queued'"
	if q.Failed {
		states = "'queued', 'failed'"
	}
	cond := alias + ".id > ? AND " + alias + ".state IN (" + states + ")"
	args := []any{q.AfterID}
	if q.Due {
		cond += " AND " + alias + ".next_attempt_at <= ?"
		args = append(args, s.d.Time(q.Now))
	}
	return cond, args
}

const eventColumns = `e.id, e.webhook_id, e.type, e.invitation_id, e.user_id, e.state, e.attempts, e.next_attempt_at,
	e.last_error, e.created_at, e.delivered_at`

func scanEvent(sc scanner) (invite.Event, error) {
	var e invite.Event
	var state string
	err := sc.Scan(&e.ID, &e.WebhookID, &e.Type, scanID{&e.InvitationID}, scanID{&e.UserID}, &state, &e.Attempts,
		scanTime{&e.NextAttemptAt}, scanString{&e.LastError}, scanTime{&e.CreatedAt}, scanTime{&e.DeliveredAt})
	e.State = invite.EventState(state)
	return e, err
}

// ClaimEvents leases up to q.Limit of the events q selects, in ID order.
func (s *Store) ClaimEvents(ctx context.Context, q invite.EventClaimQuery) ([]invite.ClaimedEvent, error) {
	token := self().String() + "/" + claimToken()
	var out []invite.ClaimedEvent
	err := s.write(ctx, func(tx *Tx) error {
		if err := tx.lockEmail(ctx, eventClaimLock); err != nil {
			return err
		}
		dead, err := tx.deadClaims(ctx, "webhook_events", q.Now)
		if err != nil {
			return err
		}
		now := s.d.Time(q.Now)
		sel, args := s.eventSelection("e", q)
		held, hargs := heldBy("e", true, now, dead)
		psel, pargs := s.eventSelection("p", q)
		pheld, phargs := heldBy("p", true, now, dead)
		// An earlier queued event of the invitation that this claim does
		// not take (not selected, or held) holds this one back.
		query := `SELECT e.id FROM webhook_events e WHERE ` + sel + ` AND NOT (` + held + `)
			AND (e.invitation_id IS NULL OR NOT EXISTS (SELECT 1 FROM webhook_events p
				WHERE p.invitation_id = e.invitation_id AND p.id < e.id AND p.state = 'queued'
				AND NOT (` + psel + ` AND NOT (` + pheld + `))))
			ORDER BY e.id LIMIT ?`
		all := append(append(append(append(args, hargs...), pargs...), phargs...), q.Limit)
		ids, in, err := tx.lease(ctx, "webhook_events", query, all, q.Now.Add(q.Lease), token)
		if err != nil || len(ids) == 0 {
			return err
		}
		rows, err := tx.query(ctx, `SELECT `+eventColumns+` FROM webhook_events e WHERE e.id IN `+in+` ORDER BY e.id`, ids...)
		events, err := collect(rows, err, scanEvent)
		if err != nil {
			return err
		}
		for _, e := range events {
			c := invite.ClaimedEvent{Event: e, Token: token}
			if c.Invitation, err = tx.invitationOrNil(ctx, e.InvitationID); err != nil {
				return err
			}
			if c.User, err = tx.userOrNil(ctx, e.UserID); err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, s.errorf("claim webhook events", err)
	}
	return out, nil
}

func (t *Tx) invitationOrNil(ctx context.Context, id int64) (*invite.Invitation, error) {
	if id == 0 {
		return nil, nil
	}
	inv, err := scanInvitation(t.row(ctx, `SELECT `+invitationColumns+invitationFrom+` WHERE i.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &inv, err
}

func (t *Tx) userOrNil(ctx context.Context, id int64) (*invite.User, error) {
	if id == 0 {
		return nil, nil
	}
	u, err := scanUser(t.row(ctx, userSelect+userFrom+` WHERE u.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &u, err
}

// FinishEvents records the outcomes in one transaction.
func (s *Store) FinishEvents(ctx context.Context, outcomes []invite.EventOutcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *Tx) error {
		tx.batch = len(outcomes) > 1
		for _, o := range outcomes {
			c := o.Claim
			var err error
			if o.State == invite.EventReleased {
				_, err = tx.execBatch(ctx, `UPDATE webhook_events SET claimed_until = NULL, claim_token = NULL WHERE id = ? AND claim_token = ?`, c.ID, c.Token)
			} else {
				var deliveredAt any
				if o.State == invite.EventDelivered {
					deliveredAt = s.d.Time(o.At)
				}
				_, err = tx.execBatch(ctx, `UPDATE webhook_events SET state = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ?,
					delivered_at = ?, claimed_until = NULL, claim_token = NULL WHERE id = ? AND claim_token = ?`,
					string(o.State), s.d.Time(maxTime(o.Next, o.At)), nullString(o.Error), deliveredAt, c.ID, c.Token)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.errorf("record webhook events", err)
	}
	return nil
}

// HeldEvents counts the undelivered events a live deliverer holds.
func (s *Store) HeldEvents(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.read(ctx, func(tx *Tx) error {
		dead, err := tx.deadClaims(ctx, "webhook_events", now)
		if err != nil {
			return err
		}
		held, args := heldBy("e", true, s.d.Time(now), dead)
		return tx.row(ctx, `SELECT count(*) FROM webhook_events e WHERE e.state IN ('queued', 'failed') AND `+held, args...).Scan(&n)
	})
	if err != nil {
		return 0, s.errorf("count the webhook events being sent", err)
	}
	return n, nil
}

// EventStatus counts the events per state and lists the failed ones.
func (s *Store) EventStatus(ctx context.Context) (invite.EventStatus, error) {
	var st invite.EventStatus
	err := s.read(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT state, count(*) FROM webhook_events GROUP BY state`)
		err = each(rows, err, func(sc scanner) (struct{}, error) {
			var state string
			var n int
			err := sc.Scan(&state, &n)
			switch invite.EventState(state) {
			case invite.EventQueued:
				st.Queued = n
			case invite.EventDelivered:
				st.Delivered = n
			case invite.EventFailed:
				st.Failed = n
			}
			return struct{}{}, err
		}, func(struct{}) error { return nil })
		if err != nil {
			return err
		}
		rows, err = tx.query(ctx, `SELECT `+eventColumns+` FROM webhook_events e WHERE e.state = 'queued' ORDER BY e.id LIMIT 1`)
		oldest, err := collect(rows, err, scanEvent)
		if err != nil {
			return err
		}
		if len(oldest) > 0 {
			st.OldestQueued = oldest[0]
		}
		rows, err = tx.query(ctx, `SELECT `+eventColumns+` FROM webhook_events e WHERE e.state = 'failed' ORDER BY e.id`)
		st.FailedEvents, err = collect(rows, err, scanEvent)
		return err
	})
	if err != nil {
		return invite.EventStatus{}, s.errorf("count the webhook events", err)
	}
	return st, nil
}
