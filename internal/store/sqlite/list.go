package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/schema"
)

// sortColumns are the columns each sort field orders by.
var sortColumns = schema.SortColumns

// ListInvitations returns one page and the number of all matches. The count
// and the page are read at the same time on two reader connections: on two
// cores a deep page then costs one index walk of time instead of two; on a
// shallow page of the default list the count itself is split in two. Each
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
		if lq.state != "" && q.Offset() < splitCountBelow {
			n, cerr := s.countSplit(ctx, lq.state)
			page.Total = n
			countErr <- cerr
			return
		}
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

// splitCountBelow is the offset under which the count is split: the page is
// then cheap, so both cores can count. Deeper pages keep one core walking
// to the page while the other counts.
const splitCountBelow = 10000

// countSplit counts the invitations in one state as two halves of the
// sent-on index's range for that state, at the same time on two reader
// connections: on the default list, where the count is nearly all the work,
// that halves the time.
func (s *Store) countSplit(ctx context.Context, state string) (int, error) {
	const from = " FROM invitations INDEXED BY invitations_by_sent_on WHERE state = ?"
	var lo, hi sql.NullInt64
	// Two subqueries, so that each is a single seek to one end of the range.
	if err := s.r.QueryRowContext(ctx, "SELECT (SELECT min(last_sent_at)"+from+"), (SELECT max(last_sent_at)"+from+")",
		state, state).Scan(&lo, &hi); err != nil {
		return 0, err
	}
	if !lo.Valid {
		return 0, nil
	}
	mid := lo.Int64 + (hi.Int64-lo.Int64)/2
	var upper int
	upperErr := make(chan error, 1)
	go func() {
		upperErr <- s.r.QueryRowContext(ctx, "SELECT count(*)"+from+" AND last_sent_at > ?", state, mid).Scan(&upper)
	}()
	var lower int
	err := s.r.QueryRowContext(ctx, "SELECT count(*)"+from+" AND last_sent_at <= ?", state, mid).Scan(&lower)
	if uerr := <-upperErr; err == nil {
		err = uerr
	}
	return lower + upper, err
}

// listQuery is the SQL of one list: count takes args, page takes args then
// LIMIT and OFFSET.
type listQuery struct {
	count, page string
	args        []any
	// state is set when the filter is a state alone (the default list): the
	// count can then be split in two ranges of the sent-on index.
	state string
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
	state := ""
	switch q.Status {
	case invite.FilterOpen, "":
		where = append(where, "state = 'pending'")
		state = "pending"
	case invite.FilterPending:
		where = append(where, "state = 'pending'", "expires_at > ?")
		args = append(args, now)
	case invite.FilterExpired:
		where = append(where, "state = 'pending'", "expires_at <= ?")
		args = append(args, now)
	case invite.FilterAccepted:
		where = append(where, "state = 'accepted'")
		state = "accepted"
	case invite.FilterRevoked:
		where = append(where, "state = 'revoked'")
		state = "revoked"
	case invite.FilterAll:
	default:
		return listQuery{}, invite.Errorf(invite.EINVALID, "invalid status %q", q.Status)
	}
	from := "invitations"
	if q.CustomerID != 0 || strings.TrimSpace(q.Search) != "" {
		state = ""
	}
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
		args:  args,
		state: state,
	}, nil
}
