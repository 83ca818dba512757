package invite

import (
	"context"
	"errors"
)

// The signed-in invitee's own changes on the account page: the account's
// language and its password.

// AccountStore is what the account page's changes need from the store
// besides Store. Like SignInStore it is its own interface; the Service
// reaches it through its Store, which must implement it too (store.Store
// does).
type AccountStore interface {
	// SetUserLanguage sets the language of user userID and records ev, in
	// one transaction. ENOTFOUND if the user is gone.
	SetUserLanguage(ctx context.Context, userID int64, lang string, ev AuditEvent) error
	// ChangePassword sets the password hash of user userID to newHash if it
	// is still oldHash, ends every session of the user but the one whose
	// hash is keep, and records ev, all or nothing. ECONFLICT if the hash
	// moved on; ENOTFOUND if the user is gone.
	ChangePassword(ctx context.Context, userID int64, oldHash, newHash string, keep []byte, ev AuditEvent) error
}

// Audit actions of the account page.
const (
	ActionLanguage       = "user.language"
	ActionPasswordChange = "password.change"
)

// ErrCurrentPasswordWrong: the password given as the current one is not the
// account's (or the password changed since the page was read). Its field
// error is on "current_password".
var ErrCurrentPasswordWrong = &Error{Code: EINVALID, Message: "the current password is wrong",
	Fields: []FieldError{{Field: "current_password", Message: "wrong"}}}

func (s *Service) accountStore() (AccountStore, error) {
	st, ok := s.Store.(AccountStore)
	if !ok {
		return nil, errors.New("invite: the store cannot change accounts")
	}
	return st, nil
}

// SetLanguage sets the language of the account signed in with the session
// token: the language of its pages and emails. EINVALID with a field error
// "language" for a language the pages are not written in; ENOTFOUND when
// the session is not (or no longer) signed in. Choosing the language the
// account has already changes nothing.
func (s *Service) SetLanguage(ctx context.Context, sessionToken, lang string) (User, error) {
	u, err := s.SessionUser(ctx, sessionToken)
	if err != nil {
		return User{}, err
	}
	if !ValidLanguage(lang) {
		return User{}, &Error{Code: EINVALID, Message: "invalid language", Fields: []FieldError{{Field: "language", Message: "choose"}}}
	}
	if lang == u.Language {
		return u, nil
	}
	st, err := s.accountStore()
	if err != nil {
		return User{}, err
	}
	ev := AuditEvent{At: s.now(), Actor: u.Email, Action: ActionLanguage, InvitationID: u.InvitationID,
		Detail: "account language set to " + lang}
	if err := st.SetUserLanguage(ctx, u.ID, lang, ev); err != nil {
		return User{}, err
	}
	u.Language = lang
	return u, nil
}

// PasswordChange is what a signed-in user submits to change their password.
type PasswordChange struct {
	Current         string
	Password        string
	PasswordConfirm string
	// MessageLanguage is the language of the field errors' messages;
	// empty: the user's.
	MessageLanguage string
}

// ChangePassword sets a new password for the account signed in with the
// session token, given its current password. It checks the new password
// with the rules of registration and reset (EINVALID with field errors
// "password" and "password_confirm") before it checks the current one, so
// that a form with a broken rule costs no password verification; a wrong
// current password is ErrCurrentPasswordWrong. On success every other
// session of the account ends and this one stays, and reset links sent
// before no longer work. ENOTFOUND when the session is not signed in.
func (s *Service) ChangePassword(ctx context.Context, sessionToken string, c PasswordChange) (User, error) {
	verifier, ok := s.Passwords.(PasswordVerifier)
	if !ok {
		return User{}, errors.New("invite: the password checker cannot verify passwords")
	}
	st, err := s.accountStore()
	if err != nil {
		return User{}, err
	}
	u, err := s.SessionUser(ctx, sessionToken)
	if err != nil {
		return User{}, err
	}
	lang := c.MessageLanguage
	if !ValidLanguage(lang) {
		lang = u.Language
	}
	if err := s.checkNewPassword(c.Password, c.PasswordConfirm, u.Email, lang); err != nil {
		return User{}, err
	}
	if len(c.Current) > 4*128 {
		c.Current = ""
	}
	match, err := verifier.Verify(u.PasswordHash, c.Current)
	if err != nil {
		return User{}, err
	}
	if !match || c.Current == "" {
		return User{}, ErrCurrentPasswordWrong
	}
	hash, err := s.Passwords.Hash(c.Password)
	if err != nil {
		return User{}, err
	}
	ev := AuditEvent{At: s.now(), Actor: u.Email, Action: ActionPasswordChange, InvitationID: u.InvitationID,
		Detail: "password changed on the account page; every other session ended"}
	err = st.ChangePassword(ctx, u.ID, u.PasswordHash, hash, HashSessionToken(sessionToken), ev)
	if ErrorCode(err) == ECONFLICT {
		// Changed meanwhile (another tab, a reset link): what was typed as
		// the current password is no longer the current one.
		return User{}, ErrCurrentPasswordWrong
	}
	if err != nil {
		return User{}, err
	}
	u.PasswordHash = hash
	return u, nil
}

// checkNewPassword applies the one set of password rules that registration,
// reset and change share: Passwords' rules for pw (messages in lang), then
// that confirm repeats it. nil when both hold.
func (s *Service) checkNewPassword(pw, confirm, email, lang string) *Error {
	if msg := s.Passwords.Check(pw, email, lang); msg != "" {
		return &Error{Code: EINVALID, Message: "invalid password", Fields: []FieldError{{Field: "password", Message: msg}}}
	}
	if pw != confirm {
		return &Error{Code: EINVALID, Message: "invalid password", Fields: []FieldError{{Field: "password_confirm", Message: "mismatch"}}}
	}
	return nil
}
