package invite

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
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
