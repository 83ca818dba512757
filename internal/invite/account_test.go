package invite

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// accountMem is an in-memory store of one user and their sessions, for the
// Service's account rules; the real stores pass storetest's account tests.
type accountMem struct {
	Store    // nil: only the methods below are used
	user     User
	sessions [][]byte
	events   []AuditEvent
}

func (m *accountMem) SessionUser(_ context.Context, idHash []byte, _ time.Time) (User, error) {
	for _, h := range m.sessions {
		if bytes.Equal(h, idHash) {
			return m.user, nil
		}
	}
	return User{}, Errorf(ENOTFOUND, "no session")
}

func (m *accountMem) SetUserLanguage(_ context.Context, userID int64, lang string, ev AuditEvent) error {
	if userID != m.user.ID {
		return Errorf(ENOTFOUND, "no user")
	}
	m.user.Language = lang
	m.events = append(m.events, ev)
	return nil
}

func (m *accountMem) ChangePassword(_ context.Context, userID int64, oldHash, newHash string, keep []byte, ev AuditEvent) error {
	if userID != m.user.ID {
		return Errorf(ENOTFOUND, "no user")
	}
	if m.user.PasswordHash != oldHash {
		return Errorf(ECONFLICT, "changed meanwhile")
	}
	m.user.PasswordHash = newHash
	m.sessions = [][]byte{keep}
	m.events = append(m.events, ev)
	return nil
}

// plainPasswords "hashes" by prefixing, and has one rule: 12 characters.
type plainPasswords struct{ verified int }

func (p *plainPasswords) Check(pw, _, lang string) string {
	if len(pw) < 12 {
		return "too short (" + lang + ")"
	}
	return ""
}
func (p *plainPasswords) Hash(pw string) (string, error) { return "plain:" + pw, nil }
func (p *plainPasswords) Verify(encoded, pw string) (bool, error) {
	p.verified++
	return encoded == "plain:"+pw, nil
}

func newAccountService(t *testing.T) (*Service, *accountMem, *plainPasswords) {
	t.Helper()
	mem := &accountMem{
		user:     User{ID: 7, Email: "asa@example.com", Language: English, PasswordHash: "plain:old password 123", InvitationID: 3},
		sessions: [][]byte{HashSessionToken("here"), HashSessionToken("elsewhere")},
	}
	pws := &plainPasswords{}
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	return &Service{Store: mem, Passwords: pws, Now: func() time.Time { return at }}, mem, pws
}

func TestSetLanguage(t *testing.T) {
	ctx := t.Context()
	svc, mem, _ := newAccountService(t)
	u, err := svc.SetLanguage(ctx, "here", Swedish)
	if err != nil || u.Language != Swedish || mem.user.Language != Swedish {
		t.Fatalf("SetLanguage = %+v, %v; stored %q", u, err, mem.user.Language)
	}
	if len(mem.events) != 1 || mem.events[0].Action != ActionLanguage || mem.events[0].Actor != "asa@example.com" ||
		mem.events[0].InvitationID != 3 || !strings.Contains(mem.events[0].Detail, "sv") {
		t.Errorf("events %+v", mem.events)
	}
	// The same language again writes nothing.
	if _, err := svc.SetLanguage(ctx, "here", Swedish); err != nil || len(mem.events) != 1 {
		t.Errorf("same language: %v, %d events", err, len(mem.events))
	}
	_, err = svc.SetLanguage(ctx, "here", "de")
	if fe := ErrorFields(err); ErrorCode(err) != EINVALID || len(fe) != 1 || fe[0].Field != "language" {
		t.Errorf("SetLanguage(de) = %v", err)
	}
	if _, err := svc.SetLanguage(ctx, "nobody", English); ErrorCode(err) != ENOTFOUND {
		t.Errorf("without a session: %v, want ENOTFOUND", err)
	}
	if mem.user.Language != Swedish {
		t.Errorf("language %q after refusals", mem.user.Language)
	}
}

