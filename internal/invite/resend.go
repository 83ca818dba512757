package invite

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ResendPlan says what a resend does.
type ResendPlan string

// Plans.
const (
	PlanReuseLink ResendPlan = "reuse link"
	PlanNewLink   ResendPlan = "new link"
	PlanRefused   ResendPlan = "refused"
)

// PlanResend says what resending inv would do at time now.
func PlanResend(inv Invitation, now time.Time) ResendPlan {
	switch inv.Status(now) {
	case StatusPending:
		return PlanReuseLink
	case StatusExpired:
		return PlanNewLink
	}
	return PlanRefused
}

// Resend sends the invitation again: the same link while pending; a fresh
// link valid for one TTL once expired (the old one stays dead); nothing once
// accepted or revoked (ErrAlreadyResolved). The fresh link and the queued
// email are saved in one transaction before anything is sent, so whatever
// happens to the delivery, the email waits in the outbox for a deliverer.
func (s *Service) Resend(ctx context.Context, actor string, inv Invitation) (Invitation, ResendPlan, error) {
	var res ResendResult
	err := s.ResendBatch(ctx, actor, []Invitation{inv}, func(r ResendResult) { res = r })
	if err != nil {
		return inv, PlanResend(inv, s.now()), err
	}
	return res.Invitation, res.Plan, res.Err
}

// freshLink replaces inv's link with a new one valid for one TTL from now;
// the generation moves on, so the old link stays dead.
func (s *Service) freshLink(actor string, inv Invitation, now time.Time) (Invitation, AuditEvent) {
	upd := inv
	upd.LinkGeneration++
	upd.ExpiresAt = now.Add(s.ttl())
	return upd, AuditEvent{At: now, Actor: actor, Action: ActionResend, InvitationID: inv.ID,
		Detail: fmt.Sprintf("new link generated, valid until %s", upd.ExpiresAt.Format(time.RFC3339))}
}

// ResendResult is the outcome of one invitation of ResendBatch.
type ResendResult struct {
	// Invitation is the invitation as stored afterwards, or as given when
	// nothing was written.
	Invitation Invitation
	Plan       ResendPlan
	// Err is nil when the email was delivered and its sending recorded,
	// or when Elsewhere.
	Err error
	// Elsewhere says another deliverer is sending the email (or sent it):
	// another resend renewed the link first, or holds the queued email.
	Elsewhere bool
}

// resendChunk invitations are changed in one transaction: their fresh
// links (for the expired) and their queued emails, with their audit events.
const resendChunk = 500

// ResendBatch resends every invitation of invs as Resend resends one, and
// calls report once for each, from one goroutine at a time. An invitation
// that fails (a conflict, a refused or undelivered email) is reported and
// the batch goes on.
//
// It works in two steps. First every change is saved, a chunk of
// invitations per transaction: an expired invitation's fresh link together
// with its queued email, a pending one's queued email. Then the outbox
// delivers what was queued (see Deliver). A crash at any moment leaves
// every saved link with its email queued, so that `deliver` (or the next
// run) sends it: no invitation is left with a link nobody mailed. When ctx
// is cancelled, the invitations not reached are not reported and the
// context's error is returned; their emails, if queued, stay queued.
func (s *Service) ResendBatch(ctx context.Context, actor string, invs []Invitation, report func(ResendResult)) error {
	return s.resendBatch(ctx, actor, KindInvitation, invs, report)
}

// Remind sends pending invitations their same link again as a reminder,
// as ResendBatch resends them; the caller chooses whom (see the list
// query's SentBefore and MaxSends). An invitation no longer pending is
// refused as ResendBatch refuses it, and an expired one is not reminded
// but renewed, as a resend would.
func (s *Service) Remind(ctx context.Context, actor string, invs []Invitation, report func(ResendResult)) error {
	return s.resendBatch(ctx, actor, KindReminder, invs, report)
}

