package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// Accept accepts invitation inv.ID at time inv.AcceptedAt (u.CreatedAt when
// zero), on the condition that it is still pending, on link generation
// inv.LinkGeneration (the generation in the link's token), and unexpired at
// that time; its version does not matter, so an administrator's edit or
// resend in between is no reason to refuse. It creates the user u (setting
// u.ID) with the customer, email and details of the invitation as stored in
// the accepting transaction, creates the session sess and records ev: all or
// nothing. The other fields of inv are not read.
//
// When the condition fails it says why: ErrLinkUnknown if the invitation
// does not exist; ErrLinkUsed if it was accepted (so of two concurrent
// accepts the second sees a used link); ErrLinkRevoked if it was revoked;
// ErrLinkExpired if its link was renewed (another generation) or it expired.
// ErrAccountExists if a user with the email exists.
func (s *Store) Accept(ctx context.Context, inv invite.Invitation, u *invite.User, sess invite.Session, ev invite.AuditEvent) error {
	at := inv.AcceptedAt
	if at.IsZero() {
		at = u.CreatedAt
	}
	if ev.InvitationID == 0 {
		ev.InvitationID = inv.ID
	}
	user := *u
	err := s.write(ctx, func(tx *sql.Tx) error {
		// The write transaction began IMMEDIATE and so holds the write lock:
		// the row read here is the one the update below changes, with every
		// committed edit in it.
		cur, err := invitationByID(ctx, tx, inv.ID)
		if invite.ErrorCode(err) == invite.ENOTFOUND {
			return invite.ErrLinkUnknown
		}
		if err != nil {
			return fmt.Errorf("sqlite: accept invitation %d: %w", inv.ID, err)
		}
		if err := acceptRefusal(&cur, inv.LinkGeneration, at); err != nil {
			return err
		}
		// The condition is the guarantee; the checks above only say why it fails.
		res, err := tx.ExecContext(ctx, `UPDATE invitations SET state = 'accepted', accepted_at = ?, version = version + 1
			WHERE id = ? AND state = 'pending' AND link_generation = ? AND expires_at > ?`,
			micros(at), inv.ID, inv.LinkGeneration, micros(at))
		if err != nil {
			return fmt.Errorf("sqlite: accept invitation %d: %w", inv.ID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("sqlite: accept invitation %d: %w", inv.ID, err)
		}
		if n != 1 {
			// Cannot happen under the write lock, with the row just checked.
			return fmt.Errorf("sqlite: accept invitation %d: the conditional update wrote %d rows", inv.ID, n)
		}
		user.CustomerID, user.Customer, user.Email = cur.CustomerID, cur.Customer, cur.Email
		user.Details, user.InvitationID = cur.Details, cur.ID
		if user.ID, err = insertUser(ctx, tx, &user); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			sess.IDHash, user.ID, micros(sess.CreatedAt), micros(sess.ExpiresAt))
		if err != nil {
			return fmt.Errorf("sqlite: create session: %w", err)
		}
		return insertAudit(ctx, tx, ev)
	})
	if err == nil {
		*u = user
	}
	return err
}

// acceptRefusal says why the stored invitation cur cannot be accepted at
// time at through a link of generation gen, or returns nil when it can.
// The order is the one the registration page reports (invite.Service.OpenLink).
func acceptRefusal(cur *invite.Invitation, gen int, at time.Time) error {
	switch {
	case cur.State == invite.StateAccepted:
		return invite.ErrLinkUsed
	case cur.State == invite.StateRevoked:
		return invite.ErrLinkRevoked
	case cur.State != invite.StatePending:
		return fmt.Errorf("sqlite: invitation %d is in unknown state %q", cur.ID, cur.State)
	case cur.LinkGeneration != gen:
		// Only an expired link is ever replaced: an older generation is an expired link.
		return invite.ErrLinkExpired
	case !at.Before(cur.ExpiresAt):
		return invite.ErrLinkExpired
	}
	return nil
}

