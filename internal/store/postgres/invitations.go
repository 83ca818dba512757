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

// invitationColumns are read by scanInvitation, in its order; c is the
// invitation's customer.
const invitationColumns = `i.id, i.customer_id, c.name, i.email, i.first_name, i.last_name,
	i.swedish_citizen, i.eu_eea_citizen, i.personal_number, i.lma_number, i.phone, i.gender,
	i.language, i.state, i.link_generation, i.expires_at, i.created_at, i.created_by,
	i.last_sent_at, i.send_count, i.accepted_at, i.revoked_at, i.version`

// insertColumns are the columns insertRow fills, in its order.
var insertColumns = []string{
	"id", "customer_id", "customer_key", "email", "email_key", "first_name", "first_name_key",
	"last_name", "last_name_key", "search_text", "swedish_citizen", "eu_eea_citizen",
	"personal_number", "lma_number", "phone", "gender", "language", "state", "link_generation",
	"expires_at", "created_at", "created_by", "last_sent_at", "send_count", "accepted_at",
	"revoked_at", "version",
}

// CreateInvitation inserts inv at version 1 with its audit event, setting
// inv.ID. ENOTFOUND if the customer does not exist; ErrEmailTaken if the
// email has an open invitation or an account.
func (s *Store) CreateInvitation(ctx context.Context, inv *invite.Invitation, ev invite.AuditEvent) error {
	row := *inv
	row.Email = strings.TrimSpace(row.Email)
	row.Version = 1
	k := keysOf(&row)
	err := s.write(ctx, func(tx pgx.Tx) error {
		var custKey []byte
		err := tx.QueryRow(ctx, `SELECT name, sort_key FROM customers WHERE id = $1`, row.CustomerID).Scan(&row.Customer, &custKey)
		if errors.Is(err, pgx.ErrNoRows) {
			return invite.Errorf(invite.ENOTFOUND, "no customer with ID %d", row.CustomerID)
		}
		if err != nil {
			return fmt.Errorf("postgres: create invitation: %w", err)
		}
		// Held until commit: an accept of another invitation for this email
		// cannot create the account between the check and the insert.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, emailLock(k.email)); err != nil {
			return fmt.Errorf("postgres: create invitation: %w", err)
		}
		var taken bool
		err = tx.QueryRow(ctx, `SELECT
			EXISTS (SELECT 1 FROM invitations WHERE email_key = $1 AND state = 'pending') OR
			EXISTS (SELECT 1 FROM users WHERE email_key = $1)`, k.email).Scan(&taken)
		if err != nil {
			return fmt.Errorf("postgres: create invitation: %w", err)
		}
		if taken {
			return invite.ErrEmailTaken
		}
		err = tx.QueryRow(ctx, `INSERT INTO invitations (`+strings.Join(insertColumns[1:], ", ")+`)
			VALUES (`+placeholders(len(insertColumns)-1)+`) RETURNING id`,
			insertRow(&row, k, custKey)[1:]...).Scan(&row.ID)
		if isUnique(err) {
			return invite.ErrEmailTaken
		}
		if err != nil {
			return fmt.Errorf("postgres: create invitation: %w", err)
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

// placeholders returns "$1, $2, …, $n".
func placeholders(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", i)
	}
	return b.String()
}

// insertRow is inv as the values of insertColumns.
func insertRow(inv *invite.Invitation, k keys, customerKey []byte) []any {
	version := inv.Version
	if version < 1 {
		version = 1
	}
	return []any{
		inv.ID, inv.CustomerID, customerKey, strings.TrimSpace(inv.Email), k.email,
		inv.FirstName, k.firstName, inv.LastName, k.lastName, k.search,
		inv.SwedishCitizen.Bool(), inv.EUCitizen.Bool(), nullString(inv.PersonalNumber),
		nullString(inv.LMANumber), nullString(inv.Phone), nullString(string(inv.Gender)),
		inv.Language, string(inv.State), int32(inv.LinkGeneration), ts(inv.ExpiresAt), ts(inv.CreatedAt),
		nullString(inv.CreatedBy), ts(inv.LastSentAt), int32(inv.SendCount),
		nullTime(inv.AcceptedAt), nullTime(inv.RevokedAt), int32(version),
	}
}

// Invitation returns one invitation. ENOTFOUND if none.
func (s *Store) Invitation(ctx context.Context, id int64) (invite.Invitation, error) {
	return invitationByID(ctx, s.pool, id)
}

// querier is a pool, a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func invitationByID(ctx context.Context, q querier, id int64) (invite.Invitation, error) {
	inv, err := scanInvitation(q.QueryRow(ctx,
		`SELECT `+invitationColumns+` FROM invitations i JOIN customers c ON c.id = i.customer_id WHERE i.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return inv, invite.Errorf(invite.ENOTFOUND, "no invitation with ID %d", id)
	}
	if err != nil {
		return inv, fmt.Errorf("postgres: invitation %d: %w", id, err)
	}
	return inv, nil
}

// InvitationsByEmail returns the invitations for an email, ignoring case,
// newest first; customerID 0 means any customer.
func (s *Store) InvitationsByEmail(ctx context.Context, email string, customerID int64) ([]invite.Invitation, error) {
	// Naming every state lets the email sort index, which is led by state,
	// answer the lookup.
	query := `SELECT ` + invitationColumns + ` FROM invitations i JOIN customers c ON c.id = i.customer_id
		WHERE i.state IN ('pending', 'accepted', 'revoked') AND i.email_key = $1`
	args := []any{emailKey(email)}
	if customerID != 0 {
		query += ` AND i.customer_id = $2`
		args = append(args, customerID)
	}
	rows, err := s.pool.Query(ctx, query+` ORDER BY i.created_at DESC, i.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: invitations for %s: %w", email, err)
	}
	out, err := pgx.CollectRows(rows, collectInvitation)
	if err != nil {
		return nil, fmt.Errorf("postgres: invitations for %s: %w", email, err)
	}
	return out, nil
}

// updateSQL writes the changeable columns of an invitation, $1…$20 from
// updateArgs, on the condition that its id is $21 and its version still
// $22. The search text's first line is the stored email, lower-cased in Go
// when the invitation was created: split_part keeps it without reading it.
const updateSQL = `UPDATE invitations SET
			first_name = $1, first_name_key = $2, last_name = $3, last_name_key = $4,
			search_text = split_part(search_text, E'\n', 1) || $5,
			swedish_citizen = $6, eu_eea_citizen = $7, personal_number = $8, lma_number = $9, phone = $10, gender = $11,
			language = $12, state = $13, link_generation = $14, expires_at = $15, created_by = $16,
			last_sent_at = $17, send_count = $18, accepted_at = $19, revoked_at = $20, version = version + 1
		WHERE id = $21 AND version = $22`

// updateArgs are the parameters of updateSQL for inv.
func updateArgs(inv *invite.Invitation) []any {
	return []any{
		inv.FirstName, invite.SortKey(inv.FirstName), inv.LastName, invite.SortKey(inv.LastName),
		searchNames(inv.FirstName, inv.LastName),
		inv.SwedishCitizen.Bool(), inv.EUCitizen.Bool(), nullString(inv.PersonalNumber),
		nullString(inv.LMANumber), nullString(inv.Phone), nullString(string(inv.Gender)),
		inv.Language, string(inv.State), int32(inv.LinkGeneration), ts(inv.ExpiresAt), nullString(inv.CreatedBy),
		ts(inv.LastSentAt), int32(inv.SendCount), nullTime(inv.AcceptedAt), nullTime(inv.RevokedAt),
		inv.ID, int32(inv.Version),
	}
}

// movedOrGone tells why a conditional update wrote nothing: the invitation
// exists (moved) or not (gone).
func movedOrGone(ctx context.Context, tx pgx.Tx, id int64, moved, gone error) error {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM invitations WHERE id = $1)`, id).Scan(&exists); err != nil {
		return fmt.Errorf("postgres: invitation %d: %w", id, err)
	}
	if exists {
		return moved
	}
	return gone
}

// InsertInvitations inserts many invitations in one transaction with COPY;
// IDs are kept when set, and the others come from the sequence. It is
// for seed and copy: there are no checks beyond the schema's, and audit
// events are not written.
func (s *Store) InsertInvitations(ctx context.Context, invs []invite.Invitation) error {
	if len(invs) == 0 {
		return nil
	}
	// Collation keys cost more than the inserts; compute them on every core
	// before the transaction starts.
	ks := make([]keys, len(invs))
	parallel(len(invs), func(i int) { ks[i] = keysOf(&invs[i]) })
	return s.write(ctx, func(tx pgx.Tx) error {
		return insertInvitations(ctx, tx, invs, ks)
	})
}

func insertInvitations(ctx context.Context, tx pgx.Tx, invs []invite.Invitation, ks []keys) error {
	custKeys, err := customerKeys(ctx, tx, invs)
	if err != nil {
		return err
	}
	// Rows with an ID are copied with it; the others get theirs from the
	// column's default, the sequence.
	var withID, withoutID [][]any
	for i := range invs {
		row := insertRow(&invs[i], ks[i], custKeys[invs[i].CustomerID])
		if invs[i].ID != 0 {
			withID = append(withID, row)
		} else {
			withoutID = append(withoutID, row[1:])
		}
	}
	if len(withID) > 0 {
		if err := copyInvitations(ctx, tx, insertColumns, withID); err != nil {
			return err
		}
		if err := fixSequence(ctx, tx, "invitations"); err != nil {
			return err
		}
	}
	if len(withoutID) > 0 {
		return copyInvitations(ctx, tx, insertColumns[1:], withoutID)
	}
	return nil
}

func copyInvitations(ctx context.Context, tx pgx.Tx, columns []string, rows [][]any) error {
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"invitations"}, columns, pgx.CopyFromRows(rows))
	if isUnique(err) {
		return &invite.Error{Code: invite.ECONFLICT, Err: err, Message: fmt.Sprintf(
			"the invitations conflict with stored ones (%s): the same ID, or another open invitation for an email", constraint(err))}
	}
	if isForeignKey(err) {
		return &invite.Error{Code: invite.ENOTFOUND, Err: err, Message: "an invitation names a customer that does not exist"}
	}
	if err != nil {
		return fmt.Errorf("postgres: insert invitations: %w", err)
	}
	return nil
}

// customerKeys returns the sort key of every customer the invitations name.
// ENOTFOUND if one does not exist.
func customerKeys(ctx context.Context, tx pgx.Tx, invs []invite.Invitation) (map[int64][]byte, error) {
	keys := map[int64][]byte{}
	var ids []int64
	for i := range invs {
		if _, ok := keys[invs[i].CustomerID]; !ok {
			keys[invs[i].CustomerID] = nil
			ids = append(ids, invs[i].CustomerID)
		}
	}
	rows, err := tx.Query(ctx, `SELECT id, sort_key FROM customers WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("postgres: insert invitations: %w", err)
	}
	var id int64
	var key []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &key}, func() error {
		keys[id] = key
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: insert invitations: %w", err)
	}
	for _, id := range ids {
		if keys[id] == nil {
			return nil, invite.Errorf(invite.ENOTFOUND, "no customer with ID %d", id)
		}
	}
	return keys, nil
}

