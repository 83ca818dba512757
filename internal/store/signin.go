package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/invitectl/invitectl/internal/invite"
)

// The store's side of signing in and resetting a password. It is kept apart
// from users.go on purpose: the account list and deletion live there.

var _ invite.SignInStore = (*Store)(nil)

// UserForSignIn finds the account of an email, ignoring case, for signing
// in or resetting a password. ENOTFOUND if there is none.
func (s *Store) UserForSignIn(ctx context.Context, email string) (invite.User, error) {
	u, err := scanUser(s.row(ctx, userSelect+` FROM users u JOIN customers c ON c.id = u.customer_id
		WHERE u.email_key = ?`, invite.EmailKey(email)))
	if errors.Is(err, sql.ErrNoRows) {
		return u, invite.Errorf(invite.ENOTFOUND, "no account")
	}
	if err != nil {
		return u, s.errorf("find user", err)
	}
	return u, nil
}

// AddSession opens the session sess for user sess.UserID. ENOTFOUND if the
// user is gone.
func (s *Store) AddSession(ctx context.Context, sess invite.Session) error {
	return s.write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			sess.IDHash, sess.UserID, s.d.Time(sess.CreatedAt), s.d.Time(sess.ExpiresAt))
		switch {
		case s.d.IsForeignKey(err):
			return invite.Errorf(invite.ENOTFOUND, "no user with ID %d", sess.UserID)
		case err != nil:
			return s.errorf("create session", err)
		}
		return nil
	})
}