func (s *Service) resendBatch(ctx context.Context, actor string, kind DeliveryKind, invs []Invitation, report func(ResendResult)) error {
	if s.Mailer == nil {
		for _, inv := range invs {
			report(ResendResult{Invitation: inv, Plan: PlanResend(inv, s.now()), Err: ErrNoMailer.With(About{ID: inv.ID})})
		}
		return nil
	}
	plans := map[int64]ResendPlan{}
	var queued []int64
	for start := 0; start < len(invs) && ctx.Err() == nil; start += resendChunk {
		now := s.now()
		var changes []InvitationChange
		for _, inv := range invs[start:min(start+resendChunk, len(invs))] {
			plan := PlanResend(inv, now)
			plans[inv.ID] = plan
			switch plan {
			case PlanRefused:
				report(ResendResult{Invitation: inv, Plan: plan, Err: resolvedError(inv, "resent")})
				continue
			case PlanNewLink:
				upd, ev := s.freshLink(actor, inv, now)
				changes = append(changes, InvitationChange{Invitation: upd, Event: ev, Mail: KindInvitation})
			default:
				detail := "queued the same link again"
				if kind == KindReminder {
					detail = "queued a reminder with the same link"
				}
				changes = append(changes, InvitationChange{Invitation: inv, Mail: kind,
					Event: AuditEvent{At: now, Actor: actor, Action: ActionResend, InvitationID: inv.ID, Detail: detail}})
			}
		}
		if len(changes) == 0 {
			continue
		}
		_, errs, err := s.Store.UpdateInvitations(ctx, changes)
		if err != nil {
			return err
		}
		for i, ch := range changes {
			if errs[i] != nil {
				r := ResendResult{Invitation: ch.Invitation, Plan: plans[ch.Invitation.ID], Err: errs[i]}
				if cur, ok := s.renewedMeanwhile(ctx, ch, errs[i]); ok {
					r = ResendResult{Invitation: cur, Plan: r.Plan, Elsewhere: true}
				}
				report(r)
				continue
			}
			queued = append(queued, ch.Invitation.ID)
		}
	}
	if len(queued) == 0 || ctx.Err() != nil {
		return ctx.Err()
	}
	reported := map[int64]bool{}
	sum, err := s.Deliver(ctx, DeliverRequest{InvitationIDs: queued, Actor: actor, Report: func(o DeliveryOutcome) {
		r := ResendResult{Invitation: o.Claim.Invitation, Plan: plans[o.Claim.InvitationID]}
		if o.State != DeliverySent {
			r.Err = undelivered(o)
		}
		reported[o.Claim.InvitationID] = true
		report(r)
	}})
	if err != nil {
		return err
	}
	byID := map[int64]Invitation{}
	for _, inv := range invs {
		byID[inv.ID] = inv
	}
	for _, id := range queued {
		switch {
		case reported[id]:
		case sum.Stopped != nil:
			// The connection failed before its turn: it stays queued.
			report(ResendResult{Invitation: byID[id], Plan: plans[id],
				Err: ErrNotSent.Explain("the email to %s stays queued: the mail connection failed (see above)", byID[id].Email).With(About{ID: id})})
		default:
			// Another deliverer (a server delivering in the background, or
			// another resend) holds its email.
			report(ResendResult{Invitation: byID[id], Plan: plans[id], Elsewhere: true})
		}
	}
	return nil
}

// renewedMeanwhile says whether ch, a fresh link refused because the
// invitation changed meanwhile, lost to another resend that renewed the
// link first (its email is that resend's to send), and returns the
// invitation as it is now.
func (s *Service) renewedMeanwhile(ctx context.Context, ch InvitationChange, err error) (Invitation, bool) {
	if !errors.Is(err, ErrEditedMeanwhile) || ch.Mail == "" {
		return ch.Invitation, false
	}
	cur, rerr := s.Store.Invitation(ctx, ch.Invitation.ID)
	if rerr != nil || cur.State != StatePending || cur.LinkGeneration < ch.Invitation.LinkGeneration ||
		!cur.ExpiresAt.After(s.now()) || cur.Delivery == DeliveryNone {
		return ch.Invitation, false
	}
	return cur, true
}

// undelivered is the error of a delivery outcome other than sent.
func undelivered(o DeliveryOutcome) error {
	inv := o.Claim.Invitation
	if o.State == DeliverySuperseded {
		return ErrNotDelivered.Explain("the email to %s was not sent: %s", inv.Email, o.Error).With(About{ID: inv.ID})
	}
	return withCause(ErrNotDelivered.Explain("the email to %s could not be delivered: %s", inv.Email, o.Error).With(About{ID: inv.ID}), o.Cause)
}

// withCause gives e the hint of a connection failure (a certificate not
// trusted, credentials refused), which says more than e's own.
func withCause(e *Error, cause error) *Error {
	if h := ErrorHint(cause); h != "" && ConnectionFailed(cause) {
		return e.WithHint("%s", h)
	}
	return e
}
