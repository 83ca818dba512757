package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
)

// CreateCustomer adds a customer and its audit event. ECONFLICT if a
// customer with the same name, ignoring case, exists.
func (s *Store) CreateCustomer(ctx context.Context, c *invite.Customer, ev invite.AuditEvent) error {
	name := strings.TrimSpace(c.Name)
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`INSERT INTO customers (name, name_key, sort_key, created_at) VALUES (?, ?, ?, ?)`,
			name, customerKey(name), invite.SortKey(name), micros(c.CreatedAt))
		if isUnique(err) {
			return invite.Errorf(invite.ECONFLICT, "a customer named %q already exists", name)
		}
		if err != nil {
			return fmt.Errorf("sqlite: create customer: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("sqlite: create customer: %w", err)
		}
		return insertAudit(ctx, tx, ev)
	})
	if err == nil {
		c.ID, c.Name = id, name
	}
	return err
}

// CustomerByName finds a customer by name, ignoring case. ENOTFOUND if none.
func (s *Store) CustomerByName(ctx context.Context, name string) (invite.Customer, error) {
	var c invite.Customer
	var created int64
	err := s.r.QueryRowContext(ctx, `SELECT id, name, created_at FROM customers WHERE name_key = ?`, customerKey(name)).
		Scan(&c.ID, &c.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return c, invite.Errorf(invite.ENOTFOUND, "no customer named %q", strings.TrimSpace(name))
	}
	if err != nil {
		return c, fmt.Errorf("sqlite: customer %q: %w", name, err)
	}
	c.CreatedAt = fromMicros(created)
	return c, nil
}

// ListCustomers returns every customer in Swedish alphabetical order with its
// numbers of open invitations and of users.
func (s *Store) ListCustomers(ctx context.Context) ([]invite.CustomerSummary, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT c.id, c.name, c.created_at,
		       (SELECT count(*) FROM invitations i WHERE i.state = 'pending' AND i.customer_key = c.sort_key),
		       (SELECT count(*) FROM users u WHERE u.customer_id = c.id)
		FROM customers c
		ORDER BY c.sort_key, c.id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list customers: %w", err)
	}
	defer rows.Close()
	var out []invite.CustomerSummary
	for rows.Next() {
		var cs invite.CustomerSummary
		var created int64
		if err := rows.Scan(&cs.ID, &cs.Name, &created, &cs.OpenInvitations, &cs.Users); err != nil {
			return nil, fmt.Errorf("sqlite: list customers: %w", err)
		}
		cs.CreatedAt = fromMicros(created)
		out = append(out, cs)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list customers: %w", err)
	}
	return out, nil
}
