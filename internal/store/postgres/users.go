package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

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
	err := s.write(ctx, func(tx pgx.Tx) error {
		// An invitation's email never changes, so it can be read before the
		// row is locked.
		var email string
		err := tx.QueryRow(ctx, `SELECT email FROM invitations WHERE id = $1`, inv.ID).Scan(&email)
		if errors.Is(err, pgx.ErrNoRows) {
			return invite.ErrLinkUnknown
		}
		if err != nil {
			return fmt.Errorf("postgres: accept invitation %d: %w", inv.ID, err)
		}
		key := emailKey(email)
		// The same lock as CreateInvitation's, taken before the row's as
		// there: no invitation for this email is created between this
		// account's check and its commit.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, emailLock(key)); err != nil {
			return fmt.Errorf("postgres: accept invitation %d: %w", inv.ID, err)
		}
		// FOR UPDATE waits for a concurrent change of the row to commit and
		// then reads the row as committed, and keeps it from changing until
		// this transaction ends: the account gets the details as they are
		// now, and the reason for a refusal is the current one.
		cur, err := scanInvitation(tx.QueryRow(ctx, `SELECT `+invitationColumns+`
			FROM invitations i JOIN customers c ON c.id = i.customer_id WHERE i.id = $1 FOR UPDATE OF i`, inv.ID))
		if errors.Is(err, pgx.ErrNoRows) {
			return invite.ErrLinkUnknown
		}
		if err != nil {
			return fmt.Errorf("postgres: accept invitation %d: %w", inv.ID, err)
		}
		if err := acceptRefusal(&cur, inv.LinkGeneration, at); err != nil {
			return err
		}
		// The condition is the guarantee; the checks above only say why it fails.
		tag, err := tx.Exec(ctx, `UPDATE invitations SET state = 'accepted', accepted_at = $2, version = version + 1
			WHERE id = $1 AND state = 'pending' AND link_generation = $3 AND expires_at > $2`,
			inv.ID, ts(at), int32(inv.LinkGeneration))
		if err != nil {
			return fmt.Errorf("postgres: accept invitation %d: %w", inv.ID, err)
		}
		if tag.RowsAffected() != 1 {
			// Cannot happen with the row locked and just checked.
			return fmt.Errorf("postgres: accept invitation %d: the conditional update wrote %d rows", inv.ID, tag.RowsAffected())
		}
		user.CustomerID, user.Customer, user.Email = cur.CustomerID, cur.Customer, cur.Email
		user.Details, user.InvitationID = cur.Details, cur.ID
		if user.ID, err = insertUser(ctx, tx, &user, key); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			sess.IDHash, user.ID, ts(sess.CreatedAt), ts(sess.ExpiresAt))
		if err != nil {
			return fmt.Errorf("postgres: create session: %w", err)
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
		return fmt.Errorf("postgres: invitation %d is in unknown state %q", cur.ID, cur.State)
	case cur.LinkGeneration != gen:
		// Only an expired link is ever replaced: an older generation is an expired link.
		return invite.ErrLinkExpired
	case !at.Before(cur.ExpiresAt):
		return invite.ErrLinkExpired
	}
	return nil
}

// userColumns are the columns insertUser and exported rows fill, in order.
var userColumns = []string{
	"id", "customer_id", "email", "email_key", "first_name", "last_name", "swedish_citizen",
	"eu_eea_citizen", "personal_number", "lma_number", "phone", "gender", "language",
	"password_hash", "email_verified_at", "privacy_accepted_at", "invitation_id", "created_at",
}

// userRow is u as the values of userColumns.
func userRow(u *invite.User, key []byte) []any {
	return []any{
		u.ID, u.CustomerID, u.Email, key, u.FirstName, u.LastName, u.SwedishCitizen.Bool(), u.EUCitizen.Bool(),
		nullString(u.PersonalNumber), nullString(u.LMANumber), nullString(u.Phone), nullString(string(u.Gender)),
		u.Language, u.PasswordHash, nullTime(u.EmailVerifiedAt), nullTime(u.PrivacyAcceptedAt), nullID(u.InvitationID),
		ts(u.CreatedAt),
	}
}

