package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/schema"
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
	err := s.write(ctx, func(tx *Tx) error {
		// An invitation's email never changes, so it can be read before the
		// row is locked.
		var email string
		err := tx.row(ctx, `SELECT email FROM invitations WHERE id = ?`, inv.ID).Scan(&email)
		if errors.Is(err, sql.ErrNoRows) {
			return invite.ErrLinkUnknown
		}
		if err != nil {
			return s.errorf(fmt.Sprintf("accept invitation %d", inv.ID), err)
		}
		// The same lock as CreateInvitation's, taken before the row's as
		// there: no invitation for this email is created between this
		// account's check and its commit.
		if err := tx.lockEmail(ctx, invite.EmailKey(email)); err != nil {
			return err
		}
		// The row is read under the write lock, or locked (FOR UPDATE, which
		// waits for a concurrent change to commit): the account gets the
		// details as they are now, and a refusal gives the current reason.
		cur, err := s.invitationByID(ctx, tx.tx.QueryRowContext, inv.ID, s.d.ForUpdate)
		if invite.ErrorCode(err) == invite.ENOTFOUND {
			return invite.ErrLinkUnknown
		}
		if err != nil {
			return err
		}
		if err := invite.LinkRefusal(cur, inv.LinkGeneration, at); err != nil {
			return err
		}
		// The condition is the guarantee; the checks above only say why it fails.
		res, err := tx.Exec(ctx, `UPDATE invitations SET state = 'accepted', accepted_at = ?, version = version + 1
			WHERE id = ? AND `+usableLink,
			s.d.Time(at), inv.ID, inv.LinkGeneration, s.d.Time(at))
		if err != nil {
			return s.errorf(fmt.Sprintf("accept invitation %d", inv.ID), err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			// Cannot happen with the row locked and just checked.
			return s.errorf(fmt.Sprintf("accept invitation %d", inv.ID), fmt.Errorf("the conditional update wrote %d rows (%v)", n, err))
		}
		tx.count(cur.CustomerID, invite.StatePending, cur.ExpiresAt, -1)
		tx.count(cur.CustomerID, invite.StateAccepted, cur.ExpiresAt, 1)
		// Accepted: an email still waiting to invite is pointless now.
		if err := tx.supersede(ctx, inv.ID); err != nil {
			return err
		}
		if err := tx.syncDelivery(ctx, inv.ID); err != nil {
			return err
		}
		user.CustomerID, user.Customer, user.Email = cur.CustomerID, cur.Customer, cur.Email
		user.Details, user.InvitationID = cur.Details, cur.ID
		if user.ID, err = tx.insertUser(ctx, &user); err != nil {
			return err
		}
		sess.UserID = user.ID
		if err := tx.openSession(ctx, sess); err != nil {
			return err
		}
		user.LastSignedInAt = stored(sess.CreatedAt)
		return tx.insertAuditUser(ctx, ev, user.ID)
	})
	if err == nil {
		*u = user
	}
	return err
}

// usableLink is invite.LinkRefusal in SQL, over an invitation row: the
// condition of an accept, with the link's generation and the time as its
// arguments. TestUsableLinkIsLinkRefusal holds the two together.
const usableLink = `state = 'pending' AND link_generation = ? AND expires_at > ?`

// userColumns are the columns userRow fills, in its order.
var userColumns = slices.Concat([]string{"id", "customer_id", "email", "email_key"}, fieldColumns, []string{
	"language", "password_hash", "email_verified_at", "privacy_accepted_at", "invitation_id", "created_at",
	"last_signed_in_at",
})

// userRow is u as the values of userColumns.
func (s *Store) userRow(u *invite.User) []any {
	email := strings.TrimSpace(u.Email)
	return slices.Concat([]any{u.ID, u.CustomerID, email, invite.EmailKey(email)}, fieldValues(&u.Details), []any{
		u.Language, u.PasswordHash, s.nullTime(u.EmailVerifiedAt), s.nullTime(u.PrivacyAcceptedAt), nullID(u.InvitationID),
		s.d.Time(u.CreatedAt), s.nullTime(u.LastSignedInAt),
	})
}

