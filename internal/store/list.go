package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/schema"
)

// ListInvitations returns one page and the number of all matches, both
// read in one read transaction, so the total always agrees with the page.
// The total of a list without a search comes from the kept counts (and
// the expiry index for pending and expired); only a search or a delivery
// filter counts rows. The page is chosen by walking the sort field's index
// (led by state) for ids alone; only the rows of the page are then read and
// joined with their customer, so a deep page costs an index walk, not a
// million row reads. The matches of a search the trigram index answers, or
// of the undelivered (delivery queued or failed), are gathered from their
// index instead, then sorted and counted at once (gatheredPage).
func (s *Store) ListInvitations(ctx context.Context, q invite.ListQuery) (invite.InvitationPage, error) {
	l, err := s.planList(q)
	if err != nil {
		return invite.InvitationPage{}, err
	}
	var page invite.InvitationPage
	err = s.read(ctx, func(tx *Tx) error {
		if l.gathered() {
			return l.gatheredPage(ctx, tx, q, &page)
		}
		if page.Total, err = l.total(ctx, tx); err != nil || q.Offset() >= page.Total {
			return err
		}
		if err := l.chooseWalk(ctx, tx, q, page.Total); err != nil {
			return err
		}
		if err := l.boundSentOn(ctx, tx); err != nil {
			return err
		}
		query, args := l.page(q)
		rows, err := tx.query(ctx, query, args...)
		page.Invitations, err = collect(rows, err, scanInvitation)
		return err
	})
	if err != nil {
		return invite.InvitationPage{}, s.errorf("list invitations", err)
	}
	return page, nil
}

// gatheredPage reads a page of a list whose matches are gathered from an
// index (gathered), and its total, in one query: the rows the index gives
// are filtered and sorted once, and each row of the page carries their
// number, so the index is read once, not once for the count and again for
// the page. Only a page past the end, which has no row to carry it, counts
// them again.
func (l *listPlan) gatheredPage(ctx context.Context, tx *Tx, q invite.ListQuery, page *invite.InvitationPage) error {
	query, args := l.page(q)
	rows, err := tx.query(ctx, query, args...)
	var n int
	page.Invitations, err = collect(rows, err, func(sc scanner) (invite.Invitation, error) { return scanInvitationWith(sc, &n) })
	switch {
	case err != nil:
		return err
	case len(page.Invitations) > 0:
		page.Total = n
	case q.Offset() > 0:
		page.Total, err = l.total(ctx, tx)
	}
	return err
}

// listPlan is a list query taken apart: the states it reads (each one
// range of every sort index), the other conditions, and how to count.
type listPlan struct {
	s      *Store
	col    string // the sort column
	index  string // its index
	desc   bool
	states []invite.State
	// expiry is "> ?" (pending) or "<= ?" (expired) on expires_at, or "".
	expiry string
	now    any       // the time of the list, for the dialect
	at     time.Time // the same
	// sentOn is a condition on created_at that the expiry condition
	// implies, "" for none (boundSentOn), and its argument.
	sentOn    string
	sentOnArg any
	customer  int64
	// search are the terms that must all match; indexed is true when one
	// of them is long enough for the trigram index, which then drives the
	// query.
	search  []string
	indexed bool
	// walkSort is true when a customer's page is found by walking the sort
	// field's index past other customers' rows (chooseWalk).
	walkSort bool
	delivery string
	// undelivered is true when delivery is queued or failed and no
	// trigram search drives the query: the few rows of the partial index
	// invitations_undelivered, which holds every column a list filters and
	// sorts by, are then gathered and sorted, as a search's are.
	undelivered bool
	// Reminders: the latest email delivered before sentBefore, fewer than
	// maxSends sent (zero values: no condition).
	sentBefore any
	maxSends   int
}

