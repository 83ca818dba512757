package invite

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultTTL is how long an invitation link is valid: one year.
const DefaultTTL = 365 * 24 * time.Hour

// DefaultSessionTTL is how long a browser stays signed in.
const DefaultSessionTTL = 7 * 24 * time.Hour

// Service holds the use cases. Its fields are its dependencies; the zero
// values of TTL, Now and DefaultLanguage are replaced by defaults.
type Service struct {
	Store           Store
	Mailer          Mailer // nil: links are printed, never sent
	Links           Links
	Passwords       Passwords
	Now             func() time.Time
	TTL             time.Duration
	SessionTTL      time.Duration
	BaseURL         string
	DefaultLanguage string
	// Connections is how many mail sessions Deliver uses at once when the
	// mailer can open sessions (SessionMailer); 0 or 1: one.
	Connections int
	// ActorNamed says the actor was given explicitly (not taken from the
	// operating system): only then do emails this service sends name who
	// invited.
	ActorNamed bool
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC().Truncate(time.Microsecond)
	}
	return s.Now().UTC().Truncate(time.Microsecond)
}

func (s *Service) ttl() time.Duration {
	if s.TTL <= 0 {
		return DefaultTTL
	}
	return s.TTL
}

// Link returns the URL an invitee opens for inv's current link generation.
func (s *Service) Link(inv Invitation) string {
	base := strings.TrimRight(s.BaseURL, "/")
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	return base + "/invite/" + s.Links.Token(inv.ID, inv.LinkGeneration)
}

// AddCustomer creates a customer.
func (s *Service) AddCustomer(ctx context.Context, actor, name string) (Customer, error) {
	name, err := ValidateCustomerName(name)
	if err != nil {
		return Customer{}, err
	}
	c := Customer{Name: name, CreatedAt: s.now()}
	ev := AuditEvent{At: c.CreatedAt, Actor: actor, Action: ActionCustomerAdd, Detail: "customer " + strconv.Quote(name)}
	if err := s.Store.CreateCustomer(ctx, &c, ev); err != nil {
		if ErrorCode(err) == ECONFLICT {
			return Customer{}, ErrCustomerExists.Explain("a customer named %q already exists", name).With(About{Name: name})
		}
		return Customer{}, err
	}
	return c, nil
}

// Customer finds a customer by name, with a hint when it does not exist.
func (s *Service) Customer(ctx context.Context, name string) (Customer, error) {
	c, err := s.Store.CustomerByName(ctx, strings.TrimSpace(name))
	if ErrorCode(err) == ENOTFOUND {
		return c, ErrCustomerUnknown.Explain("no customer named %q", name).With(About{Name: name})
	}
	return c, err
}

// NewInvitation is the input of Invite.
type NewInvitation struct {
	Customer string
	Email    string
	Details  Patch
	Language string // empty: the default language
	Actor    string
	NoSend   bool
}

// Invite validates and records an invitation, then sends the email unless
// NoSend is set or there is no mailer. It returns the invitation and its link.
// When sending fails the invitation stays recorded and the error is EDELIVERY.
func (s *Service) Invite(ctx context.Context, in NewInvitation) (Invitation, string, error) {
	now := s.now() // one clock reading: the personal number's "not in the future" and the record's times
	inv, errs := s.checkNew(in, now)
	if len(errs) > 0 {
		return Invitation{}, "", &Error{Code: EINVALID, Message: "invalid invitation", Fields: errs}
	}
	cust, err := s.Customer(ctx, in.Customer)
	if err != nil {
		return Invitation{}, "", err
	}
	inv.CustomerID, inv.Customer = cust.ID, cust.Name
	email := inv.Email
	ev := AuditEvent{At: now, Actor: in.Actor, Action: ActionInvite,
		Detail: fmt.Sprintf("invited %s to %q", email, cust.Name)}
	mail := KindInvitation
	if in.NoSend {
		mail = ""
	}
	if err := s.Store.CreateInvitation(ctx, &inv, ev, mail); err != nil {
		if errors.Is(err, ErrEmailTaken) {
			return Invitation{}, "", ErrEmailTaken.Explain("%s already has an open invitation or an account", email).With(About{Name: email})
		}
		return Invitation{}, "", err
	}
	link := s.Link(inv)
	if in.NoSend {
		return inv, link, nil
	}
	out, err := s.deliverOne(ctx, in.Actor, inv)
	return out, link, err
}