func TestChangePassword(t *testing.T) {
	const current, next = "old password 123", "a new password 456"
	tests := []struct {
		name      string
		token     string
		change    PasswordChange
		wantField string // "" for success
		wantCode  Code
		verified  int // password verifications
	}{
		{"success", "here", PasswordChange{Current: current, Password: next, PasswordConfirm: next}, "", "", 1},
		{"wrong current password", "here", PasswordChange{Current: "guess", Password: next, PasswordConfirm: next}, "current_password", EINVALID, 1},
		{"no current password", "here", PasswordChange{Password: next, PasswordConfirm: next}, "current_password", EINVALID, 1},
		// The rules come first: a broken one costs no verification.
		{"a broken rule", "here", PasswordChange{Current: "guess", Password: "short", PasswordConfirm: "short"}, "password", EINVALID, 0},
		{"a mismatch", "here", PasswordChange{Current: current, Password: next, PasswordConfirm: next + "x"}, "password_confirm", EINVALID, 0},
		{"not signed in", "nobody", PasswordChange{Current: current, Password: next, PasswordConfirm: next}, "", ENOTFOUND, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, mem, pws := newAccountService(t)
			u, err := svc.ChangePassword(t.Context(), tt.token, tt.change)
			if pws.verified != tt.verified {
				t.Errorf("%d verifications, want %d", pws.verified, tt.verified)
			}
			if tt.wantCode == "" {
				if err != nil {
					t.Fatal(err)
				}
				if u.PasswordHash != "plain:"+next || mem.user.PasswordHash != "plain:"+next {
					t.Errorf("hash %q, stored %q", u.PasswordHash, mem.user.PasswordHash)
				}
				if len(mem.sessions) != 1 || !bytes.Equal(mem.sessions[0], HashSessionToken("here")) {
					t.Errorf("sessions after the change: %d, want only this one", len(mem.sessions))
				}
				if len(mem.events) != 1 || mem.events[0].Action != ActionPasswordChange || strings.Contains(mem.events[0].Detail, next) {
					t.Errorf("events %+v", mem.events)
				}
				return
			}
			if ErrorCode(err) != tt.wantCode {
				t.Fatalf("err %v, want code %s", err, tt.wantCode)
			}
			if tt.wantField != "" {
				fe := ErrorFields(err)
				if len(fe) != 1 || fe[0].Field != tt.wantField {
					t.Errorf("fields %v, want %s", fe, tt.wantField)
				}
			}
			if tt.wantField == "current_password" && !errors.Is(err, ErrCurrentPasswordWrong) {
				t.Errorf("err %v is not ErrCurrentPasswordWrong", err)
			}
			if mem.user.PasswordHash != "plain:"+current || len(mem.sessions) != 2 || len(mem.events) != 0 {
				t.Errorf("a refused change changed something: %+v, %d sessions, %d events", mem.user, len(mem.sessions), len(mem.events))
			}
		})
	}
}

// The rules' messages are in the page's language, else the account's.
func TestChangePasswordMessageLanguage(t *testing.T) {
	svc, _, _ := newAccountService(t)
	for lang, want := range map[string]string{"sv": "(sv)", "": "(en)"} {
		_, err := svc.ChangePassword(t.Context(), "here", PasswordChange{Password: "short", PasswordConfirm: "short", MessageLanguage: lang})
		if fe := ErrorFields(err); len(fe) != 1 || !strings.HasSuffix(fe[0].Message, want) {
			t.Errorf("MessageLanguage %q: %v", lang, err)
		}
	}
}

// A password changed meanwhile (another tab, a reset link) makes the
// current password typed a wrong one.
func TestChangePasswordChangedMeanwhile(t *testing.T) {
	svc, mem, _ := newAccountService(t)
	racing := &racingStore{accountMem: mem}
	svc.Store = racing
	_, err := svc.ChangePassword(t.Context(), "here", PasswordChange{Current: "old password 123", Password: "a new password 456", PasswordConfirm: "a new password 456"})
	if !errors.Is(err, ErrCurrentPasswordWrong) {
		t.Errorf("err %v, want ErrCurrentPasswordWrong", err)
	}
}

// racingStore changes the password between the Service's read and write.
type racingStore struct{ *accountMem }

func (r *racingStore) ChangePassword(ctx context.Context, userID int64, oldHash, newHash string, keep []byte, ev AuditEvent) error {
	r.user.PasswordHash = "plain:changed elsewhere"
	return r.accountMem.ChangePassword(ctx, userID, oldHash, newHash, keep, ev)
}
