package invite

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"time"
)

// The invitee's side of the Service: opening a link, registering, and the
// session that follows. The administrator's side is in service.go.

// Passwords checks and hashes passwords (see package password).
type Passwords interface {
	// Check returns a message for people when pw breaks a rule, "" when it is fine.
	Check(pw, email, lang string) string
	Hash(pw string) (string, error)
}

// OpenLink returns the invitation a link token belongs to, if the link can
// still be used. Otherwise it returns ErrLinkUnknown, ErrLinkExpired,
// ErrLinkRevoked or ErrLinkUsed. It never changes anything.
func (s *Service) OpenLink(ctx context.Context, token string) (Invitation, error) {
	id, gen, ok := s.Links.Verify(token)
	if !ok {
		return Invitation{}, ErrLinkUnknown
	}
	inv, err := s.Store.Invitation(ctx, id)
	if ErrorCode(err) == ENOTFOUND {
		return Invitation{}, ErrLinkUnknown
	}
	if err != nil {
		return Invitation{}, err
	}
	return inv, LinkRefusal(inv, gen, s.now())
}

// LinkRefusal is the one rule of a link's state: it says why a link of
// generation gen to inv cannot be used at time at (used, revoked, or
// expired, which covers a purged invitation and a link since renewed), or
// returns nil when it can. Stores hold their conditional accept to the same
// rule; a test holds the two together.
func LinkRefusal(inv Invitation, gen int, at time.Time) error {
	switch {
	case inv.State == StateAccepted:
		return ErrLinkUsed
	case inv.State == StateRevoked:
		return ErrLinkRevoked
	case inv.State == StatePurged:
		// Its data is erased: the link is gone as an expired one is.
		return ErrLinkExpired
	case inv.State != StatePending:
		return Errorf(EINTERNAL, "invitation %d is in unknown state %q", inv.ID, inv.State)
	case gen != inv.LinkGeneration:
		// Only an expired link is ever replaced, so an older generation is an expired one.
		return ErrLinkExpired
	case !at.Before(inv.ExpiresAt):
		return ErrLinkExpired
	}
	return nil
}

// Registration is what the invitee submits.
type Registration struct {
	Password        string
	PasswordConfirm string
	Language        string
	AcceptPrivacy   bool
	// MessageLanguage is the language of the messages in the field errors
	// (the page's); empty means the chosen Language, else the invitation's.
	MessageLanguage string
}

// Register accepts the invitation behind token: it creates the user with the
// invitation's customer and details, a verified email and the chosen
// language, marks the invitation accepted and opens a session, all at once.
// It returns the user and the session token for the cookie.
func (s *Service) Register(ctx context.Context, token string, r Registration) (User, string, error) {
	inv, err := s.OpenLink(ctx, token)
	if err != nil {
		return User{}, "", err
	}
	return s.RegisterInvitation(ctx, inv, r)
}

// RegisterInvitation is Register for inv, the invitation of a link that
// OpenLink found usable: a caller that opened the link already need not
// read it again. The store accepts only while the link still is usable.
func (s *Service) RegisterInvitation(ctx context.Context, inv Invitation, r Registration) (User, string, error) {
	lang := r.MessageLanguage
	if !ValidLanguage(lang) {
		lang = r.Language
	}
	if !ValidLanguage(lang) {
		lang = inv.Language
	}
	var errs []FieldError
	if msg := s.Passwords.Check(r.Password, inv.Email, lang); msg != "" {
		errs = append(errs, FieldError{Field: "password", Message: msg})
	} else if r.Password != r.PasswordConfirm {
		errs = append(errs, FieldError{Field: "password_confirm", Message: "mismatch"})
	}
	if !ValidLanguage(r.Language) {
		errs = append(errs, FieldError{Field: "language", Message: "choose"})
	}
	if !r.AcceptPrivacy {
		errs = append(errs, FieldError{Field: "accept_privacy", Message: "required"})
	}
	if len(errs) > 0 {
		return User{}, "", &Error{Code: EINVALID, Message: "invalid registration", Fields: errs}
	}
	hash, err := s.Passwords.Hash(r.Password)
	if err != nil {
		return User{}, "", err
	}
	// inv was read before the (slow) hash, and an administrator may have
	// edited or resent the invitation since. That is no reason to refuse:
	// the store accepts on what matters (still pending, on this link's
	// generation, unexpired at now) and gives the account the details as
	// they are inside the accepting transaction, not these.
	now := s.now()
	u := User{
		CustomerID: inv.CustomerID, Customer: inv.Customer, Email: inv.Email, Details: inv.Details,
		Language: r.Language, PasswordHash: hash, EmailVerifiedAt: now, PrivacyAcceptedAt: now,
		InvitationID: inv.ID, CreatedAt: now,
	}
	sessionToken := rand.Text() + rand.Text() // 2 × 128 bits
	sess := Session{IDHash: HashSessionToken(sessionToken), CreatedAt: now, ExpiresAt: now.Add(s.sessionTTL())}
	upd := inv // OpenLink checked that inv.LinkGeneration is the token's
	upd.State = StateAccepted
	upd.AcceptedAt = now
	ev := AuditEvent{At: now, Actor: inv.Email, Action: ActionAccept, InvitationID: inv.ID, Detail: "account created, privacy policy accepted"}
	if err := s.Store.Accept(ctx, upd, &u, sess, ev); err != nil {
		return User{}, "", err
	}
	return u, sessionToken, nil
}

func (s *Service) sessionTTL() time.Duration {
	if s.SessionTTL <= 0 {
		return DefaultSessionTTL
	}
	return s.SessionTTL
}

// HashSessionToken is what the store keeps of a session token.
func HashSessionToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// SessionUser returns the signed-in user for a session token.
func (s *Service) SessionUser(ctx context.Context, token string) (User, error) {
	if token == "" || len(token) > 128 {
		return User{}, Errorf(ENOTFOUND, "not signed in")
	}
	return s.Store.SessionUser(ctx, HashSessionToken(token), s.now())
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" || len(token) > 128 {
		return nil
	}
	return s.Store.DeleteSession(ctx, HashSessionToken(token))
}