// deliverOne delivers the email just queued for inv, and returns inv as
// stored afterwards. An email that is not delivered stays in the outbox
// (queued or failed) and the error is EDELIVERY; one that another deliverer
// claimed first is no error.
func (s *Service) deliverOne(ctx context.Context, actor string, inv Invitation) (Invitation, error) {
	if s.Mailer == nil {
		return inv, ErrNoMailer.With(About{ID: inv.ID})
	}
	var outcome *DeliveryOutcome
	_, err := s.Deliver(ctx, DeliverRequest{InvitationIDs: []int64{inv.ID}, Actor: actor, Report: func(o DeliveryOutcome) { outcome = &o }})
	if err != nil {
		return inv, err
	}
	if stored, err := s.Store.Invitation(ctx, inv.ID); err == nil {
		inv = stored
	}
	switch {
	case outcome == nil:
		// Another deliverer claimed it first and is sending it: done, as a
		// REF sent elsewhere is; inv.Delivery says it is still queued.
		return inv, nil
	case outcome.State != DeliverySent:
		return inv, undelivered(*outcome)
	}
	return inv, nil
}

// checkNew validates a new invitation as every way of making one does
// (invite, import): it returns the invitation in, at time now, describes
// (without its customer's ID) or every rule it breaks.
func (s *Service) checkNew(in NewInvitation, now time.Time) (Invitation, []FieldError) {
	var errs []FieldError
	if strings.TrimSpace(in.Customer) == "" {
		errs = append(errs, FieldError{Field: "customer", Message: "is required"})
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		errs = append(errs, FieldError{Field: "email", Message: err.Error()})
	}
	for _, f := range Fields {
		if f.Required && f.Given(in.Details) == nil {
			errs = append(errs, FieldError{Field: f.Name, Message: "is required"})
		}
	}
	details, _, err := in.Details.ApplyAt(Details{}, now)
	errs = append(errs, ErrorFields(err)...)
	lang := cmp.Or(in.Language, s.DefaultLanguage, Swedish)
	if !ValidLanguage(lang) {
		errs = append(errs, FieldError{Field: "language", Message: fmt.Sprintf("must be sv or en (got %q)", lang)})
	}
	return Invitation{
		Customer:  strings.TrimSpace(in.Customer),
		Email:     email,
		Details:   details,
		Language:  lang,
		State:     StatePending,
		ExpiresAt: now.Add(s.ttl()),
		CreatedAt: now,
		CreatedBy: in.Actor,
	}, errs
}

// invitationEmail is the email that sends inv's current link.
func (s *Service) invitationEmail(inv Invitation) InvitationEmail {
	return InvitationEmail{
		To: inv.Email, FirstName: inv.FirstName, LastName: inv.LastName,
		Customer: inv.Customer, Language: inv.Language, Link: s.Link(inv),
		ExpiresAt: inv.ExpiresAt, SentBy: inv.CreatedBy,
	}
}

// Resolve finds the invitation a REF names: a numeric ID, or an email
// (optionally within one customer).
func (s *Service) Resolve(ctx context.Context, ref, customer string) (Invitation, error) {
	ref = strings.TrimSpace(ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		inv, err := s.Store.Invitation(ctx, id)
		if ErrorCode(err) == ENOTFOUND {
			return inv, ErrInvitationUnknown.Explain("no invitation with ID %d", id).With(About{Name: ref})
		}
		if err != nil || customer == "" {
			return inv, err
		}
		// A customer given with an ID must be the invitation's own.
		c, err := s.Customer(ctx, customer)
		if err != nil {
			return Invitation{}, err
		}
		if c.ID != inv.CustomerID {
			return Invitation{}, ErrOtherCustomer.Explain("invitation %d is not one of %q", id, c.Name).
				With(About{ID: id, Name: c.Name, Owner: inv.Customer})
		}
		return inv, nil
	}
	if !strings.Contains(ref, "@") {
		return Invitation{}, ErrBadRef.Explain("%q is neither an invitation ID nor an email address", ref).With(About{Name: ref})
	}
	var custID int64
	if customer != "" {
		c, err := s.Customer(ctx, customer)
		if err != nil {
			return Invitation{}, err
		}
		custID = c.ID
	}
	invs, err := s.Store.InvitationsByEmail(ctx, ref, custID)
	if err != nil {
		return Invitation{}, err
	}
	if len(invs) == 0 {
		return Invitation{}, ErrInvitationUnknown.Explain("no invitation for %s", ref).With(About{Name: ref})
	}
	if len(invs) == 1 {
		return invs[0], nil
	}
	customers := map[int64]string{}
	var open []Invitation
	for _, inv := range invs {
		customers[inv.CustomerID] = inv.Customer
		if inv.Open() {
			open = append(open, inv)
		}
	}
	if len(customers) > 1 && custID == 0 {
		var names []string
		for _, n := range customers {
			names = append(names, strconv.Quote(n))
		}
		sort.Strings(names)
		return Invitation{}, ErrAmbiguousRef.Explain("%s has invitations in several customers (%s)", ref, strings.Join(names, ", ")).With(About{Name: ref})
	}
	if len(open) == 1 {
		return open[0], nil
	}
	return invs[0], nil // newest
}