// planList takes apart q, which the Service filled and validated; only a
// status or sort field the store does not know is an error.
func (s *Store) planList(q invite.ListQuery) (*listPlan, error) {
	field := q.Sort.Field
	col, ok := schema.SortColumns[field]
	if !ok {
		return nil, invite.Errorf(invite.EINVALID, "invalid sort field %q", field)
	}
	l := &listPlan{s: s, col: col, index: schema.SortIndexes[field], desc: q.Sort.Desc, now: s.d.Time(q.Now), at: q.Now, customer: q.CustomerID, search: schema.SearchTerms(q.Search), delivery: string(q.Delivery), maxSends: q.MaxSends}
	if !q.SentBefore.IsZero() {
		l.delivery, l.sentBefore = string(invite.DeliverySent), s.d.Time(q.SentBefore)
	}
	l.indexed = slices.ContainsFunc(l.search, schema.Indexed)
	l.undelivered = !l.indexed && (l.delivery == string(invite.DeliveryQueued) || l.delivery == string(invite.DeliveryFailed))
	pending := []invite.State{invite.StatePending}
	switch q.Status {
	case invite.FilterOpen:
		l.states = pending
	case invite.FilterPending:
		l.states, l.expiry = pending, "> ?"
	case invite.FilterExpired:
		l.states, l.expiry = pending, "<= ?"
	case invite.FilterAccepted:
		l.states = []invite.State{invite.StateAccepted}
	case invite.FilterRevoked:
		l.states = []invite.State{invite.StateRevoked}
	case invite.FilterAll:
		l.states = []invite.State{invite.StatePending, invite.StateAccepted, invite.StateRevoked}
	case invite.FilterPurged:
		l.states = []invite.State{invite.StatePurged}
	default:
		return nil, invite.Errorf(invite.EINVALID, "invalid status %q", q.Status)
	}
	return l, nil
}

// undelivered is the condition of the partial index invitations_undelivered
// (migration 0011), as it is written there.
const undelivered = "delivery IN ('queued', 'failed')"

// gathered says whether the plan's matches are gathered from an index that
// holds only them (a search's trigram index, the undelivered index), then
// sorted, rather than walked in order from the sort field's index.
func (l *listPlan) gathered() bool { return l.indexed || l.undelivered }

