package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/invitectl/invitectl/internal/invite"
)

// CreateCustomer adds a customer and its audit event. ECONFLICT if a
// customer with the same name, ignoring case, exists.
func (s *Store) CreateCustomer(ctx context.Context, c *invite.Customer, ev invite.AuditEvent) error {
	name := strings.TrimSpace(c.Name)
	var id int64
	err := s.write(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx,
			`INSERT INTO customers (name, name_key, sort_key, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			name, customerKey(name), invite.SortKey(name), ts(c.CreatedAt)).Scan(&id)
		if isUnique(err) {
			return invite.Errorf(invite.ECONFLICT, "a customer named %q already exists", name)
		}
		if err != nil {
			return fmt.Errorf("postgres: create customer: %w", err)
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
	err := s.pool.QueryRow(ctx, `SELECT id, name, created_at FROM customers WHERE name_key = $1`, customerKey(name)).
		Scan(&c.ID, &c.Name, &c.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, invite.Errorf(invite.ENOTFOUND, "no customer named %q", strings.TrimSpace(name))
	}
	if err != nil {
		return c, fmt.Errorf("postgres: customer %q: %w", name, err)
	}
	c.CreatedAt = fromTime(c.CreatedAt)
	return c, nil
}

// ListCustomers returns every customer in Swedish alphabetical order with its
// numbers of open invitations and of users.
func (s *Store) ListCustomers(ctx context.Context) ([]invite.CustomerSummary, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT c.id, c.name, c.created_at,
		       (SELECT count(*) FROM invitations i WHERE i.customer_id = c.id AND i.state = 'pending'),
		       (SELECT count(*) FROM users u WHERE u.customer_id = c.id)
		FROM customers c
		ORDER BY c.sort_key, c.id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list customers: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (invite.CustomerSummary, error) {
		var cs invite.CustomerSummary
		err := row.Scan(&cs.ID, &cs.Name, &cs.CreatedAt, &cs.OpenInvitations, &cs.Users)
		cs.CreatedAt = fromTime(cs.CreatedAt)
		return cs, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list customers: %w", err)
	}
	return out, nil
}