// Show returns an invitation. With reveal, the personal number is returned
// unmasked by the caller's choice and the reveal is recorded.
func (s *Service) Show(ctx context.Context, actor string, id int64, reveal bool) (Invitation, error) {
	inv, err := s.Store.Invitation(ctx, id)
	if err != nil {
		return inv, err
	}
	if reveal && inv.PersonalNumber != "" {
		ev := AuditEvent{At: s.now(), Actor: actor, Action: ActionReveal, InvitationID: id, Detail: "personal number revealed"}
		if err := s.Store.AddAudit(ctx, ev); err != nil {
			return inv, err
		}
	}
	return inv, nil
}

// List returns one page of invitations. A page past the end is EINVALID
// naming the last page.
func (s *Service) List(ctx context.Context, q ListQuery) (InvitationPage, error) {
	q, err := s.listQuery(q)
	if err != nil {
		return InvitationPage{}, err
	}
	p, err := s.Store.ListInvitations(ctx, q)
	if err != nil {
		return p, err
	}
	if err := pastEnd(q.Page, q.PerPage, p.Total); err != nil {
		return InvitationPage{}, err
	}
	return p, nil
}

// StreamInvitations calls fn for every invitation q selects, its paging
// aside, in q's order, all read from one snapshot, and stops at fn's first
// error, which it returns.
func (s *Service) StreamInvitations(ctx context.Context, q ListQuery, fn func(Invitation) error) error {
	q.Page, q.PerPage = 1, 1 // a stream has no pages
	q, err := s.listQuery(q)
	if err != nil {
		return err
	}
	return s.Store.StreamInvitations(ctx, q, fn)
}

// CountInvitations counts the invitations q selects, its paging aside.
func (s *Service) CountInvitations(ctx context.Context, q ListQuery) (int, error) {
	q.Page, q.PerPage = 1, 1
	q, err := s.listQuery(q)
	if err != nil {
		return 0, err
	}
	p, err := s.Store.ListInvitations(ctx, q)
	return p.Total, err
}

// listQuery fills q's defaults (open invitations, the default sort, the
// first page of DefaultPerPage, now) and validates it: the store lists
// what it is given.
func (s *Service) listQuery(q ListQuery) (ListQuery, error) {
	if q.Now.IsZero() {
		q.Now = s.now()
	}
	if q.Status == "" {
		q.Status = FilterOpen
	}
	if q.Sort.Field == "" {
		q.Sort = DefaultSort
	}
	if q.PerPage == 0 {
		q.PerPage = DefaultPerPage
	}
	if q.Page == 0 {
		q.Page = 1
	}
	return q, q.Validate()
}

// Audit returns one page of the audit log. A page past the end is
// EINVALID naming the last page.
func (s *Service) Audit(ctx context.Context, q AuditQuery) (AuditPage, error) {
	p, err := s.Store.AuditPage(ctx, q)
	if err != nil {
		return p, err
	}
	if err := pastEnd(q.Page, q.PerPage, p.Total); err != nil {
		return AuditPage{}, err
	}
	return p, nil
}

// Customers returns every customer, with its counts, in Swedish
// alphabetical order.
func (s *Service) Customers(ctx context.Context) ([]CustomerSummary, error) {
	return s.Store.ListCustomers(ctx)
}

