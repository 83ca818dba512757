package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
)

// invitationColumns are read by scanInvitation, in its order; c is the
// invitation's customer.
const invitationColumns = `i.id, i.customer_id, c.name, i.email, i.first_name, i.last_name,
	i.swedish_citizen, i.eu_eea_citizen, i.personal_number, i.lma_number, i.phone, i.gender,
	i.language, i.state, i.link_generation, i.expires_at, i.created_at, i.created_by,
	i.last_sent_at, i.send_count, i.accepted_at, i.revoked_at, i.version`

const insertInvitationSQL = `INSERT INTO invitations (
	id, customer_id, customer_key, email, email_key, first_name, first_name_key, last_name, last_name_key,
	search_text, swedish_citizen, eu_eea_citizen, personal_number, lma_number, phone, gender,
	language, state, link_generation, expires_at, created_at, created_by,
	last_sent_at, send_count, accepted_at, revoked_at, version
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// CreateInvitation inserts inv at version 1 with its audit event, setting
// inv.ID. ENOTFOUND if the customer does not exist; ErrEmailTaken if the
// email has an open invitation or an account.
func (s *Store) CreateInvitation(ctx context.Context, inv *invite.Invitation, ev invite.AuditEvent) error {
	row := *inv
	row.Email = strings.TrimSpace(row.Email)
	row.Version = 1
	k := keysOf(&row)
	err := s.write(ctx, func(tx *sql.Tx) error {
		var custKey []byte
		err := tx.QueryRowContext(ctx, `SELECT name, sort_key FROM customers WHERE id = ?`, row.CustomerID).Scan(&row.Customer, &custKey)
		if errors.Is(err, sql.ErrNoRows) {
			return invite.Errorf(invite.ENOTFOUND, "no customer with ID %d", row.CustomerID)
		}
		if err != nil {
			return fmt.Errorf("sqlite: create invitation: %w", err)
		}
		var taken bool
		err = tx.QueryRowContext(ctx, `SELECT
			EXISTS (SELECT 1 FROM invitations WHERE email_key = ? AND state = 'pending') OR
			EXISTS (SELECT 1 FROM users WHERE email_key = ?)`, k.email, k.email).Scan(&taken)
		if err != nil {
			return fmt.Errorf("sqlite: create invitation: %w", err)
		}
		if taken {
			return invite.ErrEmailTaken
		}
		res, err := tx.ExecContext(ctx, insertInvitationSQL, insertArgs(&row, k, custKey)...)
		if isUnique(err) {
			return invite.ErrEmailTaken
		}
		if err != nil {
			return fmt.Errorf("sqlite: create invitation: %w", err)
		}
		if row.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("sqlite: create invitation: %w", err)
		}
		if ev.InvitationID == 0 {
			ev.InvitationID = row.ID
		}
		return insertAudit(ctx, tx, ev)
	})
	if err == nil {
		*inv = row
	}
	return err
}

func insertArgs(inv *invite.Invitation, k keys, customerKey []byte) []any {
	var id any
	if inv.ID != 0 {
		id = inv.ID
	}
	version := inv.Version
	if version < 1 {
		version = 1
	}
	return []any{
		id, inv.CustomerID, customerKey, strings.TrimSpace(inv.Email), k.email,
		inv.FirstName, k.firstName, inv.LastName, k.lastName, k.search,
		tristate(inv.SwedishCitizen), tristate(inv.EUCitizen), nullString(inv.PersonalNumber),
		nullString(inv.LMANumber), nullString(inv.Phone), nullString(string(inv.Gender)),
		inv.Language, string(inv.State), inv.LinkGeneration, micros(inv.ExpiresAt), micros(inv.CreatedAt),
		nullString(inv.CreatedBy), micros(inv.LastSentAt), inv.SendCount,
		nullMicros(inv.AcceptedAt), nullMicros(inv.RevokedAt), version,
	}
}

// Invitation returns one invitation. ENOTFOUND if none.
func (s *Store) Invitation(ctx context.Context, id int64) (invite.Invitation, error) {
	return invitationByID(ctx, s.r, id)
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func invitationByID(ctx context.Context, q queryer, id int64) (invite.Invitation, error) {
	inv, err := scanInvitation(q.QueryRowContext(ctx,
		`SELECT `+invitationColumns+` FROM invitations i JOIN customers c ON c.id = i.customer_id WHERE i.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return inv, invite.Errorf(invite.ENOTFOUND, "no invitation with ID %d", id)
	}
	if err != nil {
		return inv, fmt.Errorf("sqlite: invitation %d: %w", id, err)
	}
	return inv, nil
}

