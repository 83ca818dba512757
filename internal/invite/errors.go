package invite

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an error so that each edge can map it: to an exit code in
// the CLI, to a status in the web handler.
type Code string

// Error codes.
const (
	EINVALID   Code = "invalid"   // bad input: validation, usage
	ENOTFOUND  Code = "not_found" // no such invitation, customer, user
	ECONFLICT  Code = "conflict"  // duplicate, already resolved, edited concurrently
	EDELIVERY  Code = "delivery"  // the email could not be delivered
	ECANCELLED Code = "cancelled" // confirmation declined or impossible
	EINTERNAL  Code = "internal"  // anything else
)

// FieldError is one rule violation on one field.
type FieldError struct {
	Field   string // the field's name: "first_name", "personal_number" (see Fields)
	Message string // the rule that was broken
}

func (f FieldError) String() string { return f.Field + ": " + f.Message }

// Error is a domain error: a code, a message for people, an optional hint
// saying what to do next, and per-field details for validation errors.
type Error struct {
	Code    Code
	Message string
	Hint    string
	Fields  []FieldError
	Err     error // cause, for logs only

	// About says what the error is about, for the edges that explain it:
	// the command line turns it into a hint naming a command, the web into
	// a page. The domain itself names no command and no flag.
	About About

	// kind is the sentinel this error is a variant of (a copy with a hint or
	// a more precise message); errors.Is matches it by identity.
	kind *Error
}

// About is what an error is about. Each sentinel's comment says which
// fields it fills.
type About struct {
	ID      int64  // an invitation's ID
	Version int    // the invitation's current version
	Name    string // a customer's name, or a REF or an email as given
	Owner   string // the customer an invitation belongs to
	// Paging: the last page, the number of rows, the rows per page.
	LastPage, Total, PerPage int
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.String()
	}
	if e.Message == "" {
		return strings.Join(parts, "; ")
	}
	return e.Message + ": " + strings.Join(parts, "; ")
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is match a sentinel by identity: the sentinel itself, or
// a variant of it made by WithHint or Explain. Two errors that merely share
// a code and a message are not the same error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && e.kind != nil && e.kind == t
}

// sentinel is what a variant of e remembers as its kind.
func (e *Error) sentinel() *Error {
	if e.kind != nil {
		return e.kind
	}
	return e
}

// Explain returns a variant of e with a more precise message, still matched
// by errors.Is(err, e).
func (e *Error) Explain(format string, args ...any) *Error {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	c.kind = e.sentinel()
	return &c
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// With returns a variant of e about a, still matched by errors.Is(err, e).
func (e *Error) With(a About) *Error {
	c := *e
	c.About = a
	c.kind = e.sentinel()
	return &c
}

// ErrorAbout returns what a domain error is about.
func ErrorAbout(err error) About {
	var e *Error
	if errors.As(err, &e) {
		return e.About
	}
	return About{}
}

// WithHint returns a copy of e with a hint, still matched by errors.Is(err, e).
func (e *Error) WithHint(format string, args ...any) *Error {
	c := *e
	c.Hint = fmt.Sprintf(format, args...)
	c.kind = e.sentinel()
	return &c
}

// ErrorCode returns the code of a domain error, EINTERNAL for anything else.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorHint returns the hint of a domain error, if any.
func ErrorHint(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Hint
	}
	return ""
}

// ErrorFields returns the field errors of a validation error.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Sentinel errors that callers tell apart. Variants (Explain, With) carry
// a precise message and what they are about; errors.Is matches the sentinel.
var (
	// ErrAlreadyResolved: the invitation (About.ID) is accepted or revoked.
	ErrAlreadyResolved = &Error{Code: ECONFLICT, Message: "the invitation is already resolved"}
	// ErrEditedMeanwhile: the invitation (About.ID) moved to About.Version.
	ErrEditedMeanwhile = &Error{Code: ECONFLICT, Message: "the invitation was changed by someone else meanwhile"}
	// ErrEmailTaken: the email (About.Name) has an open invitation or an account.
	ErrEmailTaken = &Error{Code: ECONFLICT, Message: "the email address already has an open invitation or an account"}

	// ErrCustomerExists: a customer named About.Name exists.
	ErrCustomerExists = &Error{Code: ECONFLICT, Message: "a customer with this name already exists"}
	// ErrCustomerUnknown: no customer is named About.Name.
	ErrCustomerUnknown = &Error{Code: ENOTFOUND, Message: "no such customer"}
	// ErrInvitationUnknown: no invitation has the ID or email About.Name.
	ErrInvitationUnknown = &Error{Code: ENOTFOUND, Message: "no such invitation"}
	// ErrOtherCustomer: invitation About.ID belongs to About.Owner, not to
	// the customer About.Name.
	ErrOtherCustomer = &Error{Code: ENOTFOUND, Message: "the invitation belongs to another customer"}
	// ErrBadRef: About.Name is neither an ID nor an email.
	ErrBadRef = &Error{Code: EINVALID, Message: "not an invitation ID or email"}
	// ErrAmbiguousRef: the email About.Name has invitations in several customers.
	ErrAmbiguousRef = &Error{Code: EINVALID, Message: "the email has invitations in several customers"}

	// ErrNoMailer: no mail transport is configured.
	ErrNoMailer = &Error{Code: EDELIVERY, Message: "no mail transport is configured"}
	// ErrNotDelivered: invitation About.ID's email was refused or failed.
	ErrNotDelivered = &Error{Code: EDELIVERY, Message: "the email could not be delivered"}
	// ErrNotSent: invitation About.ID's email was not sent: its batch stopped.
	ErrNotSent = &Error{Code: EDELIVERY, Message: "the email was not sent"}

	// ErrBadSort: the sort field (About.Name) is not one of SortFields.
	ErrBadSort = &Error{Code: EINVALID, Message: "invalid sort field"}
	// ErrBadSortDirection: the direction after the field About.Name is not asc or desc.
	ErrBadSortDirection = &Error{Code: EINVALID, Message: "invalid sort direction"}
	// ErrBadStatus: not a status filter.
	ErrBadStatus = &Error{Code: EINVALID, Message: "invalid status"}
	// ErrPageRange: the page lies past the end (About.LastPage, Total, PerPage).
	ErrPageRange = &Error{Code: EINVALID, Message: "page past the end"}

	// Link states, for the registration page.
	ErrLinkUnknown   = &Error{Code: ENOTFOUND, Message: "unknown or malformed invitation link"}
	ErrLinkExpired   = &Error{Code: ECONFLICT, Message: "the invitation link has expired"}
	ErrLinkRevoked   = &Error{Code: ECONFLICT, Message: "the invitation was revoked"}
	ErrLinkUsed      = &Error{Code: ECONFLICT, Message: "the invitation link was already used"}
	ErrAccountExists = &Error{Code: ECONFLICT, Message: "an account with this email address already exists"}

	// ErrUserUnknown: no account has the email About.Name.
	ErrUserUnknown = &Error{Code: ENOTFOUND, Message: "no such account"}
	// ErrNotAnEmail: About.Name, given for an account, is not an email address.
	ErrNotAnEmail = &Error{Code: EINVALID, Message: "not an email address"}
)
