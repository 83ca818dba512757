package invite

import (
	"context"
	"time"
)

// Mailer delivers invitation emails. A returned error means the message was
// not delivered.
type Mailer interface {
	SendInvitation(ctx context.Context, m InvitationEmail) error
}

// SessionMailer is a Mailer that can open sessions of its own, each over
// its own connection: Deliver runs one loop per session.
type SessionMailer interface {
	Mailer
	Session() MailSession
}

// MailSession is one connection's mailer; Close ends the connection.
type MailSession interface {
	Mailer
	Close() error
}

// InvitationEmail is what the mailer needs to write an invitation email.
type InvitationEmail struct {
	// Kind says which email it is: "" or KindInvitation (or KindReminder)
	// for an invitation, KindPasswordReset for a password reset link
	// (Customer is then the account's organisation, ExpiresAt the link's
	// expiry time, SentBy empty).
	Kind      DeliveryKind
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
