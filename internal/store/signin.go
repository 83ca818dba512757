package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// The store's side of signing in and resetting a password. It is kept apart
// from users.go on purpose: the account list and deletion live there.

var _ invite.SignInStore = (*Store)(nil)

// UserForSignIn finds the account of an email, ignoring case, for signing
// in or resetting a password. ENOTFOUND if there is none.
func (s *Store) UserForSignIn(ctx context.Context, email string) (invite.User, error) {
	return s.userWhere(ctx, `u.email_key = ?`, invite.EmailKey(email), "no account")
}

// AddSession opens the session sess for user sess.UserID. ENOTFOUND if the
// user is gone.
func (s *Store) AddSession(ctx context.Context, sess invite.Session) error {
	return s.write(ctx, func(tx *Tx) error { return tx.openSession(ctx, sess) })
}

// openSession inserts sess and records it as its user's latest sign-in.
func (t *Tx) openSession(ctx context.Context, sess invite.Session) error {
	_, err := t.Exec(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		sess.IDHash, sess.UserID, t.s.d.Time(sess.CreatedAt), t.s.d.Time(sess.ExpiresAt))
	switch {
	case t.s.d.IsForeignKey(err):
		return invite.Errorf(invite.ENOTFOUND, "no user with ID %d", sess.UserID)
	case err != nil:
		return t.s.errorf("create session", err)
	}
	if _, err := t.Exec(ctx, `UPDATE users SET last_signed_in_at = ? WHERE id = ?`, t.s.d.Time(sess.CreatedAt), sess.UserID); err != nil {
		return t.s.errorf("record sign-in", err)
	}
	return nil
}

// SignInUser returns the account with id. ENOTFOUND if none.
func (s *Store) SignInUser(ctx context.Context, id int64) (invite.User, error) {
	return s.userWhere(ctx, `u.id = ?`, id, "no account")
}

// QueuePasswordReset queues a password reset email for the user userID
// (the delivery belongs to the user, and names the invitation they
// accepted, which stays after a purge), and records ev with it, in one
// transaction. Older
// undelivered emails of the invitation are superseded: the newest reset is
// the one to send. It returns the invitation's ID. ENOTFOUND if the user is
// gone or has no invitation.
func (s *Store) QueuePasswordReset(ctx context.Context, userID int64, ev invite.AuditEvent, now time.Time) (int64, error) {
	var invID int64
	err := s.write(ctx, func(tx *Tx) error {
		var id sql.NullInt64
		var gen int
		err := tx.row(ctx, `SELECT u.invitation_id, COALESCE(i.link_generation, 0) FROM users u
			LEFT JOIN invitations i ON i.id = u.invitation_id WHERE u.id = ?`, userID).Scan(&id, &gen)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return invite.Errorf(invite.ENOTFOUND, "no user with ID %d", userID)
		case err != nil:
			return s.errorf("queue password reset", err)
		case !id.Valid:
			return invite.Errorf(invite.ENOTFOUND, "user %d has no invitation to send through", userID)
		}
		invID = id.Int64
		if err := tx.supersede(ctx, invID); err != nil {
			return err
		}
		at := s.d.Time(now)
		if _, err := tx.Exec(ctx, `INSERT INTO deliveries (invitation_id, user_id, kind, link_generation, state, next_attempt_at, created_at)
			VALUES (?, ?, ?, ?, 'queued', ?, ?)`, invID, userID, string(invite.KindPasswordReset), gen, at, at); err != nil {
			return s.errorf("queue password reset", err)
		}
		if err := tx.syncDelivery(ctx, invID); err != nil {
			return err
		}
		ev.InvitationID = invID
		return tx.insertAudit(ctx, ev)
	})
	return invID, err
}

// ResetPassword sets the password hash of user userID to newHash if it is
// still oldHash, ends every session of the user, opens sess and records ev,
// all or nothing. ErrResetLinkUsed if the hash is no longer oldHash (the
// link was used, or the password changed otherwise).
func (s *Store) ResetPassword(ctx context.Context, userID int64, oldHash, newHash string, sess invite.Session, ev invite.AuditEvent) error {
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`, newHash, userID, oldHash)
		if err != nil {
			return s.errorf("reset password", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return s.errorf("reset password", err)
		} else if n == 0 {
			return invite.ErrResetLinkUsed
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
			return s.errorf("end sessions", err)
		}
		sess.UserID = userID
		if err := tx.openSession(ctx, sess); err != nil {
			return err
		}
		return tx.insertAuditUser(ctx, ev, userID)
	})
}