// where is the condition on the rows of the states; expiry replaces the
// plan's own condition on expires_at ("" for none).
//
// A search's terms of three characters or more are looked up in the
// dialect's trigram index (Match), which then chooses the rows; shorter
// terms, which hold no trigram, are checked on each row that the rest of
// the condition leaves (Contains): on the rows the long terms found, or, when
// every term is short, on every row of the states.
func (l *listPlan) where(states []invite.State, expiry string) (string, []any) {
	conds := []string{"state = '" + string(states[0]) + "'"}
	if len(states) > 1 {
		conds[0] = "state IN ('" + strings.Join(statesOf(states), "', '") + "')"
	}
	var args []any
	if l.indexed {
		var long []string
		for _, t := range l.search {
			if schema.Indexed(t) {
				long = append(long, t)
			}
		}
		cond, a := l.s.d.Match(long)
		conds = append(conds, cond)
		args = append(args, a...)
	}
	switch {
	case l.customer != 0 && (l.walkSort || l.undelivered):
		// Every list index holds customer_id.
		conds = append(conds, "customer_id = ?")
		args = append(args, l.customer)
	case l.customer != 0:
		// The customer's sort key is unique, so the customer index holds
		// exactly the customer's rows of a state in one range.
		conds = append(conds, "customer_key = (SELECT sort_key FROM customers WHERE id = ?)")
		args = append(args, l.customer)
	}
	if expiry != "" {
		conds = append(conds, "expires_at "+expiry)
		args = append(args, l.now)
		if l.sentOn != "" {
			conds = append(conds, l.sentOn)
			args = append(args, l.sentOnArg)
		}
	}
	for _, t := range l.search {
		if !l.indexed || !schema.Indexed(t) {
			conds = append(conds, l.s.d.Contains("search_text", "?"))
			args = append(args, t)
		}
	}
	if l.undelivered {
		// The partial index's own condition, which SQLite does not see
		// that the equality implies.
		conds = append(conds, undelivered)
	}
	if l.delivery != "" {
		conds = append(conds, "delivery = ?")
		args = append(args, l.delivery)
	}
	if l.sentBefore != nil {
		conds = append(conds, "last_sent_at < ?")
		args = append(args, l.sentBefore)
	}
	if l.maxSends > 0 {
		conds = append(conds, "send_count < ?")
		args = append(args, l.maxSends)
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// from is the table a query of the plan reads, with the index it must
// read where the planner needs telling: the customer index for a customer's
// rows, otherwise the sort index for a page and the expiry index for a count
// of the expired. A search that the trigram index answers reads the rows
// it found instead, with the dialect's hint, and a list of the undelivered
// the undelivered index.
func (l *listPlan) from(index string) string {
	if l.indexed {
		return "invitations" + l.s.d.Searched
	}
	if l.undelivered {
		return "invitations" + l.s.d.IndexedBy("invitations_undelivered")
	}
	if l.customer != 0 && (index != l.index || !l.walkSort) {
		index = "invitations_by_customer"
	}
	if index == "" {
		return "invitations"
	}
	return "invitations" + l.s.d.IndexedBy(index)
}

// total is the number of matches. Without a search or a delivery filter it
// is the kept count of
// the states (of the customer); the expired are counted from an index, and
// the pending are all pending less the expired. The matches of a gathered
// plan are counted in one query over its index, whatever the states.
func (l *listPlan) total(ctx context.Context, tx *Tx) (int, error) {
	var total int
	if l.gathered() {
		cond, args := l.where(l.states, l.expiry)
		err := tx.row(ctx, "SELECT count(*) FROM "+l.from("")+cond, args...).Scan(&total)
		return total, err
	}
	if len(l.search) > 0 || l.delivery != "" || l.maxSends > 0 {
		for _, st := range l.states {
			cond, args := l.where([]invite.State{st}, l.expiry)
			var n int
			if err := tx.row(ctx, "SELECT count(*) FROM "+l.from("")+cond, args...).Scan(&n); err != nil {
				return 0, err
			}
			total += n
		}
		return total, nil
	}
	if l.expiry != "" {
		expired, err := l.expired(ctx, tx)
		if err != nil || l.expiry == "<= ?" {
			return expired, err
		}
		total = -expired // pending: all pending less the expired
	}
	kept, err := l.kept(ctx, tx, l.customer)
	return total + kept, err
}

// expired is the number of expired invitations (of the customer): the kept
// counts of the days of expiry before today's, and today's expired up to
// now, a range of the expiry index.
func (l *listPlan) expired(ctx context.Context, tx *Tx) (int, error) {
	day := expiryDay(l.at)
	past, today := "SELECT coalesce(sum(n), 0) FROM invitation_expiry_counts WHERE day < ?",
		"SELECT count(*) FROM invitations"+l.s.d.IndexedBy("invitations_by_expiry")+" WHERE state = 'pending' AND expires_at >= ? AND expires_at <= ?"
	pastArgs, todayArgs := []any{day}, []any{l.s.d.Time(time.Unix(day*86400, 0)), l.now}
	if l.customer != 0 {
		past, today = past+" AND customer_id = ?", today+" AND customer_id = ?"
		pastArgs, todayArgs = append(pastArgs, l.customer), append(todayArgs, l.customer)
	}
	var n, m int
	if err := tx.row(ctx, past, pastArgs...).Scan(&n); err != nil {
		return 0, err
	}
	err := tx.row(ctx, today, todayArgs...).Scan(&m)
	return n + m, err
}

// boundSentOn bounds the walk of a pending or expired page in sent-on
// order. Expiry follows creation (by the link's lifetime), so the expired
// are the oldest rows: walked newest first, a page of the expired would
// pass every pending row before its first, and a page of the pending
// oldest first every expired one. No invitation's lifetime, expires_at
// less created_at, is shorter than the shortest of the pending ones or
// longer than the longest (the ends of invitations_by_lifetime), so an
// expired invitation was created at the latest the shortest lifetime before
// now, and a pending one after the longest lifetime before now: the walk
// starts there.
func (l *listPlan) boundSentOn(ctx context.Context, tx *Tx) error {
	if l.col != "created_at" || l.expiry == "" {
		return nil
	}
	dir, cond := "ASC", "created_at <= ?" // expired: by the shortest lifetime
	if l.expiry == "> ?" {
		dir, cond = "DESC", "created_at > ?" // pending: by the longest
	}
	var created, expires time.Time
	err := tx.row(ctx, `SELECT created_at, expires_at FROM invitations`+l.s.d.IndexedBy("invitations_by_lifetime")+
		` WHERE state = 'pending' ORDER BY expires_at - created_at `+dir+` LIMIT 1`).Scan(scanTime{&created}, scanTime{&expires})
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	l.sentOn, l.sentOnArg = cond, l.s.d.Time(l.at.Add(-expires.Sub(created)))
	return nil
}

// kept is the kept count of the plan's states, of one customer or (0) of all.
func (l *listPlan) kept(ctx context.Context, tx *Tx, customer int64) (int, error) {
	query := "SELECT coalesce(sum(n), 0) FROM invitation_counts WHERE state IN ('" + strings.Join(statesOf(l.states), "', '") + "')"
	var args []any
	if customer != 0 {
		query += " AND customer_id = ?"
		args = append(args, customer)
	}
	var n int
	err := tx.row(ctx, query, args...).Scan(&n)
	return n, err
}

// chooseWalk decides how a page of one customer's invitations in another
// field's order is found, by what it reads: either every one of the
// customer's rows (the customer index), to sort them, or the field's index
// in order, past the other customers' rows, until the page is full. With
// matches of the customer's rows among all of the states, the walk reads
// about (offset + per page) × all / matches entries, the sort matches rows;
// the kept counts give all. A small customer's rows are sorted, a large
// customer's first pages walked.
func (l *listPlan) chooseWalk(ctx context.Context, tx *Tx, q invite.ListQuery, matches int) error {
	if l.customer == 0 || l.index == "invitations_by_customer" || l.delivery != "" || len(l.search) > 0 || l.maxSends > 0 || l.sentBefore != nil {
		return nil
	}
	all, err := l.kept(ctx, tx, 0)
	if err != nil {
		return err
	}
	l.walkSort = float64(q.Offset()+q.PerPage)*float64(all) < float64(matches)*float64(matches)
	return nil
}

func statesOf(states []invite.State) []string {
	out := make([]string, len(states))
	for i, st := range states {
		out[i] = string(st)
	}
	return out
}

// page is the query of one page. One state is a walk of its index range;
// several are one walk each, each cut at the end of the page, merged in
// order instead of sorting every row. A gathered plan sorts the rows its
// index gives, of every state at once, and gives their number first in each
// row (gatheredPage).
func (l *listPlan) page(q invite.ListQuery) (string, []any) {
	var args []any
	var ids string
	switch {
	case l.gathered():
		// The rows the index found are gathered first and then sorted:
		// left to itself, PostgreSQL's planner walks the sort index for a
		// common term, testing every row of the states against it.
		ids = "WITH m AS MATERIALIZED (" + l.walk(&args, l.states...) + ") SELECT id, k, count(*) OVER () AS n FROM m" +
			l.orderBy("k", "id") + " LIMIT ? OFFSET ?"
	case len(l.states) == 1:
		ids = l.walk(&args, l.states...) + l.orderBy(l.col, "id") + " LIMIT ? OFFSET ?"
	default:
		var parts []string
		for _, st := range l.states {
			parts = append(parts, "SELECT * FROM ("+l.walk(&args, st)+l.orderBy(l.col, "id")+" LIMIT ?) AS b")
			args = append(args, min(q.Offset(), math.MaxInt-q.PerPage)+q.PerPage)
		}
		ids = "SELECT id, k FROM (" + strings.Join(parts, " UNION ALL ") + ") AS u" + l.orderBy("k", "id") + " LIMIT ? OFFSET ?"
	}
	args = append(args, q.PerPage, q.Offset())
	total := ""
	if l.gathered() {
		total = "p.n, "
	}
	return l.withRows(total, ids), args
}

// walk is the query of the IDs and sort keys (k) of the rows of states,
// through the plan's index, unordered; its arguments are appended to args.
func (l *listPlan) walk(args *[]any, states ...invite.State) string {
	cond, a := l.where(states, l.expiry)
	*args = append(*args, a...)
	return "SELECT id, " + l.col + " AS k FROM " + l.from(l.index) + cond
}

// orderBy orders by the sort key column key, ties by id, in the plan's
// direction.
func (l *listPlan) orderBy(key, id string) string {
	dir := "ASC"
	if l.desc {
		dir = "DESC"
	}
	return " ORDER BY " + key + " " + dir + ", " + id + " " + dir
}

// withRows reads the rows (and their customer) of ids, a query of IDs and
// sort keys, in its order, each after the columns of extra. The outer query
// orders by the subquery's own columns, so the planner keeps the index
// order through the joins instead of sorting again.
func (l *listPlan) withRows(extra, ids string) string {
	return `SELECT ` + extra + invitationColumns + ` FROM (` + ids + `) AS p
		JOIN invitations i ON i.id = p.id
		JOIN customers c ON c.id = i.customer_id` + l.orderBy("p.k", "p.id")
}
