package invite

import (
	"context"
	"iter"
	"time"
)

// Store persists customers, invitations, users, sessions and audit events.
// Every method that changes state writes its audit event in the same
// transaction. Implementations must pass storetest.Run.
type Store interface {
	CustomerStore
	InvitationStore
	UserStore
	AuditStore
	Outbox
	Eraser
	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	Close() error
}

// CustomerStore keeps the customer organisations.
type CustomerStore interface {
	// CreateCustomer adds a customer. ECONFLICT if the name exists (ignoring case).
	CreateCustomer(ctx context.Context, c *Customer, ev AuditEvent) error
	// CustomerByName finds a customer by name, ignoring case. ENOTFOUND if none.
	CustomerByName(ctx context.Context, name string) (Customer, error)
	// ListCustomers returns every customer in Swedish alphabetical order.
	ListCustomers(ctx context.Context) ([]CustomerSummary, error)
}

// InvitationStore keeps invitations and lists them.
type InvitationStore interface {
	// CreateInvitation inserts inv, setting inv.ID, and its audit event,
	// and queues an email of kind mail with it ("" for none) in the same
	// transaction. ECONFLICT (ErrEmailTaken) if the email, ignoring case,
	// belongs to an open invitation or to a user. ENOTFOUND if the customer
	// does not exist.
	CreateInvitation(ctx context.Context, inv *Invitation, ev AuditEvent, mail DeliveryKind) error
	// Invitation returns one invitation. ENOTFOUND if none.
	Invitation(ctx context.Context, id int64) (Invitation, error)
	// InvitationsByID returns the invitations of ids that exist, by ID,
	// read in one snapshot.
	InvitationsByID(ctx context.Context, ids []int64) (map[int64]Invitation, error)
	// InvitationsByEmail returns every invitation for an email, ignoring
	// case, newest first; customerID 0 means any customer.
	InvitationsByEmail(ctx context.Context, email string, customerID int64) ([]Invitation, error)
	// ListInvitations returns one page and the total number of matches,
	// both read from one snapshot.
	ListInvitations(ctx context.Context, q ListQuery) (InvitationPage, error)
	// StreamInvitations calls fn for every invitation that q selects, its
	// paging aside, in q's order, all read from one snapshot, and stops at
	// fn's first error, which it returns.
	StreamInvitations(ctx context.Context, q ListQuery, fn func(Invitation) error) error
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
	// UpdateInvitationsChunks applies the changes that chunks passes to
	// write, chunk by chunk, in one transaction, each as UpdateInvitations
	// applies one; write returns each change's own error (nil when it was
	// written). All or nothing: when a change of any chunk failed, or
	// chunks returns an error (which it returns), nothing is written.
	UpdateInvitationsChunks(ctx context.Context, chunks func(write func([]InvitationChange) (errs []error, err error)) error) error
	// ImportInvitations writes the invitations that chunks passes to
	// write, chunk by chunk, all or nothing, in one transaction with the
	// audit event w.Event gives for the number written, queueing an email
	// of kind w.Mail ("" for none) for each, and sets their IDs as each
	// chunk is written. Each chunk is first checked for emails that
	// already have an open invitation or an account: with w.SkipOpen those
	// with an open invitation are left out (reported as skipped); when
	// others remain (as conflicts), or with w.DryRun, nothing is written.
	// write reports a chunk's conflicts and skips by index in the chunk;
	// the result, by index across the chunks.
	ImportInvitations(ctx context.Context, w ImportWrite, chunks func(write func([]Invitation) (ImportWritten, error)) error) (ImportWritten, error)
	// InsertInvitations inserts many invitations in one transaction,
	// without per-row checks beyond the schema's. IDs are kept when set.
	InsertInvitations(ctx context.Context, invs []Invitation) error
	// LoadInvitations inserts the invitations of batches as
	// InsertInvitations does, for seed: into a store with no invitations
	// in one transaction that indexes the rows once they are all written,
	// otherwise a transaction a batch. When ctx ends it stops after the
	// batch being written and returns ctx's error with the number stored.
	LoadInvitations(ctx context.Context, batches iter.Seq[[]Invitation]) (int, error)
}

// UserStore keeps the accounts and their sessions.
type UserStore interface {
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
}

// AuditStore keeps the audit log.
type AuditStore interface {
	// AddAudit records an event that goes with no state change (a reveal).
	AddAudit(ctx context.Context, ev AuditEvent) error
	// ListAudit returns events oldest first; invitationID 0 means all.
	ListAudit(ctx context.Context, invitationID int64) ([]AuditEvent, error)
	// AuditPage returns one page of the events that q selects, newest
	// first (ties on time broken by ID, newest first), and the number of
	// all of them, both read from one snapshot.
	AuditPage(ctx context.Context, q AuditQuery) (AuditPage, error)
}

// InvitationChange is one update of Store.UpdateInvitations: Invitation is
// written if the stored version still equals Invitation.Version, and Event
// is recorded with it. With Mail set, an email of that kind is queued for
// the invitation's (new) link generation in the same transaction. Either
// way, a change that moves the link generation or resolves the invitation
// supersedes its undelivered emails: only the latest link is ever sent.
type InvitationChange struct {
	Invitation Invitation
	Event      AuditEvent
	Mail       DeliveryKind
}

// ImportWrite says how Store.ImportInvitations writes.
type ImportWrite struct {
	Event    func(written int) AuditEvent
	Mail     DeliveryKind
	DryRun   bool
	SkipOpen bool // leave out the invitations whose email has an open one
}

// ImportWritten is what Store.ImportInvitations found: the indexes of the
// invitations whose email is taken (nothing was written), and those left
// out because their email has an open invitation, with its ID.
type ImportWritten struct {
	Conflicts []int
	Skipped   []ImportSkip
}

// ImportSkip is an invitation left out of an import: its index, and the
// open invitation its email already has.
type ImportSkip struct {
	Index int
	ID    int64
}

// CustomerSummary is a customer with counts for `customers list`.
type CustomerSummary struct {
	Customer
	OpenInvitations int
	Users           int
}
