package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/schema"
)

// CreateCustomer adds a customer and its audit event. ECONFLICT if a
// customer with the same name, ignoring case, exists.
func (s *Store) CreateCustomer(ctx context.Context, c *invite.Customer, ev invite.AuditEvent) error {
	name := strings.TrimSpace(c.Name)
	var id int64
	err := s.write(ctx, func(tx *Tx) error {
		err := tx.row(ctx, `INSERT INTO customers (name, name_key, sort_key, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			name, schema.CustomerKey(name), invite.SortKey(name), s.d.Time(c.CreatedAt)).Scan(&id)
		if s.d.IsUnique(err) {
			return invite.Errorf(invite.ECONFLICT, "a customer named %q already exists", name)
		}
		if err != nil {
			return s.errorf("create customer", err)
		}
		return tx.insertAudit(ctx, ev)
	})
	if err == nil {
		c.ID, c.Name = id, name
	}
	return err
}

func scanCustomer(sc scanner) (invite.Customer, error) {
	var c invite.Customer
	err := sc.Scan(&c.ID, &c.Name, scanTime{&c.CreatedAt})
	return c, err
}

// CustomerByName finds a customer by name, ignoring case. ENOTFOUND if none.
func (s *Store) CustomerByName(ctx context.Context, name string) (invite.Customer, error) {
	c, err := scanCustomer(s.row(ctx, `SELECT id, name, created_at FROM customers WHERE name_key = ?`, schema.CustomerKey(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return c, invite.Errorf(invite.ENOTFOUND, "no customer named %q", strings.TrimSpace(name))
	}
	if err != nil {
		return c, s.errorf("customer "+name, err)
	}
	return c, nil
}

// ListCustomers returns every customer in Swedish alphabetical order with its
// numbers of open invitations (kept counts) and of users.
func (s *Store) ListCustomers(ctx context.Context) ([]invite.CustomerSummary, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT c.id, c.name, c.created_at,
		       coalesce((SELECT sum(n) FROM invitation_counts k WHERE k.customer_id = c.id AND k.state = 'pending'), 0),
		       (SELECT count(*) FROM users u WHERE u.customer_id = c.id)
		FROM customers c
		ORDER BY c.sort_key, c.id`)
	out, err := collect(rows, err, func(sc scanner) (invite.CustomerSummary, error) {
		var cs invite.CustomerSummary
		err := sc.Scan(&cs.ID, &cs.Name, scanTime{&cs.CreatedAt}, &cs.OpenInvitations, &cs.Users)
		return cs, err
	})
	if err != nil {
		return nil, s.errorf("list customers", err)
	}
	return out, nil
}
