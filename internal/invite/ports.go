package invite

import (
	"context"
	"math"
	"strings"
	"time"
)

// Store persists customers, invitations, users, sessions and audit events.
// Every method that changes state writes its audit event in the same
// transaction. Implementations must pass storetest.Run.
type Store interface {
	// CreateCustomer adds a customer. ECONFLICT if the name exists (ignoring case).
	CreateCustomer(ctx context.Context, c *Customer, ev AuditEvent) error
	// CustomerByName finds a customer by name, ignoring case. ENOTFOUND if none.
	CustomerByName(ctx context.Context, name string) (Customer, error)
	// ListCustomers returns every customer in Swedish alphabetical order.
	ListCustomers(ctx context.Context) ([]CustomerSummary, error)

	// CreateInvitation inserts inv, setting inv.ID, and its audit event.
	// ECONFLICT (ErrEmailTaken) if the email, ignoring case, belongs to an
	// open invitation or to a user. ENOTFOUND if the customer does not exist.
	CreateInvitation(ctx context.Context, inv *Invitation, ev AuditEvent) error
	// Invitation returns one invitation. ENOTFOUND if none.
	Invitation(ctx context.Context, id int64) (Invitation, error)
	// InvitationsByEmail returns every invitation for an email, ignoring
	// case, newest first; customerID 0 means any customer.
	InvitationsByEmail(ctx context.Context, email string, customerID int64) ([]Invitation, error)
	// ListInvitations returns one page and the total number of matches.
	ListInvitations(ctx context.Context, q ListQuery) (InvitationPage, error)
	// UpdateInvitation writes inv if the stored version still equals
	// inv.Version, increments the version and records ev, all in one
	// transaction. It returns the stored invitation. ENOTFOUND if the
	// invitation is gone; ErrEditedMeanwhile if the version moved.
	UpdateInvitation(ctx context.Context, inv Invitation, ev AuditEvent) (Invitation, error)
	// UpdateInvitations applies many changes in one transaction, each as
	// UpdateInvitation applies one: conditional on its version, with its
	// audit event. Each change is written or not on its own: when errs[i] is
	// nil, out[i] is the stored invitation; otherwise change i was not
	// written (ENOTFOUND, ErrEditedMeanwhile, ErrEmailTaken) and the others
	// were all the same. A non-nil err means that nothing was written.
	UpdateInvitations(ctx context.Context, changes []InvitationChange) (out []Invitation, errs []error, err error)
	// InsertInvitations inserts many invitations at once, without per-row
	// checks beyond the schema's; for seed and copy. IDs are kept when set.
	InsertInvitations(ctx context.Context, invs []Invitation) error

	// Accept accepts invitation inv.ID at time inv.AcceptedAt (u.CreatedAt
	// when zero), creates the user u (setting u.ID) and the session s and
	// records ev, all or nothing. It is conditional on what a link needs,
	// not on inv.Version: the invitation must still be pending, on link
	// generation inv.LinkGeneration (the token's), and unexpired
	// (expires_at > inv.AcceptedAt); an edit or a resend in between is no
	// reason to refuse. The user gets the customer, email and details of
	// the invitation as stored inside the accepting transaction, whatever u
	// and inv held; u keeps its language, password hash and times. Errors:
	// ErrLinkUnknown if the invitation does not exist; ErrLinkUsed if it is
	// accepted (of two concurrent accepts, the second); ErrLinkRevoked if it
	// is revoked; ErrLinkExpired if its link generation moved on (renewed)
	// or it expired; ErrAccountExists if a user with the email exists.
	// Nothing is written when it fails.
	Accept(ctx context.Context, inv Invitation, u *User, s Session, ev AuditEvent) error
	// ListUsers returns one page of users ordered by id.
	ListUsers(ctx context.Context, page, perPage int) (UserPage, error)
	// SessionUser returns the user of a live session. ENOTFOUND if none.
	SessionUser(ctx context.Context, idHash []byte, now time.Time) (User, error)
	// DeleteSession ends a session; deleting a missing one is not an error.
	DeleteSession(ctx context.Context, idHash []byte) error

	// AddAudit records an event that goes with no state change (a reveal).
	AddAudit(ctx context.Context, ev AuditEvent) error
	// ListAudit returns events oldest first; invitationID 0 means all.
	ListAudit(ctx context.Context, invitationID int64) ([]AuditEvent, error)

	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	Close() error
}

// InvitationChange is one update of Store.UpdateInvitations: Invitation is
// written if the stored version still equals Invitation.Version, and Event
// is recorded with it.
type InvitationChange struct {
	Invitation Invitation
	Event      AuditEvent
}

// CustomerSummary is a customer with counts for `customers list`.
type CustomerSummary struct {
	Customer
	OpenInvitations int
	Users           int
}

// Mailer delivers invitation emails. A returned error means the message was
// not delivered.
type Mailer interface {
	SendInvitation(ctx context.Context, m InvitationEmail) error
}

// PreparingMailer is a Mailer that can write a message apart from sending
// it, so that a batch writes the next messages while the current one is on
// the wire.
type PreparingMailer interface {
	Mailer
	// PrepareInvitation writes the email for m and sends nothing. It fails
	// as SendInvitation does for a message that cannot be written.
	PrepareInvitation(m InvitationEmail) (PreparedEmail, error)
}

// PreparedEmail is a written email, ready to be sent by the mailer that
// wrote it.
type PreparedEmail interface {
	// Send delivers the email. A returned error means it was not delivered.
	Send(ctx context.Context) error
}

// InvitationEmail is what the mailer needs to write an invitation email.
type InvitationEmail struct {
	To        string
	FirstName string
	LastName  string
	Customer  string
	Language  string // sv or en
	Link      string
	ExpiresAt time.Time
	SentBy    string
}

// Links derives and verifies invitation link tokens (see package link).
type Links interface {
	Token(id int64, generation int) string
	Verify(token string) (id int64, generation int, ok bool)
}

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

// ParseStatusFilter validates a status filter.
func ParseStatusFilter(s string) (StatusFilter, error) {
	switch f := StatusFilter(strings.ToLower(strings.TrimSpace(s))); f {
	case FilterOpen, FilterPending, FilterExpired, FilterAccepted, FilterRevoked, FilterAll:
		return f, nil
	case "":
		return FilterOpen, nil
	}
	return "", ErrBadStatus.Explain("invalid status %q", s).WithHint("use one of: pending, expired, accepted, revoked, open, all")
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
	CustomerID int64  // 0: any
	Search     string // substring of first name, last name or email, ignoring case
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
func (q ListQuery) Validate() error {
	if q.Page < 1 {
		return Errorf(EINVALID, "invalid page %d", q.Page).WithHint("pages start at 1")
	}
	if q.PerPage < 1 || q.PerPage > MaxPerPage {
		return Errorf(EINVALID, "invalid per-page %d", q.PerPage).WithHint("use a value from 1 to %d", MaxPerPage)
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

// PageRangeError is returned for a page past the end.
func PageRangeError(page, total, perPage int) error {
	last := LastPage(total, perPage)
	return ErrPageRange.Explain("page %d is past the end: the last page is %d", page, last).
		With(About{LastPage: last, Total: total, PerPage: perPage})
}
