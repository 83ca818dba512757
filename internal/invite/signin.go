package invite

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"time"
)

// Signing in again: an invitee who registered comes back with their email
// and password.

// ErrSignInFailed answers a wrong email and a wrong password alike, so that
// nobody learns which addresses have accounts.
var ErrSignInFailed = &Error{Code: EINVALID, Message: "the email address or the password is wrong"}

// SignInStore is what signing in and resetting a password need from the
// store besides Store. It is its own interface, not part of UserStore, so
// that it can grow without touching the file other work shares; the Service
// reaches it through its Store, which must implement it too (store.Store
// does).
type SignInStore interface {
	// UserForSignIn finds the account of an email, ignoring case, for
	// signing in or resetting a password. ENOTFOUND if none.
	UserForSignIn(ctx context.Context, email string) (User, error)
	// AddSession opens session s for user s.UserID. ENOTFOUND if the user
	// is gone.
	AddSession(ctx context.Context, s Session) error
	// SignInUser returns the account with id. ENOTFOUND if none.
	SignInUser(ctx context.Context, id int64) (User, error)
	// QueuePasswordReset queues an email of kind KindPasswordReset that
	// belongs to the user (and names the invitation they accepted),
	// superseding that invitation's undelivered emails, and records ev (its
	// InvitationID set to the invitation's), in one transaction. It returns the
	// invitation's ID. ENOTFOUND if the user is gone or has no invitation.
	QueuePasswordReset(ctx context.Context, userID int64, ev AuditEvent, now time.Time) (int64, error)
	// ResetPassword sets the user's password hash to newHash if it is still
	// oldHash, ends every session of the user, opens sess and records ev,
	// all or nothing. ErrResetLinkUsed if the hash moved on.
	ResetPassword(ctx context.Context, userID int64, oldHash, newHash string, sess Session, ev AuditEvent) error
}

func (s *Service) signInStore() (SignInStore, error) {
	st, ok := s.Store.(SignInStore)
	if !ok {
		return nil, errors.New("invite: the store cannot sign users in")
	}
	return st, nil
}

// PasswordVerifier checks a password against a stored hash. The Service's
// Passwords must implement it to sign users in (package password does).
type PasswordVerifier interface {
	Verify(encoded, pw string) (bool, error)
}

// dummyHashes holds, per Passwords, a hash of a random password made with
// the same parameters as real ones. An unknown email is verified against
// it, so that it costs the same time as a known one with a wrong password.
var dummyHashes sync.Map // Passwords → string

func (s *Service) dummyHash() (string, error) {
	if h, ok := dummyHashes.Load(s.Passwords); ok {
		return h.(string), nil
	}
	h, err := s.Passwords.Hash(rand.Text())
	if err != nil {
		return "", err
	}
	actual, _ := dummyHashes.LoadOrStore(s.Passwords, h)
	return actual.(string), nil
}

// PrepareSignIn makes the dummy hash ahead of the first sign-in, so that
// even the first unknown email costs no more than a known one.
func (s *Service) PrepareSignIn() error {
	_, err := s.dummyHash()
	return err
}

// SignIn checks email and password and opens a session. It returns the user
// and the session token for the cookie, or ErrSignInFailed for a wrong pair
// whichever half is wrong, after the same work either way: the password is
// verified against a dummy hash when the email has no account.
func (s *Service) SignIn(ctx context.Context, email, pw string) (User, string, error) {
	verifier, ok := s.Passwords.(PasswordVerifier)
	if !ok {
		return User{}, "", errors.New("invite: the password checker cannot verify passwords")
	}
	if len(pw) > 4*128 || len(email) > 320 {
		pw, email = "", ""
	}
	st, err := s.signInStore()
	if err != nil {
		return User{}, "", err
	}
	u, err := st.UserForSignIn(ctx, email)
	known := err == nil
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return User{}, "", err
	}
	hash := u.PasswordHash
	if !known {
		if hash, err = s.dummyHash(); err != nil {
			return User{}, "", err
		}
	}
	match, err := verifier.Verify(hash, pw)
	if err != nil {
		return User{}, "", err
	}
	if !known || !match || pw == "" {
		return User{}, "", ErrSignInFailed
	}
	token, err := s.openSession(ctx, u.ID)
	if err != nil {
		return User{}, "", err
	}
	return u, token, nil
}