// fixSequence moves table's id sequence past the highest id, after rows were
// inserted with their own ids, so that the next generated id is free.
func fixSequence(ctx context.Context, tx pgx.Tx, table string) error {
	_, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), coalesce(max(id), 0) + 1, false) FROM `+
		pgx.Identifier{table}.Sanitize(), table)
	if err != nil {
		return fmt.Errorf("postgres: move the %s id sequence: %w", table, err)
	}
	return nil
}

func scanInvitation(row pgx.Row) (invite.Invitation, error) {
	var inv invite.Invitation
	var swedish, eu *bool
	var pnr, lma, phone, gender, createdBy *string
	var accepted, revoked *time.Time
	var state string
	var gen, sendCount, version int32
	err := row.Scan(&inv.ID, &inv.CustomerID, &inv.Customer, &inv.Email, &inv.FirstName, &inv.LastName,
		&swedish, &eu, &pnr, &lma, &phone, &gender,
		&inv.Language, &state, &gen, &inv.ExpiresAt, &inv.CreatedAt, &createdBy,
		&inv.LastSentAt, &sendCount, &accepted, &revoked, &version)
	if err != nil {
		return invite.Invitation{}, err
	}
	inv.SwedishCitizen, inv.EUCitizen = invite.TristateOf(swedish), invite.TristateOf(eu)
	inv.PersonalNumber, inv.LMANumber, inv.Phone = fromNullString(pnr), fromNullString(lma), fromNullString(phone)
	inv.Gender, inv.CreatedBy = invite.Gender(fromNullString(gender)), fromNullString(createdBy)
	inv.State = invite.State(state)
	inv.LinkGeneration, inv.SendCount, inv.Version = int(gen), int(sendCount), int(version)
	inv.ExpiresAt, inv.CreatedAt, inv.LastSentAt = fromTime(inv.ExpiresAt), fromTime(inv.CreatedAt), fromTime(inv.LastSentAt)
	inv.AcceptedAt, inv.RevokedAt = fromNullTime(accepted), fromNullTime(revoked)
	return inv, nil
}

func collectInvitation(row pgx.CollectableRow) (invite.Invitation, error) { return scanInvitation(row) }