// EnsureCustomers returns the customers with the given names, creating
// those that do not exist yet (each with its audit event).
func (s *Service) EnsureCustomers(ctx context.Context, actor string, names []string) ([]Customer, error) {
	out := make([]Customer, 0, len(names))
	for _, name := range names {
		c, err := s.Store.CustomerByName(ctx, name)
		if ErrorCode(err) == ENOTFOUND {
			c, err = s.AddCustomer(ctx, actor, name)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// LoadInvitations stores the invitations of batches as they are, without
// per-row checks (sample data): see Store.LoadInvitations.
func (s *Service) LoadInvitations(ctx context.Context, batches iter.Seq[[]Invitation]) (int, error) {
	return s.Store.LoadInvitations(ctx, batches)
}

// Ping checks that the store answers.
func (s *Service) Ping(ctx context.Context) error { return s.Store.Ping(ctx) }

// Edit applies a patch (and optionally a new language) to an open
// invitation. ifVersion, when non-zero, is the version the caller based the
// edit on: if the invitation changed since, the edit fails with
// ErrEditedMeanwhile. Without it, an edit that meets a concurrent change
// reads the invitation again and applies the patch to it: the patch names
// only the fields to set, so nothing the other change wrote is lost. It
// returns the updated invitation and the fields changed.
func (s *Service) Edit(ctx context.Context, actor string, id int64, p Patch, language *string, ifVersion int) (Invitation, []string, error) {
	if ifVersion < 0 {
		return Invitation{}, nil, Errorf(EINVALID, "invalid version %d: versions start at 1", ifVersion)
	}
	for {
		inv, changed, err := s.edit(ctx, actor, id, p, language, ifVersion)
		if ifVersion != 0 || !errors.Is(err, ErrEditedMeanwhile) {
			return inv, changed, err
		}
		// Someone else's change committed in between: theirs is in, so
		// every retry follows progress, and ends.
		if err := ctx.Err(); err != nil {
			return inv, nil, err
		}
	}
}

// edit is one attempt of Edit, on the invitation as it is now.
func (s *Service) edit(ctx context.Context, actor string, id int64, p Patch, language *string, ifVersion int) (Invitation, []string, error) {
	inv, err := s.Store.Invitation(ctx, id)
	if err != nil {
		return inv, nil, err
	}
	if ifVersion != 0 && inv.Version != ifVersion {
		return inv, nil, ErrEditedMeanwhile.With(About{ID: id, Version: inv.Version})
	}
	if !inv.Open() {
		return inv, nil, resolvedError(inv, "edited")
	}
	details, changed, err := p.ApplyAt(inv.Details, s.now())
	if err != nil {
		return inv, nil, err
	}
	upd := inv
	upd.Details = details
	if language != nil {
		l := strings.TrimSpace(*language)
		if !ValidLanguage(l) {
			return inv, nil, &Error{Code: EINVALID, Message: "invalid details", Fields: []FieldError{{Field: "language", Message: fmt.Sprintf("must be sv or en (got %q)", l)}}}
		}
		if l != inv.Language {
			upd.Language = l
			changed = append(changed, "language")
		}
	}
	if len(changed) == 0 {
		return inv, nil, nil
	}
	ev := AuditEvent{At: s.now(), Actor: actor, Action: ActionEdit, InvitationID: id, Detail: "changed " + Changes(changed)}
	out, err := s.Store.UpdateInvitation(ctx, upd, ev)
	return out, changed, err
}

func resolvedError(inv Invitation, verb string) error {
	return ErrAlreadyResolved.Explain("invitation %d (%s) is already %s and cannot be %s", inv.ID, inv.Email, inv.State, verb).
		With(About{ID: inv.ID})
}

// Revoke revokes an open invitation; its link stops working at once.
func (s *Service) Revoke(ctx context.Context, actor string, inv Invitation) (Invitation, error) {
	if !inv.Open() {
		return inv, resolvedError(inv, "revoked")
	}
	now := s.now()
	upd := inv
	upd.State = StateRevoked
	upd.RevokedAt = now
	ev := AuditEvent{At: now, Actor: actor, Action: ActionRevoke, InvitationID: inv.ID, Detail: "revoked invitation for " + inv.Email}
	return s.Store.UpdateInvitation(ctx, upd, ev)
}