// openSession starts a session for a user and returns its token.
func (s *Service) openSession(ctx context.Context, userID int64) (string, error) {
	now := s.now()
	token := newSessionToken()
	sess := Session{IDHash: HashSessionToken(token), UserID: userID, CreatedAt: now, ExpiresAt: now.Add(s.sessionTTL())}
	st, err := s.signInStore()
	if err != nil {
		return "", err
	}
	if err := st.AddSession(ctx, sess); err != nil {
		return "", err
	}
	return token, nil
}

func newSessionToken() string { return rand.Text() + rand.Text() } // 2 × 128 bits

// Resetting a forgotten password. The link is derived like an invitation
// link, never stored: see package link. It is valid for ResetTTL and works
// once, since using it changes the password hash it is derived from.

// KindPasswordReset is the delivery of a password reset link. It belongs to
// the user's (accepted) invitation, as every delivery belongs to one.
const KindPasswordReset DeliveryKind = "password_reset"

// ResetTTL is how long a password reset link works.
const ResetTTL = time.Hour

// Audit actions of password resets.
const (
	ActionResetRequest = "password.reset_request"
	ActionReset        = "password.reset"
)

// Errors of a reset link. The pages say what to do and nothing that helps
// guess links or accounts.
var (
	// ErrResetLinkUnknown: the token is malformed.
	ErrResetLinkUnknown = &Error{Code: ENOTFOUND, Message: "the password reset link is not valid"}
	// ErrResetLinkUsed: the token does not match the account's current
	// password (it was used, the password changed, or it is forged or names
	// no account: these look the same on purpose).
	ErrResetLinkUsed = &Error{Code: ECONFLICT, Message: "the password reset link no longer works"}
	// ErrResetLinkExpired: the token is genuine but older than ResetTTL.
	ErrResetLinkExpired = &Error{Code: ECONFLICT, Message: "the password reset link has expired"}
)

// ResetLinks derives and checks password reset tokens (package link's
// Signer). The Service's Links must implement it to reset passwords.
type ResetLinks interface {
	ResetToken(userID int64, passwordHash string, expires time.Time) string
	ParseReset(token string) (userID int64, expires time.Time, ok bool)
	CheckReset(token string, userID int64, passwordHash string) bool
}

func (s *Service) resetLinks() (ResetLinks, error) {
	rl, ok := s.Links.(ResetLinks)
	if !ok {
		return nil, errors.New("invite: the link signer cannot make password reset links")
	}
	return rl, nil
}

// ResetLink is the URL of the reset link for u, valid until expires.
func (s *Service) ResetLink(u User, expires time.Time) (string, error) {
	rl, err := s.resetLinks()
	if err != nil {
		return "", err
	}
	base := strings.TrimRight(s.BaseURL, "/")
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	return base + "/password/reset/" + rl.ResetToken(u.ID, u.PasswordHash, expires), nil
}

