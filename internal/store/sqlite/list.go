package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
)

// sortColumns maps each sort field to the indexed column it orders by.
var sortColumns = map[invite.SortField]string{
	invite.SortCustomer:  "customer_key",
	invite.SortFirstName: "first_name_key",
	invite.SortLastName:  "last_name_key",
	invite.SortEmail:     "email_key",
	invite.SortSentOn:    "last_sent_at",
}

// ListInvitations returns one page and the number of all matches. The count
// and the page are read at the same time on two reader connections: on two
// cores a deep page then costs one index walk of time instead of two. Each
// read sees its own snapshot, so a write committed between them can make
// the total differ from the page by that write; the page itself is always
// consistent and in order.
func (s *Store) ListInvitations(ctx context.Context, q invite.ListQuery) (invite.InvitationPage, error) {
	lq, err := buildList(q)
	if err != nil {
		return invite.InvitationPage{}, err
	}
	var page invite.InvitationPage
	countErr := make(chan error, 1)
	go func() {
		countErr <- s.r.QueryRowContext(ctx, lq.count, lq.args...).Scan(&page.Total)
	}()
	var invs []invite.Invitation
	err = s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, lq.page, append(lq.args, q.PerPage, q.Offset())...)
		if err != nil {
			return err
		}
		invs, err = scanInvitations(rows)
		return err
	})
	if cerr := <-countErr; cerr != nil {
		return invite.InvitationPage{}, fmt.Errorf("sqlite: count invitations: %w", cerr)
	}
	if err != nil {
		return invite.InvitationPage{}, fmt.Errorf("sqlite: list invitations: %w", err)
	}
	if q.Offset() < page.Total {
		page.Invitations = invs
	}
	return page, nil
}

// listQuery is the SQL of one list: count takes args, page takes args then
// LIMIT and OFFSET.
type listQuery struct {
	count, page string
	args        []any
}

// buildList turns a query into SQL. The page is chosen by walking the sort
// field's index (led by state) for ids alone; only the rows of the page are
// then read and joined with their customer, so a deep page costs an index
// walk, not a million row reads.
func buildList(q invite.ListQuery) (listQuery, error) {
	if err := q.Validate(); err != nil {
		return listQuery{}, err
	}
	sortField := q.Sort.Field
	if sortField == "" {
		sortField = invite.DefaultSort.Field
	}
	col, ok := sortColumns[sortField]
	if !ok {
		return listQuery{}, invite.Errorf(invite.EINVALID, "invalid sort field %q", sortField)
	}
	var where []string
	var args []any
	now := micros(q.Now)
	switch q.Status {
	case invite.FilterOpen, "":
		where = append(where, "state = 'pending'")
	case invite.FilterPending:
		where = append(where, "state = 'pending'", "expires_at > ?")
		args = append(args, now)
	case invite.FilterExpired:
		where = append(where, "state = 'pending'", "expires_at <= ?")
		args = append(args, now)
	case invite.FilterAccepted:
		where = append(where, "state = 'accepted'")
	case invite.FilterRevoked:
		where = append(where, "state = 'revoked'")
	case invite.FilterAll:
	default:
		return listQuery{}, invite.Errorf(invite.EINVALID, "invalid status %q", q.Status)
	}
	from := "invitations"
	if q.CustomerID != 0 {
		// The customer's sort key is unique, so the customer index holds
		// exactly the customer's rows in one range. Sorting that range costs
		// little at any page; walking another sort index and skipping other
		// customers' rows, which the planner would otherwise pick, reads the
		// whole table for a deep page.
		from = "invitations INDEXED BY invitations_by_customer"
		if q.Status == invite.FilterAll {
			where = append(where, "state IN ('pending', 'accepted', 'revoked')")
		}
		where = append(where, "customer_key = (SELECT sort_key FROM customers WHERE id = ?)")
		args = append(args, q.CustomerID)
	}
	if search := strings.ToLower(strings.TrimSpace(q.Search)); search != "" {
		// instr, not LIKE: % and _ in a search are plain characters.
		where = append(where, "instr(search_text, ?) > 0")
		args = append(args, search)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	dir := "ASC"
	if q.Sort.Desc {
		dir = "DESC"
	}
	order := func(table string) string { return fmt.Sprintf("%[1]s%[2]s %[3]s, %[1]sid %[3]s", table, col, dir) }
	return listQuery{
		count: "SELECT count(*) FROM " + from + cond,
		page: `SELECT ` + invitationColumns + `
			FROM (SELECT id FROM ` + from + cond + ` ORDER BY ` + order("") + ` LIMIT ? OFFSET ?) AS p
			JOIN invitations i ON i.id = p.id
			JOIN customers c ON c.id = i.customer_id
			ORDER BY ` + order("i."),
		args: args,
	}, nil
}
