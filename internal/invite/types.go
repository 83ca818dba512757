// Package invite is the domain of invitectl: invitations, customers, users,
// their rules, and the use cases (Service) over the interfaces the adapters
// implement (Store, Mailer, Links). It performs no I/O of its own.
package invite

import (
	"strings"
	"time"
)

// Tristate is a yes/no answer that may also be unknown.
type Tristate int8

// Tristate values. The zero value is Unset.
const (
	Unset Tristate = iota
	Yes
	No
)

// ParseTristate accepts yes/no/unset (and true/false, empty for unset).
func ParseTristate(s string) (Tristate, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y", "true":
		return Yes, true
	case "no", "n", "false":
		return No, true
	case "unset", "":
		return Unset, true
	}
	return Unset, false
}

// Bool returns the value as a *bool: nil when unset.
func (t Tristate) Bool() *bool {
	if t != Yes && t != No {
		return nil
	}
	v := t == Yes
	return &v
}

// TristateOf is the inverse of Bool.
func TristateOf(b *bool) Tristate {
	switch {
	case b == nil:
		return Unset
	case *b:
		return Yes
	}
	return No
}

// Label is how a person reads the value: Yes, No or —.
func (t Tristate) Label() string {
	switch t {
	case Yes:
		return "Yes"
	case No:
		return "No"
	}
	return Dash
}

func (t Tristate) String() string {
	switch t {
	case Yes:
		return "yes"
	case No:
		return "no"
	}
	return "unset"
}

// Dash stands for an absent value in human-readable output.
const Dash = "—"

// Gender is empty (not given), female, male or other.
type Gender string

// Genders.
const (
	Female Gender = "female"
	Male   Gender = "male"
	Other  Gender = "other"
)

// State is what is stored; Status adds EXPIRED, which is derived from the time.
type State string

// States.
const (
	StatePending  State = "pending"
	StateAccepted State = "accepted"
	StateRevoked  State = "revoked"
)

// Status is what people see.
type Status string

// Statuses.
const (
	StatusPending  Status = "pending"
	StatusExpired  Status = "expired"
	StatusAccepted Status = "accepted"
	StatusRevoked  Status = "revoked"
)

// Languages for emails and pages.
const (
	Swedish = "sv"
	English = "en"
)

// ValidLanguage reports whether lang is one the emails and pages are written in.
func ValidLanguage(lang string) bool { return lang == Swedish || lang == English }

// Customer is an organization that accounts are connected to.
type Customer struct {
	ID        int64
	Name      string
	CreatedAt time.Time
}

// Invitation is an invitation to register an account with a customer.
type Invitation struct {
	ID         int64
	CustomerID int64
	Customer   string // the customer's name, filled by the store on reads
	Email      string
	Details
	Language       string
	State          State
	LinkGeneration int
	ExpiresAt      time.Time
	CreatedAt      time.Time
	CreatedBy      string    // the actor who invited; empty when unknown
	LastSentAt     time.Time // when its latest email was delivered; zero while none was
	SendCount      int       // emails delivered
	// Delivery is the state of its latest email (none when it was never
	// asked for); DeliveryError the error of that email's last attempt.
	Delivery      DeliveryState
	DeliveryError string
	AcceptedAt    time.Time
	RevokedAt     time.Time
	Version       int // incremented by every update; guards against lost updates
}

// Status derives the status at time now.
func (inv *Invitation) Status(now time.Time) Status {
	switch inv.State {
	case StateAccepted:
		return StatusAccepted
	case StateRevoked:
		return StatusRevoked
	case StatePurged:
		return StatusPurged
	}
	if !now.Before(inv.ExpiresAt) {
		return StatusExpired
	}
	return StatusPending
}

// Open reports whether the invitation is pending or expired: not resolved.
func (inv *Invitation) Open() bool { return inv.State == StatePending }

// User is an account created by accepting an invitation.
type User struct {
	ID         int64
	CustomerID int64
	Customer   string
	Email      string
	Details
	Language          string
	PasswordHash      string
	EmailVerifiedAt   time.Time
	PrivacyAcceptedAt time.Time
	InvitationID      int64
	CreatedAt         time.Time
	LastSignedInAt    time.Time // when a session was last opened for it; zero when unknown
}

// Session is a signed-in browser session. Only the hash of its id is stored.
type Session struct {
	IDHash    []byte
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AuditEvent records one change. Detail never holds a password, a token or an
// unmasked personal number.
type AuditEvent struct {
	ID           int64
	At           time.Time
	Actor        string
	Action       string
	InvitationID int64 // 0 when not about an invitation
	Detail       string
}

// Audit actions.
const (
	ActionInvite      = "invite"
	ActionSend        = "send"
	ActionEdit        = "edit"
	ActionResend      = "resend"
	ActionRevoke      = "revoke"
	ActionReveal      = "reveal"
	ActionAccept      = "accept"
	ActionCustomerAdd = "customer.add"
	ActionImport      = "import"
)
