package link

import (
	"bytes"
	"strings"
	"testing"
)

func mustSigner(t testing.TB, secrets ...string) *Signer {
	t.Helper()
	var bs [][]byte
	for _, s := range secrets {
		bs = append(bs, []byte(strings.Repeat(s, 32)))
	}
	s, err := New(bs...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	s := mustSigner(t, "a")
	for _, c := range []struct {
		id  int64
		gen int
	}{{1, 0}, {42, 1}, {1 << 40, 7}} {
		tok := s.Token(c.id, c.gen)
		id, gen, ok := s.Verify(tok)
		if !ok || id != c.id || gen != c.gen {
			t.Errorf("Verify(Token(%d,%d)) = %d,%d,%v", c.id, c.gen, id, gen, ok)
		}
		if len(tok) < 22 { // 128 bits in base64url
			t.Errorf("token too short: %q", tok)
		}
	}
}

func TestDeterministic(t *testing.T) {
	s := mustSigner(t, "a")
	if a, b := s.Token(5, 0), s.Token(5, 0); a != b {
		t.Fatal("token for the same id and generation differs")
	}
	if s.Token(5, 0) == s.Token(5, 1) {
		t.Fatal("a new generation must give a new token")
	}
}

func TestRejects(t *testing.T) {
	s := mustSigner(t, "a")
	other := mustSigner(t, "b")
	good := s.Token(42, 3)
	raw := []byte(good)
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)-2] ^= 1
	for name, tok := range map[string]string{
		"empty":        "",
		"garbage":      "not-a-token!",
		"other secret": other.Token(42, 3),
		"flipped":      string(flipped),
		"truncated":    good[:len(good)-4],
		"too long":     good + strings.Repeat("A", 100),
		"padded":       good + "==",
	} {
		if _, _, ok := s.Verify(tok); ok {
			t.Errorf("%s: Verify accepted %q", name, tok)
		}
	}
}

func TestRotation(t *testing.T) {
	old := mustSigner(t, "old")
	tok := old.Token(9, 2)
	rotated := mustSigner(t, "new", "old")
	if _, _, ok := rotated.Verify(tok); !ok {
		t.Fatal("a link signed with the previous secret must still verify after rotation")
	}
	if rotated.Token(9, 2) == tok {
		t.Fatal("new links must be signed with the first secret")
	}
	if _, _, ok := old.Verify(rotated.Token(9, 2)); ok {
		t.Fatal("old signer must not accept links signed with the new secret")
	}
}

func TestNewRejectsShortSecret(t *testing.T) {
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("want error for short secret")
	}
	if _, err := New(); err == nil {
		t.Fatal("want error for no secret")
	}
	sec := bytes.Repeat([]byte("x"), 32)
	s, _ := New(sec)
	sec[0] = 'y' // the signer keeps its own copy
	if _, _, ok := s.Verify(mustSigner(t, "x").Token(1, 0)); !ok {
		t.Fatal("signer must copy its secret")
	}
}

func FuzzVerify(f *testing.F) {
	s := mustSigner(f, "a")
	f.Add(s.Token(1, 0))
	f.Add(s.Token(123456789, 42))
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		id, gen, ok := s.Verify(tok)
		if !ok {
			return
		}
		// Anything accepted must be exactly the token the signer makes.
		if s.Token(id, gen) != tok {
			t.Fatalf("Verify accepted %q for (%d,%d) but Token gives %q", tok, id, gen, s.Token(id, gen))
		}
	})
}
