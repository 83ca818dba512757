package link

import (
	"strings"
	"testing"
	"time"
)

func TestResetToken(t *testing.T) {
	s, err := New([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)
	tok := s.ResetToken(42, "$argon2id$hash-one", exp)
	id, gotExp, ok := s.ParseReset(tok)
	if !ok || id != 42 || !gotExp.Equal(exp) {
		t.Fatalf("ParseReset = %d, %v, %v", id, gotExp, ok)
	}
	if !s.CheckReset(tok, 42, "$argon2id$hash-one") {
		t.Error("the token does not check with the hash it was made for")
	}
	if s.CheckReset(tok, 42, "$argon2id$hash-two") {
		t.Error("the token checks after the password changed")
	}
	if s.CheckReset(tok, 43, "$argon2id$hash-one") {
		t.Error("the token checks for another user")
	}
	// A reset token is no invitation link, and an invitation link no reset token.
	if _, _, ok := s.Verify(tok); ok {
		t.Error("a reset token verifies as an invitation link")
	}
	if s.CheckReset(s.Token(42, 0), 42, "$argon2id$hash-one") {
		t.Error("an invitation link checks as a reset token")
	}
	// Tampering with the expiry breaks the MAC.
	other := s.ResetToken(42, "$argon2id$hash-one", exp.Add(time.Hour))
	if tok == other || s.CheckReset(other[:len(other)-1]+"A", 42, "$argon2id$hash-one") {
		t.Error("a tampered token checks")
	}
	// Another secret, rotated in, still checks old tokens.
	rotated, _ := New([]byte(strings.Repeat("n", 32)), []byte(strings.Repeat("k", 32)))
	if !rotated.CheckReset(tok, 42, "$argon2id$hash-one") {
		t.Error("a rotated signer does not check an old token")
	}
	for _, bad := range []string{"", "!!", strings.Repeat("A", 200), tok + "A"} {
		if _, _, ok := s.ParseReset(bad); ok {
			t.Errorf("ParseReset(%q) ok", bad)
		}
	}
}
