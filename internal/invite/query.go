package invite

// What a list asks for: the status, delivery and sort filters, and paging.

import (
	"math"
	"slices"
	"strings"
	"time"
)

// StatusFilter selects invitations by status.
type StatusFilter string

// Status filters. Open = pending or expired.
const (
	FilterOpen     StatusFilter = "open"
	FilterPending  StatusFilter = "pending"
	FilterExpired  StatusFilter = "expired"
	FilterAccepted StatusFilter = "accepted"
	FilterRevoked  StatusFilter = "revoked"
	FilterAll      StatusFilter = "all"
)

// ParseDeliveryFilter validates a delivery filter: queued, sent, failed or
// none ("" for any).
func ParseDeliveryFilter(s string) (DeliveryState, error) {
	switch d := DeliveryState(strings.ToLower(strings.TrimSpace(s))); d {
	case "", DeliveryQueued, DeliverySent, DeliveryFailed, DeliveryNone:
		return d, nil
	}
	return "", Errorf(EINVALID, "invalid delivery state %q", s).WithHint("use one of: queued, sent, failed, none")
}

// ParseStatusFilter validates a status filter.
func ParseStatusFilter(s string) (StatusFilter, error) {
	switch f := StatusFilter(strings.ToLower(strings.TrimSpace(s))); f {
	case FilterOpen, FilterPending, FilterExpired, FilterAccepted, FilterRevoked, FilterAll, FilterPurged:
		return f, nil
	case "":
		return FilterOpen, nil
	}
	return "", ErrBadStatus.Explain("invalid status %q", s).WithHint("use one of: pending, expired, accepted, revoked, open, all, purged")
}

// SortField is a column list can sort by.
type SortField string

// Sort fields.
const (
	SortCustomer  SortField = "customer"
	SortFirstName SortField = "first-name"
	SortLastName  SortField = "last-name"
	SortEmail     SortField = "email"
	SortSentOn    SortField = "sent-on"
)

// SortFields lists the sort fields in the order help shows them.
var SortFields = []SortField{SortCustomer, SortFirstName, SortLastName, SortEmail, SortSentOn}

// Sort is a field and a direction.
type Sort struct {
	Field SortField
	Desc  bool
}

func (s Sort) String() string {
	if s.Desc {
		return string(s.Field) + ":desc"
	}
	return string(s.Field) + ":asc"
}

// DefaultSort is first-name ascending.
var DefaultSort = Sort{Field: SortFirstName}

// ParseSort parses FIELD[:asc|desc].
func ParseSort(s string) (Sort, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultSort, nil
	}
	field, dir, hasDir := strings.Cut(s, ":")
	out := Sort{Field: SortField(strings.ToLower(field))}
	valid := false
	for _, f := range SortFields {
		valid = valid || f == out.Field
	}
	if !valid {
		return Sort{}, ErrBadSort.Explain("invalid sort field %q", field).With(About{Name: field})
	}
	switch strings.ToLower(dir) {
	case "asc":
	case "desc":
		out.Desc = true
	default:
		if hasDir {
			return Sort{}, ErrBadSortDirection.Explain("invalid sort direction %q", dir).With(About{Name: field})
		}
	}
	return out, nil
}

// Paging limits.
const (
	DefaultPerPage = 20
	MaxPerPage     = 1000
)

// ListQuery selects a page of invitations.
type ListQuery struct {
	Status     StatusFilter
	CustomerID int64         // 0: any
	Search     string        // whitespace-separated terms, each a substring (ignoring case) of the first name, last name or email; all must match
	Delivery   DeliveryState // only invitations whose latest email is in this state; "" for any
	// SentBefore, when set, keeps invitations whose latest email was
	// delivered before it (and none is queued or failed since): reminders.
	SentBefore time.Time
	MaxSends   int // when set, keeps invitations sent fewer emails than this
	Sort       Sort
	Page       int // 1-based
	PerPage    int
	Now        time.Time // separates pending from expired
}

// Offset is the number of rows before the page. A page too far to compute
// gives math.MaxInt: past the end of any store, which then names the last page.
func (q ListQuery) Offset() int { return PageOffset(q.Page, q.PerPage) }

// PageOffset is the number of rows before a 1-based page, saturating at
// math.MaxInt instead of overflowing into a negative offset.
func PageOffset(page, perPage int) int {
	if page < 1 || perPage < 1 {
		return 0
	}
	if page-1 > math.MaxInt/perPage {
		return math.MaxInt
	}
	return (page - 1) * perPage
}

// Validate checks the paging values.
func (q ListQuery) Validate() error { return CheckPaging(q.Page, q.PerPage) }

// CheckPaging checks a 1-based page number and a page size, of any list.
func CheckPaging(page, perPage int) error {
	if page < 1 {
		return Errorf(EINVALID, "invalid page %d", page).WithHint("pages start at 1")
	}
	if perPage < 1 || perPage > MaxPerPage {
		return Errorf(EINVALID, "invalid per-page %d", perPage).WithHint("use a value from 1 to %d", MaxPerPage)
	}
	return nil
}

// InvitationPage is one page of a list.
type InvitationPage struct {
	Invitations []Invitation
	Total       int
}

// UserPage is one page of users.
type UserPage struct {
	Users []User
	Total int
}

// LastPage returns the number of the last page for total rows (at least 1).
func LastPage(total, perPage int) int {
	if total == 0 {
		return 1
	}
	return (total + perPage - 1) / perPage
}

// pastEnd is the error of a page past the end of total rows (the first
// page never is), nil for a page within it: list, users list and audit
// alike.
func pastEnd(page, perPage, total int) error {
	if page <= 1 || PageOffset(page, perPage) < total {
		return nil
	}
	last := LastPage(total, perPage)
	return ErrPageRange.Explain("page %d is past the end: the last page is %d", page, last).
		With(About{LastPage: last, Total: total, PerPage: perPage})
}

// DefaultAuditPerPage is the audit log's page size.
const DefaultAuditPerPage = 50

// AuditActions are the actions the audit log records, in the order help
// lists them.
var AuditActions = []string{ActionInvite, ActionEdit, ActionResend, ActionRevoke, ActionReveal, ActionAccept,
	ActionImport, ActionPurge, ActionUserDelete, ActionSend, ActionCustomerAdd, ActionResetRequest, ActionReset,
	ActionPasswordChange, ActionLanguage}

// ParseAuditAction validates an action filter ("" for any).
func ParseAuditAction(s string) (string, error) {
	a := strings.ToLower(strings.TrimSpace(s))
	if a == "" || slices.Contains(AuditActions, a) {
		return a, nil
	}
	return "", Errorf(EINVALID, "invalid action %q", s).WithHint("use one of: %s", strings.Join(AuditActions, ", "))
}

// AuditQuery selects a page of the audit log, newest first.
type AuditQuery struct {
	InvitationID int64     // 0: every event
	Since        time.Time // zero: from the start
	Actor        string    // "" for any
	Action       string    // "" for any
	Page         int       // 1-based
	PerPage      int
}

// Offset is the number of events before the page (see PageOffset).
func (q AuditQuery) Offset() int { return PageOffset(q.Page, q.PerPage) }

// Validate checks the paging values.
func (q AuditQuery) Validate() error {
	return CheckPaging(q.Page, q.PerPage)
}

// AuditPage is one page of the audit log.
type AuditPage struct {
	Events []AuditEvent
	Total  int
}
