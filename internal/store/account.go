package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/invitectl/invitectl/internal/invite"
)

// The store's side of the account page: a signed-in user changes their
// language or their password. Apart from users.go and signin.go, as those
// are.

var _ invite.AccountStore = (*Store)(nil)

// SetUserLanguage sets the language of user userID and records ev, in one
// transaction. ENOTFOUND if the user is gone.
func (s *Store) SetUserLanguage(ctx context.Context, userID int64, lang string, ev invite.AuditEvent) error {
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE users SET language = ? WHERE id = ?`, lang, userID)
		if err != nil {
			return s.errorf("set language", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return s.errorf("set language", err)
		} else if n == 0 {
			return invite.Errorf(invite.ENOTFOUND, "no user with ID %d", userID)
		}
		return tx.insertAuditUser(ctx, ev, userID)
	})
}

// ChangePassword sets the password hash of user userID to newHash if it is
// still oldHash, ends every session of the user but the one whose hash is
// keep, and records ev, all or nothing. ECONFLICT if the hash moved on;
// ENOTFOUND if the user is gone.
func (s *Store) ChangePassword(ctx context.Context, userID int64, oldHash, newHash string, keep []byte, ev invite.AuditEvent) error {
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`, newHash, userID, oldHash)
		if err != nil {
			return s.errorf("change password", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return s.errorf("change password", err)
		}
		if n == 0 {
			var one int
			err := tx.row(ctx, `SELECT 1 FROM users WHERE id = ?`, userID).Scan(&one)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return invite.Errorf(invite.ENOTFOUND, "no user with ID %d", userID)
			case err != nil:
				return s.errorf("change password", err)
			}
			return invite.Errorf(invite.ECONFLICT, "the password of user %d changed meanwhile", userID)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?`, userID, keep); err != nil {
			return s.errorf("end other sessions", err)
		}
		return tx.insertAuditUser(ctx, ev, userID)
	})
}
