package postgres

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/schema"
)

// sortColumns are the columns each sort field orders by.
var sortColumns = schema.SortColumns

// ListInvitations returns one page and the number of all matches.
func (s *Store) ListInvitations(ctx context.Context, q invite.ListQuery) (invite.InvitationPage, error) {
	lq, err := buildList(q)
	if err != nil {
		return invite.InvitationPage{}, err
	}
	// The count and the page run at the same time on two connections, so a
	// deep page costs one index walk of time, not two. Each sees its own
	// snapshot: a write committed between them can make the total differ
	// from the page by that write; the page itself is consistent and ordered.
	var page invite.InvitationPage
	countErr := make(chan error, 1)
	go func() {
		countErr <- s.pool.QueryRow(ctx, lq.count, lq.args...).Scan(&page.Total)
	}()
	var invs []invite.Invitation
	err = s.read(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, lq.page, append(lq.args, q.PerPage, q.Offset())...)
		if err != nil {
			return err
		}
		invs, err = pgx.CollectRows(rows, collectInvitation)
		return err
	})
	if cerr := <-countErr; cerr != nil {
		return invite.InvitationPage{}, fmt.Errorf("postgres: count invitations: %w", cerr)
	}
	if err != nil {
		return invite.InvitationPage{}, fmt.Errorf("postgres: list invitations: %w", err)
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
// field's index (led by state) for ids alone, an index-only scan; only the
// rows of the page are then read and joined with their customer, so a deep
// page costs an index walk, not a million row reads.
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
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	// Every list names its states, so that each is an equality on the
	// leading column of the sort index.
	var states []invite.State
	switch q.Status {
	case invite.FilterOpen, "":
		states = []invite.State{invite.StatePending}
	case invite.FilterPending:
		states = []invite.State{invite.StatePending}
		where = append(where, "expires_at > "+arg(ts(q.Now)))
	case invite.FilterExpired:
		states = []invite.State{invite.StatePending}
		where = append(where, "expires_at <= "+arg(ts(q.Now)))
	case invite.FilterAccepted:
		states = []invite.State{invite.StateAccepted}
	case invite.FilterRevoked:
		states = []invite.State{invite.StateRevoked}
	case invite.FilterAll:
		states = []invite.State{invite.StatePending, invite.StateAccepted, invite.StateRevoked}
	default:
		return listQuery{}, invite.Errorf(invite.EINVALID, "invalid status %q", q.Status)
	}
	if q.CustomerID != 0 {
		where = append(where, "customer_id = "+arg(q.CustomerID))
	}
	if search := strings.ToLower(strings.TrimSpace(q.Search)); search != "" {
		// strpos, not LIKE: % and _ in a search are plain characters.
		where = append(where, "strpos(search_text, "+arg(search)+") > 0")
	}
	dir := "ASC"
	if q.Sort.Desc {
		dir = "DESC"
	}
	limit, offset := len(args)+1, len(args)+2
	order := fmt.Sprintf("ORDER BY %[1]s %[2]s, id %[2]s", col, dir)
	branch := func(state invite.State) string {
		return fmt.Sprintf("SELECT id, %s AS k FROM invitations WHERE %s %s", col,
			strings.Join(append([]string{"state = '" + string(state) + "'"}, where...), " AND "), order)
	}
	// One state: a walk of its index. Several: one walk per state, each cut
	// at the end of the page, merged in order (Merge Append) instead of
	// sorting every row.
	ids := branch(states[0]) + fmt.Sprintf(" LIMIT $%d OFFSET $%d", limit, offset)
	if len(states) > 1 {
		var parts []string
		for _, st := range states {
			parts = append(parts, fmt.Sprintf("(%s LIMIT $%d::bigint + $%d::bigint)", branch(st), limit, offset))
		}
		ids = fmt.Sprintf("SELECT id, k FROM (%s) AS u ORDER BY k %[2]s, id %[2]s LIMIT $%[3]d OFFSET $%[4]d",
			strings.Join(parts, " UNION ALL "), dir, limit, offset)
	}
	count := "SELECT count(*) FROM invitations"
	if len(states) == 1 {
		where = append([]string{"state = '" + string(states[0]) + "'"}, where...)
	}
	if len(where) > 0 {
		count += " WHERE " + strings.Join(where, " AND ")
	}
	// The outer query orders by the subquery's own columns, so the planner
	// keeps the index order through the joins instead of sorting again.
	return listQuery{
		count: count,
		page: fmt.Sprintf(`SELECT `+invitationColumns+`
			FROM (%[1]s) AS p
			JOIN invitations i ON i.id = p.id
			JOIN customers c ON c.id = i.customer_id
			ORDER BY p.k %[2]s, p.id %[2]s`, ids, dir),
		args: args,
	}, nil
}

// parallel calls fn(0) … fn(n-1) spread over the available cores.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				fn(i)
			}
		})
	}
	wg.Wait()
}