// insertUser inserts u with a fresh ID. The unique index on the email key
// decides between two concurrent accounts for one email: the second waits
// for the first to commit and then fails, which is ErrAccountExists.
func (t *Tx) insertUser(ctx context.Context, u *invite.User) (int64, error) {
	var exists bool
	if err := t.row(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE email_key = ?)`, invite.EmailKey(u.Email)).Scan(&exists); err != nil {
		return 0, t.s.errorf("create user", err)
	}
	if exists {
		return 0, invite.ErrAccountExists
	}
	var id int64
	err := t.row(ctx, insertSQL("users", userColumns[1:], " RETURNING id"), t.s.userRow(u)[1:]...).Scan(&id)
	switch {
	case t.s.d.IsUnique(err):
		return 0, invite.ErrAccountExists
	case t.s.d.IsForeignKey(err):
		return 0, invite.Errorf(invite.ENOTFOUND, "no customer with ID %d", u.CustomerID)
	case err != nil:
		return 0, t.s.errorf("create user", err)
	}
	return id, nil
}

var userSelect = `SELECT u.id, u.customer_id, c.name, u.email, ` + columns("u.") + `,
	u.language, u.password_hash, u.email_verified_at, u.privacy_accepted_at, u.invitation_id, u.created_at,
	u.last_signed_in_at`

// userFrom is the table userSelect reads, with the user's customer.
const userFrom = ` FROM users u JOIN customers c ON c.id = u.customer_id`

func scanUser(sc scanner) (invite.User, error) {
	var u invite.User
	err := sc.Scan(slices.Concat([]any{&u.ID, &u.CustomerID, &u.Customer, &u.Email}, fieldScanners(&u.Details), []any{
		&u.Language, &u.PasswordHash, scanTime{&u.EmailVerifiedAt}, scanTime{&u.PrivacyAcceptedAt},
		scanID{&u.InvitationID}, scanTime{&u.CreatedAt}, scanTime{&u.LastSignedInAt}})...)
	return u, err
}

// ListUsers returns one page of users ordered by id, and the number of all
// users. EINVALID for a page below 1 or a page size outside 1–MaxPerPage.
func (s *Store) ListUsers(ctx context.Context, page, perPage int) (invite.UserPage, error) {
	return s.FindUsers(ctx, invite.UserQuery{Page: page, PerPage: perPage})
}

// FindUsers returns one page of the users of q, ordered by id, and the
// number of all of them, read from one snapshot. A search matches as a
// list's does (every term a substring of the folded first name, last name
// or email); users keep no search column, so a search reads the users (of
// the customer) once, in id order, and keeps only the page.
func (s *Store) FindUsers(ctx context.Context, q invite.UserQuery) (invite.UserPage, error) {
	if err := (invite.ListQuery{Page: q.Page, PerPage: q.PerPage}).Validate(); err != nil {
		return invite.UserPage{}, err
	}
	where, args := "", []any{}
	if q.CustomerID != 0 {
		where, args = " WHERE u.customer_id = ?", append(args, q.CustomerID)
	}
	offset := invite.PageOffset(q.Page, q.PerPage)
	terms := schema.SearchTerms(q.Search)
	var out invite.UserPage
	err := s.read(ctx, func(tx *Tx) error {
		from := userSelect + userFrom + where + ` ORDER BY u.id`
		if len(terms) > 0 {
			rows, err := tx.query(ctx, from, args...)
			return each(rows, err, scanUser, func(u invite.User) error {
				text := schema.SearchText(u.FirstName, u.LastName, u.Email)
				for _, t := range terms {
					if !strings.Contains(text, t) {
						return nil
					}
				}
				if out.Total >= offset && len(out.Users) < q.PerPage {
					out.Users = append(out.Users, u)
				}
				out.Total++
				return nil
			})
		}
		if err := tx.row(ctx, `SELECT count(*) FROM users u`+where, args...).Scan(&out.Total); err != nil {
			return err
		}
		if offset >= out.Total {
			return nil
		}
		rows, err := tx.query(ctx, from+` LIMIT ? OFFSET ?`, append(args, q.PerPage, offset)...)
		out.Users, err = collect(rows, err, scanUser)
		return err
	})
	if err != nil {
		return invite.UserPage{}, s.errorf("list users", err)
	}
	return out, nil
}

// UserByEmail finds a user by email, ignoring case. ENOTFOUND if none.
func (s *Store) UserByEmail(ctx context.Context, email string) (invite.User, error) {
	return s.userWhere(ctx, `u.email_key = ?`, invite.EmailKey(email), "no user with email "+email)
}

// userWhere reads the user that cond selects with arg; ENOTFOUND, saying
// notFound, if there is none.
func (s *Store) userWhere(ctx context.Context, cond string, arg any, notFound string) (invite.User, error) {
	u, err := scanUser(s.row(ctx, userSelect+userFrom+` WHERE `+cond, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return u, invite.Errorf(invite.ENOTFOUND, "%s", notFound)
	}
	if err != nil {
		return u, s.errorf("find user", err)
	}
	return u, nil
}

// SessionUser returns the user of a session that is live at now. ENOTFOUND
// if the session does not exist or has expired.
func (s *Store) SessionUser(ctx context.Context, idHash []byte, now time.Time) (invite.User, error) {
	u, err := scanUser(s.row(ctx, userSelect+`
		FROM sessions s JOIN users u ON u.id = s.user_id JOIN customers c ON c.id = u.customer_id
		WHERE s.id_hash = ? AND s.expires_at > ?`, idHash, s.d.Time(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return u, invite.Errorf(invite.ENOTFOUND, "not signed in")
	}
	if err != nil {
		return u, s.errorf("session", err)
	}
	return u, nil
}

// DeleteSession ends a session; deleting a missing one is not an error.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
			return s.errorf("delete session", err)
		}
		return nil
	})
}
