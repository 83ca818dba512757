package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/schema"
)

// invitationColumns are read by scanInvitation, in its order; c is the
// invitation's customer.
var invitationColumns = `i.id, i.customer_id, c.name, i.email, ` + columns("i.") + `,
	i.language, i.state, i.link_generation, i.expires_at, i.created_at, i.created_by,
	i.last_sent_at, i.send_count, i.accepted_at, i.revoked_at, i.version, i.delivery, i.delivery_error`

const invitationFrom = ` FROM invitations i JOIN customers c ON c.id = i.customer_id`

func scanInvitation(sc scanner) (invite.Invitation, error) { return scanInvitationWith(sc) }

// scanInvitationWith reads columns into before, then invitationColumns.
func scanInvitationWith(sc scanner, before ...any) (invite.Invitation, error) {
	var inv invite.Invitation
	var state, delivery string
	before = append(before, &inv.ID, &inv.CustomerID, &inv.Customer, &inv.Email)
	err := sc.Scan(append(append(before, fieldScanners(&inv.Details)...),
		&inv.Language, &state, &inv.LinkGeneration, scanTime{&inv.ExpiresAt}, scanTime{&inv.CreatedAt}, scanString{&inv.CreatedBy},
		scanTime{&inv.LastSentAt}, &inv.SendCount, scanTime{&inv.AcceptedAt}, scanTime{&inv.RevokedAt}, &inv.Version,
		&delivery, scanString{&inv.DeliveryError})...)
	inv.State, inv.Delivery = invite.State(state), invite.DeliveryState(delivery)
	return inv, err
}

// insertColumns are the columns insertRow fills, in its order.
var insertColumns = slices.Concat([]string{
	"id", "customer_id", "customer_key", "email", "email_key", "first_name_key", "last_name_key", "search_text",
}, fieldColumns, []string{
	"language", "state", "link_generation", "expires_at", "created_at", "created_by", "last_sent_at", "send_count",
	"accepted_at", "revoked_at", "version", "delivery", "delivery_error",
})

// insertRow is inv as the values of insertColumns.
func (s *Store) insertRow(inv *invite.Invitation, k schema.Keys, customerKey []byte) []any {
	return slices.Concat([]any{
		inv.ID, inv.CustomerID, customerKey, strings.TrimSpace(inv.Email), k.Email, k.FirstName, k.LastName, k.Search,
	}, fieldValues(&inv.Details), []any{
		inv.Language, string(inv.State), inv.LinkGeneration, s.d.Time(inv.ExpiresAt), s.d.Time(inv.CreatedAt),
		nullString(inv.CreatedBy), s.nullTime(inv.LastSentAt), inv.SendCount,
		s.nullTime(inv.AcceptedAt), s.nullTime(inv.RevokedAt), max(inv.Version, 1),
		string(cmp.Or(inv.Delivery, invite.DeliveryNone)), nullString(inv.DeliveryError),
	})
}

func keysOf(inv *invite.Invitation) schema.Keys {
	return schema.InvitationKeys(inv.FirstName, inv.LastName, inv.Email)
}