// InvitationsByEmail returns the invitations for an email, ignoring case,
// newest first; customerID 0 means any customer.
func (s *Store) InvitationsByEmail(ctx context.Context, email string, customerID int64) ([]invite.Invitation, error) {
	// Naming every state lets the email sort index, which is led by state,
	// answer the lookup.
	query := `SELECT ` + invitationColumns + ` FROM invitations i JOIN customers c ON c.id = i.customer_id
		WHERE i.state IN ('pending', 'accepted', 'revoked') AND i.email_key = ?`
	args := []any{invite.EmailKey(email)}
	if customerID != 0 {
		query += ` AND i.customer_id = ?`
		args = append(args, customerID)
	}
	rows, err := s.r.QueryContext(ctx, query+` ORDER BY i.created_at DESC, i.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: invitations for %s: %w", email, err)
	}
	out, err := scanInvitations(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: invitations for %s: %w", email, err)
	}
	return out, nil
}

// InsertInvitations inserts many invitations in one transaction with one
// prepared statement; IDs are kept when set. It is for seed and copy: there
// are no checks beyond the schema's, and audit events are not written.
func (s *Store) InsertInvitations(ctx context.Context, invs []invite.Invitation) error {
	if len(invs) == 0 {
		return nil
	}
	// Collation keys cost a fifth of an insert: compute them on another core
	// while the rows before them are inserted.
	keyed := computeKeys(invs)
	defer keyed.stop()
	return s.write(ctx, func(tx *sql.Tx) error {
		custKeys := map[int64][]byte{}
		for i := range invs {
			id := invs[i].CustomerID
			if _, ok := custKeys[id]; ok {
				continue
			}
			var key []byte
			err := tx.QueryRowContext(ctx, `SELECT sort_key FROM customers WHERE id = ?`, id).Scan(&key)
			if errors.Is(err, sql.ErrNoRows) {
				return invite.Errorf(invite.ENOTFOUND, "no customer with ID %d", id)
			}
			if err != nil {
				return fmt.Errorf("sqlite: insert invitations: %w", err)
			}
			custKeys[id] = key
		}
		stmt, err := tx.PrepareContext(ctx, insertInvitationSQL)
		if err != nil {
			return fmt.Errorf("sqlite: insert invitations: %w", err)
		}
		defer stmt.Close()
		for i := range invs {
			inv := &invs[i]
			_, err := stmt.ExecContext(ctx, insertArgs(inv, keyed.get(i), custKeys[inv.CustomerID])...)
			if isUnique(err) {
				return &invite.Error{Code: invite.ECONFLICT, Err: err, Message: fmt.Sprintf(
					"the invitation for %s conflicts with a stored one: the same ID, or another open invitation for the email", inv.Email)}
			}
			if err != nil {
				return fmt.Errorf("sqlite: insert invitation for %s: %w", inv.Email, err)
			}
		}
		return nil
	})
}

// keyChunk is how many rows' keys are handed over at a time.
const keyChunk = 512

// pendingKeys are the keys of a batch, computed in order by a goroutine.
type pendingKeys struct {
	keys  []keys
	ready chan int      // receives the number of rows whose keys are done
	done  chan struct{} // closed to stop the goroutine early
	upTo  int
}

func computeKeys(invs []invite.Invitation) *pendingKeys {
	p := &pendingKeys{keys: make([]keys, len(invs)), ready: make(chan int, 8), done: make(chan struct{})}
	go func() {
		defer close(p.ready)
		for start := 0; start < len(invs); start += keyChunk {
			end := min(start+keyChunk, len(invs))
			for i := start; i < end; i++ {
				p.keys[i] = keysOf(&invs[i])
			}
			select {
			case p.ready <- end:
			case <-p.done:
				return
			}
		}
	}()
	return p
}

// get waits for the keys of row i.
func (p *pendingKeys) get(i int) keys {
	for i >= p.upTo {
		n, ok := <-p.ready
		if !ok {
			panic("sqlite: keys of a batch requested after their computation stopped")
		}
		p.upTo = n
	}
	return p.keys[i]
}

func (p *pendingKeys) stop() { close(p.done) }

type scanner interface{ Scan(dest ...any) error }

func scanInvitation(sc scanner) (invite.Invitation, error) {
	var inv invite.Invitation
	var swedish, eu, accepted, revoked sql.NullInt64
	var pnr, lma, phone, gender, createdBy sql.NullString
	var state string
	var expires, created, sent int64
	err := sc.Scan(&inv.ID, &inv.CustomerID, &inv.Customer, &inv.Email, &inv.FirstName, &inv.LastName,
		&swedish, &eu, &pnr, &lma, &phone, &gender,
		&inv.Language, &state, &inv.LinkGeneration, &expires, &created, &createdBy,
		&sent, &inv.SendCount, &accepted, &revoked, &inv.Version)
	if err != nil {
		return invite.Invitation{}, err
	}
	inv.SwedishCitizen, inv.EUCitizen = fromTristate(swedish), fromTristate(eu)
	inv.PersonalNumber, inv.LMANumber, inv.Phone = pnr.String, lma.String, phone.String
	inv.Gender, inv.CreatedBy = invite.Gender(gender.String), createdBy.String
	inv.State = invite.State(state)
	inv.ExpiresAt, inv.CreatedAt, inv.LastSentAt = fromMicros(expires), fromMicros(created), fromMicros(sent)
	inv.AcceptedAt, inv.RevokedAt = fromNullMicros(accepted), fromNullMicros(revoked)
	return inv, nil
}

func scanInvitations(rows *sql.Rows) ([]invite.Invitation, error) {
	defer rows.Close()
	var out []invite.Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}