func insertUser(ctx context.Context, tx *sql.Tx, u *invite.User) (int64, error) {
	key := invite.EmailKey(u.Email)
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE email_key = ?)`, key).Scan(&exists); err != nil {
		return 0, fmt.Errorf("sqlite: create user: %w", err)
	}
	if exists {
		return 0, invite.ErrAccountExists
	}
	var invID any
	if u.InvitationID != 0 {
		invID = u.InvitationID
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO users (
			customer_id, email, email_key, first_name, last_name, swedish_citizen, eu_eea_citizen,
			personal_number, lma_number, phone, gender, language, password_hash,
			email_verified_at, privacy_accepted_at, invitation_id, created_at
		) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.CustomerID, u.Email, key, u.FirstName, u.LastName, tristate(u.SwedishCitizen), tristate(u.EUCitizen),
		nullString(u.PersonalNumber), nullString(u.LMANumber), nullString(u.Phone), nullString(string(u.Gender)),
		u.Language, u.PasswordHash, nullMicros(u.EmailVerifiedAt), nullMicros(u.PrivacyAcceptedAt), invID,
		micros(u.CreatedAt))
	if isUnique(err) {
		return 0, invite.ErrAccountExists
	}
	if isForeignKey(err) {
		return 0, invite.Errorf(invite.ENOTFOUND, "no customer with ID %d", u.CustomerID)
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: create user: %w", err)
	}
	return res.LastInsertId()
}

const userColumns = `u.id, u.customer_id, c.name, u.email, u.first_name, u.last_name,
	u.swedish_citizen, u.eu_eea_citizen, u.personal_number, u.lma_number, u.phone, u.gender,
	u.language, u.password_hash, u.email_verified_at, u.privacy_accepted_at, u.invitation_id, u.created_at`

func scanUser(sc scanner) (invite.User, error) {
	var u invite.User
	var swedish, eu, verified, privacy, invID sql.NullInt64
	var pnr, lma, phone, gender sql.NullString
	var created int64
	err := sc.Scan(&u.ID, &u.CustomerID, &u.Customer, &u.Email, &u.FirstName, &u.LastName,
		&swedish, &eu, &pnr, &lma, &phone, &gender,
		&u.Language, &u.PasswordHash, &verified, &privacy, &invID, &created)
	if err != nil {
		return invite.User{}, err
	}
	u.SwedishCitizen, u.EUCitizen = fromTristate(swedish), fromTristate(eu)
	u.PersonalNumber, u.LMANumber, u.Phone, u.Gender = pnr.String, lma.String, phone.String, invite.Gender(gender.String)
	u.EmailVerifiedAt, u.PrivacyAcceptedAt = fromNullMicros(verified), fromNullMicros(privacy)
	u.InvitationID, u.CreatedAt = invID.Int64, fromMicros(created)
	return u, nil
}

// ListUsers returns one page of users ordered by id, and the number of all
// users. EINVALID for a page below 1 or a page size outside 1–MaxPerPage.
func (s *Store) ListUsers(ctx context.Context, page, perPage int) (invite.UserPage, error) {
	q := invite.ListQuery{Page: page, PerPage: perPage}
	if err := q.Validate(); err != nil {
		return invite.UserPage{}, err
	}
	var out invite.UserPage
	err := s.read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&out.Total); err != nil {
			return fmt.Errorf("sqlite: count users: %w", err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+userColumns+` FROM users u JOIN customers c ON c.id = u.customer_id
			ORDER BY u.id LIMIT ? OFFSET ?`, perPage, q.Offset())
		if err != nil {
			return fmt.Errorf("sqlite: list users: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				return fmt.Errorf("sqlite: list users: %w", err)
			}
			out.Users = append(out.Users, u)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("sqlite: list users: %w", err)
		}
		return nil
	})
	return out, err
}

// SessionUser returns the user of a session that is live at now. ENOTFOUND
// if the session does not exist or has expired.
func (s *Store) SessionUser(ctx context.Context, idHash []byte, now time.Time) (invite.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+`
		FROM sessions s JOIN users u ON u.id = s.user_id JOIN customers c ON c.id = u.customer_id
		WHERE s.id_hash = ? AND s.expires_at > ?`, idHash, micros(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return u, invite.Errorf(invite.ENOTFOUND, "not signed in")
	}
	if err != nil {
		return u, fmt.Errorf("sqlite: session: %w", err)
	}
	return u, nil
}

// DeleteSession ends a session; deleting a missing one is not an error.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
			return fmt.Errorf("sqlite: delete session: %w", err)
		}
		return nil
	})
}