// insertSQL inserts the columns of insertColumns from the first one on.
func insertSQL(table string, cols []string, returning string) string {
	return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (?" +
		strings.Repeat(", ?", len(cols)-1) + ")" + returning
}

// CreateInvitation inserts inv at version 1 with its audit event, setting
// inv.ID. ENOTFOUND if the customer does not exist; ErrEmailTaken if the
// email has an open invitation or an account.
func (s *Store) CreateInvitation(ctx context.Context, inv *invite.Invitation, ev invite.AuditEvent, mail invite.DeliveryKind) error {
	row := *inv
	row.Email, row.Version = strings.TrimSpace(row.Email), 1
	row.Delivery, row.DeliveryError = invite.DeliveryNone, ""
	k := keysOf(&row)
	err := s.write(ctx, func(tx *Tx) error {
		var custKey []byte
		err := tx.row(ctx, `SELECT name, sort_key FROM customers WHERE id = ?`, row.CustomerID).Scan(&row.Customer, &custKey)
		if errors.Is(err, sql.ErrNoRows) {
			return invite.Errorf(invite.ENOTFOUND, "no customer with ID %d", row.CustomerID)
		}
		if err != nil {
			return s.errorf("create invitation", err)
		}
		if err := tx.lockEmail(ctx, k.Email); err != nil {
			return err
		}
		var taken bool
		err = tx.row(ctx, `SELECT EXISTS (SELECT 1 FROM invitations WHERE email_key = ? AND state = 'pending') OR
			EXISTS (SELECT 1 FROM users WHERE email_key = ?)`, k.Email, k.Email).Scan(&taken)
		if err != nil {
			return s.errorf("create invitation", err)
		}
		if taken {
			return invite.ErrEmailTaken
		}
		err = tx.row(ctx, insertSQL("invitations", insertColumns[1:], " RETURNING id"), s.insertRow(&row, k, custKey)[1:]...).Scan(&row.ID)
		if s.d.IsUnique(err) {
			return invite.ErrEmailTaken
		}
		if err != nil {
			return s.errorf("create invitation", err)
		}
		tx.count(row.CustomerID, row.State, row.ExpiresAt, 1)
		if ev.InvitationID == 0 {
			ev.InvitationID = row.ID
		}
		if err := tx.insertAudit(ctx, ev); err != nil || mail == "" {
			return err
		}
		return tx.queue(ctx, &row, mail, row.CreatedAt)
	})
	if err == nil {
		*inv = row
	}
	return err
}

// lockEmail takes the dialect's lock on an email key, held until the end of
// the transaction: creating an invitation and accepting one check that the
// email is free and act on it without another writer deciding in between.
func (t *Tx) lockEmail(ctx context.Context, key string) error {
	if t.s.d.LockEmail == "" {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte("invitectl email\x00" + key))
	if _, err := t.Exec(ctx, t.s.d.LockEmail, int64(h.Sum64())); err != nil {
		return t.s.errorf("lock email", err)
	}
	return nil
}

// Invitation returns one invitation. ENOTFOUND if none.
func (s *Store) Invitation(ctx context.Context, id int64) (invite.Invitation, error) {
	return s.invitationByID(ctx, s.r.QueryRowContext, id, "")
}

type queryRow func(ctx context.Context, query string, args ...any) *sql.Row

func (s *Store) invitationByID(ctx context.Context, q queryRow, id int64, suffix string) (invite.Invitation, error) {
	inv, err := scanInvitation(q(ctx, s.sql(`SELECT `+invitationColumns+invitationFrom+` WHERE i.id = ?`+suffix), id))
	if errors.Is(err, sql.ErrNoRows) {
		return inv, invite.Errorf(invite.ENOTFOUND, "no invitation with ID %d", id)
	}
	if err != nil {
		return inv, s.errorf(fmt.Sprintf("invitation %d", id), err)
	}
	return inv, nil
}

// InvitationsByEmail returns the invitations for an email, ignoring case,
// newest first; customerID 0 means any customer.
func (s *Store) InvitationsByEmail(ctx context.Context, email string, customerID int64) ([]invite.Invitation, error) {
	// Naming every state lets the email sort index, which is led by state,
	// answer the lookup.
	query := `SELECT ` + invitationColumns + invitationFrom + ` WHERE i.state IN ('pending', 'accepted', 'revoked') AND i.email_key = ?`
	args := []any{invite.EmailKey(email)}
	if customerID != 0 {
		query += ` AND i.customer_id = ?`
		args = append(args, customerID)
	}
	rows, err := s.r.QueryContext(ctx, s.sql(query+` ORDER BY i.created_at DESC, i.id DESC`), args...)
	out, err := collect(rows, err, scanInvitation)
	if err != nil {
		return nil, s.errorf("invitations for "+email, err)
	}
	return out, nil
}

// InsertInvitations inserts many invitations in one transaction with the
// dialect's bulk load; IDs are kept when set. It is for seed and copy:
// there are no checks beyond the schema's, and audit events are not written.
func (s *Store) InsertInvitations(ctx context.Context, invs []invite.Invitation) error {
	if len(invs) == 0 {
		return nil
	}
	return s.write(ctx, func(tx *Tx) error { return tx.insertInvitations(ctx, invs) })
}

func (t *Tx) insertInvitations(ctx context.Context, invs []invite.Invitation) error {
	s := t.s
	// Collation keys cost a fifth of an insert: compute them on another core
	// while the rows before them are written.
	keyed := computeKeys(invs)
	defer keyed.stop()
	custKeys := map[int64][]byte{}
	var withID, withoutID []int
	for i := range invs {
		id := invs[i].CustomerID
		if _, ok := custKeys[id]; !ok {
			var key []byte
			err := t.row(ctx, `SELECT sort_key FROM customers WHERE id = ?`, id).Scan(&key)
			if errors.Is(err, sql.ErrNoRows) {
				return invite.Errorf(invite.ENOTFOUND, "no customer with ID %d", id)
			}
			if err != nil {
				return s.errorf("insert invitations", err)
			}
			custKeys[id] = key
		}
		if invs[i].ID != 0 {
			withID = append(withID, i)
		} else {
			withoutID = append(withoutID, i)
		}
		t.count(id, invs[i].State, invs[i].ExpiresAt, 1)
	}
	if len(invs) < bulkSearch {
		return t.writeInvitations(ctx, invs, withID, withoutID, keyed, custKeys)
	}
	ids := make([]int64, len(withID))
	for j, i := range withID {
		ids[j] = invs[i].ID
	}
	return t.withoutSearchTriggers(ctx, ids, func() error {
		return t.writeInvitations(ctx, invs, withID, withoutID, keyed, custKeys)
	})
}

// writeInvitations writes the rows of invs: those of withID with their ID,
// the others with one from the database (the id column left out).
func (t *Tx) writeInvitations(ctx context.Context, invs []invite.Invitation, withID, withoutID []int, keyed *pendingKeys, custKeys map[int64][]byte) error {
	s := t.s
	for _, part := range []struct {
		rows  []int
		first int
	}{{withID, 0}, {withoutID, 1}} {
		if len(part.rows) == 0 {
			continue
		}
		err := s.d.Bulk(ctx, t, "invitations", insertColumns[part.first:], len(part.rows), func(j int) []any {
			inv := &invs[part.rows[j]]
			return s.insertRow(inv, keyed.get(part.rows[j]), custKeys[inv.CustomerID])[part.first:]
		})
		if s.d.IsUnique(err) {
			return &invite.Error{Code: invite.ECONFLICT, Err: err, Message: "the invitations conflict with stored ones: the same ID, or another open invitation for an email"}
		}
		if err != nil {
			return s.errorf("insert invitations", err)
		}
		if part.first == 0 && s.d.AfterBulkIDs != nil {
			if err := s.d.AfterBulkIDs(ctx, t, "invitations"); err != nil {
				return err
			}
		}
	}
	return nil
}