// RequestPasswordReset queues a reset email for the account of email and
// returns the invitation it is queued under, for delivering it at once;
// queued is false when no account has that email, which is no error (the
// caller answers the same either way).
func (s *Service) RequestPasswordReset(ctx context.Context, email string) (invitationID int64, queued bool, err error) {
	st, err := s.signInStore()
	if err != nil {
		return 0, false, err
	}
	if len(email) > 320 {
		return 0, false, nil
	}
	u, err := st.UserForSignIn(ctx, email)
	if ErrorCode(err) == ENOTFOUND {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	ev := AuditEvent{At: s.now(), Actor: u.Email, Action: ActionResetRequest, Detail: "password reset link requested"}
	id, err := st.QueuePasswordReset(ctx, u.ID, ev, s.now())
	if ErrorCode(err) == ENOTFOUND {
		return 0, false, nil // deleted meanwhile, or no invitation to send through
	}
	if err != nil {
		return 0, false, err
	}
	return id, true, nil
}

// OpenResetLink returns the account a reset token is for, if the link still
// works; otherwise ErrResetLinkUnknown, ErrResetLinkUsed or
// ErrResetLinkExpired. It changes nothing.
func (s *Service) OpenResetLink(ctx context.Context, token string) (User, error) {
	rl, err := s.resetLinks()
	if err != nil {
		return User{}, err
	}
	st, err := s.signInStore()
	if err != nil {
		return User{}, err
	}
	id, expires, ok := rl.ParseReset(token)
	if !ok {
		return User{}, ErrResetLinkUnknown
	}
	u, err := st.SignInUser(ctx, id)
	if ErrorCode(err) == ENOTFOUND {
		return User{}, ErrResetLinkUsed
	}
	if err != nil {
		return User{}, err
	}
	if !rl.CheckReset(token, u.ID, u.PasswordHash) {
		return User{}, ErrResetLinkUsed
	}
	if !expires.After(s.now()) {
		return u, ErrResetLinkExpired
	}
	return u, nil
}

// PasswordReset is what the user submits on the reset page.
type PasswordReset struct {
	Password        string
	PasswordConfirm string
	// MessageLanguage is the language of the field errors' messages;
	// empty: the user's.
	MessageLanguage string
}

// ResetPassword sets a new password through a reset link: it checks the
// password rules (EINVALID with field errors "password" and
// "password_confirm"), ends every session of the user and opens a new one,
// all at once. It returns the user and the session token. A link works
// once: of two uses, the second gets ErrResetLinkUsed.
func (s *Service) ResetPassword(ctx context.Context, token string, r PasswordReset) (User, string, error) {
	u, err := s.OpenResetLink(ctx, token)
	if err != nil {
		return User{}, "", err
	}
	lang := r.MessageLanguage
	if !ValidLanguage(lang) {
		lang = u.Language
	}
	if err := s.checkNewPassword(r.Password, r.PasswordConfirm, u.Email, lang); err != nil {
		return User{}, "", err
	}
	hash, err := s.Passwords.Hash(r.Password)
	if err != nil {
		return User{}, "", err
	}
	st, err := s.signInStore()
	if err != nil {
		return User{}, "", err
	}
	now := s.now()
	sessionToken := newSessionToken()
	sess := Session{IDHash: HashSessionToken(sessionToken), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.sessionTTL())}
	ev := AuditEvent{At: now, Actor: u.Email, Action: ActionReset, InvitationID: u.InvitationID,
		Detail: "password reset through an emailed link; every other session ended"}
	if err := st.ResetPassword(ctx, u.ID, u.PasswordHash, hash, sess, ev); err != nil {
		return User{}, "", err
	}
	u.PasswordHash = hash
	return u, sessionToken, nil
}

// resetEmail is the email of a claimed password reset delivery, rendered
// with the link as it is now: for the account's current password hash,
// expiring ResetTTL after the delivery was queued. why is set when it must
// not be sent.
func (s *Service) resetEmail(ctx context.Context, c ClaimedDelivery) (m InvitationEmail, why string, err error) {
	st, err := s.signInStore()
	if err != nil {
		return m, "", err
	}
	// The reset belongs to the user, whatever became of their invitation.
	u, err := st.SignInUser(ctx, c.UserID)
	if ErrorCode(err) == ENOTFOUND || c.UserID == 0 {
		return m, "superseded: the account no longer exists", nil
	}
	if err != nil {
		return m, "", err
	}
	expires := c.CreatedAt.Add(ResetTTL)
	link, err := s.ResetLink(u, expires)
	if err != nil {
		return m, "", err
	}
	return InvitationEmail{
		Kind: KindPasswordReset, To: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		Customer: u.Customer, Language: u.Language, Link: link, ExpiresAt: expires,
	}, "", nil
}

// deliveryEmail is the email of a claimed delivery of any kind.
func (s *Service) deliveryEmail(ctx context.Context, c ClaimedDelivery) (InvitationEmail, string, error) {
	if c.Kind == KindPasswordReset {
		return s.resetEmail(ctx, c)
	}
	return s.invitationEmail(c.Invitation), "", nil
}

// resetSupersededBy says why a claimed reset delivery must not be sent, or
// "". It belongs to the user: the invitation they accepted (accepted, or
// purged since) is no reason.
func resetSupersededBy(c ClaimedDelivery, now time.Time) string {
	if !c.CreatedAt.Add(ResetTTL).After(now) {
		return "superseded: the reset link expired before it could be sent"
	}
	return ""
}