// insertUser inserts u with a fresh ID. The unique index on the email key
// decides between two concurrent accounts for one email: the second waits
// for the first to commit and then fails, which is ErrAccountExists.
func insertUser(ctx context.Context, tx pgx.Tx, u *invite.User, key []byte) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO users (`+strings.Join(userColumns[1:], ", ")+`)
		VALUES (`+placeholders(len(userColumns)-1)+`) RETURNING id`, userRow(u, key)[1:]...).Scan(&id)
	if isUnique(err) {
		return 0, invite.ErrAccountExists
	}
	if isForeignKey(err) {
		return 0, invite.Errorf(invite.ENOTFOUND, "no customer with ID %d", u.CustomerID)
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: create user: %w", err)
	}
	return id, nil
}

const userSelect = `u.id, u.customer_id, c.name, u.email, u.first_name, u.last_name,
	u.swedish_citizen, u.eu_eea_citizen, u.personal_number, u.lma_number, u.phone, u.gender,
	u.language, u.password_hash, u.email_verified_at, u.privacy_accepted_at, u.invitation_id, u.created_at`

func scanUser(row pgx.Row) (invite.User, error) {
	var u invite.User
	var swedish, eu *bool
	var pnr, lma, phone, gender *string
	var verified, privacy *time.Time
	var invID *int64
	err := row.Scan(&u.ID, &u.CustomerID, &u.Customer, &u.Email, &u.FirstName, &u.LastName,
		&swedish, &eu, &pnr, &lma, &phone, &gender,
		&u.Language, &u.PasswordHash, &verified, &privacy, &invID, &u.CreatedAt)
	if err != nil {
		return invite.User{}, err
	}
	u.SwedishCitizen, u.EUCitizen = invite.TristateOf(swedish), invite.TristateOf(eu)
	u.PersonalNumber, u.LMANumber, u.Phone = fromNullString(pnr), fromNullString(lma), fromNullString(phone)
	u.Gender = invite.Gender(fromNullString(gender))
	u.EmailVerifiedAt, u.PrivacyAcceptedAt = fromNullTime(verified), fromNullTime(privacy)
	u.InvitationID, u.CreatedAt = fromNullID(invID), fromTime(u.CreatedAt)
	return u, nil
}

func collectUser(row pgx.CollectableRow) (invite.User, error) { return scanUser(row) }

// ListUsers returns one page of users ordered by id, and the number of all
// users. EINVALID for a page below 1 or a page size outside 1–MaxPerPage.
func (s *Store) ListUsers(ctx context.Context, page, perPage int) (invite.UserPage, error) {
	q := invite.ListQuery{Page: page, PerPage: perPage}
	if err := q.Validate(); err != nil {
		return invite.UserPage{}, err
	}
	var out invite.UserPage
	err := s.read(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&out.Total); err != nil {
			return fmt.Errorf("postgres: count users: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT `+userSelect+` FROM users u JOIN customers c ON c.id = u.customer_id
			ORDER BY u.id LIMIT $1 OFFSET $2`, perPage, q.Offset())
		if err != nil {
			return fmt.Errorf("postgres: list users: %w", err)
		}
		if out.Users, err = pgx.CollectRows(rows, collectUser); err != nil {
			return fmt.Errorf("postgres: list users: %w", err)
		}
		return nil
	})
	return out, err
}

// SessionUser returns the user of a session that is live at now. ENOTFOUND
// if the session does not exist or has expired.
func (s *Store) SessionUser(ctx context.Context, idHash []byte, now time.Time) (invite.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userSelect+`
		FROM sessions s JOIN users u ON u.id = s.user_id JOIN customers c ON c.id = u.customer_id
		WHERE s.id_hash = $1 AND s.expires_at > $2`, idHash, ts(now)))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, invite.Errorf(invite.ENOTFOUND, "not signed in")
	}
	if err != nil {
		return u, fmt.Errorf("postgres: session: %w", err)
	}
	return u, nil
}

// DeleteSession ends a session; deleting a missing one is not an error.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("postgres: delete session: %w", err)
	}
	return nil
}
