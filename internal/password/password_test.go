package password

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/invitectl/invitectl/internal/invite"
	"golang.org/x/crypto/argon2"
)

var _ invite.Passwords = (*Hasher)(nil)

// testParams keep the unit tests fast; DefaultParams are exercised once.
var testParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashFormatAndVerify(t *testing.T) {
	h := New(Params{})
	if h.Params() != DefaultParams {
		t.Fatalf("zero Params: got %+v, want DefaultParams", h.Params())
	}
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("encoding %q lacks the argon2id PHC prefix with the default parameters", enc)
	}
	parts := strings.Split(enc, "$")
	if len(parts) != 6 || len(parts[4]) != 22 || len(parts[5]) != 43 {
		t.Fatalf("encoding %q: want 16-byte salt and 32-byte hash in unpadded base64", enc)
	}
	ok, err := h.Verify(enc, "correct horse battery staple")
	if err != nil || !ok {
		t.Fatalf("Verify(right password) = %v, %v", ok, err)
	}
	ok, err = h.Verify(enc, "correct horse battery stapl")
	if err != nil || ok {
		t.Fatalf("Verify(wrong password) = %v, %v", ok, err)
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	h := New(testParams)
	a, err := h.Hash("the same password")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Hash("the same password")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

// A hash made with other parameters verifies with the parameters it carries.
func TestVerifyUsesEncodedParams(t *testing.T) {
	old := New(Params{Memory: 32, Time: 3, Threads: 2, SaltLen: 8, KeyLen: 16})
	enc, err := old.Hash("a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	ok, err := New(testParams).Verify(enc, "a long enough password")
	if err != nil || !ok {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
}

// A hash from another argon2id implementation with the same inputs verifies.
func TestVerifyKnownHash(t *testing.T) {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte("hunter2hunter2"), salt, 1, 64, 1, 32)
	enc := fmt.Sprintf("$argon2id$v=19$m=64,t=1,p=1$%s$%s", b64.EncodeToString(salt), b64.EncodeToString(key))
	ok, err := New(testParams).Verify(enc, "hunter2hunter2")
	if err != nil || !ok {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
}

func TestVerifyMalformed(t *testing.T) {
	h := New(testParams)
	good, err := h.Hash("a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	p := strings.Split(good, "$")
	for name, enc := range map[string]string{
		"empty":          "",
		"bcrypt":         "$2a$10$abcdefghijklmnopqrstuu5eR0Hq2vH3zUzOXkEo3v6pQeQ8GgJ4C",
		"argon2i":        strings.Replace(good, "argon2id", "argon2i", 1),
		"version":        strings.Replace(good, "v=19", "v=16", 1),
		"version suffix": strings.Replace(good, "v=19", "v=19x", 1),
		"params order":   "$argon2id$v=19$t=1,m=64,p=1$" + p[4] + "$" + p[5],
		"params padded":  "$argon2id$v=19$m=064,t=1,p=1$" + p[4] + "$" + p[5],
		"huge memory":    "$argon2id$v=19$m=4294967295,t=1,p=1$" + p[4] + "$" + p[5],
		"huge time":      "$argon2id$v=19$m=64,t=1000,p=1$" + p[4] + "$" + p[5],
		"zero threads":   "$argon2id$v=19$m=64,t=1,p=0$" + p[4] + "$" + p[5],
		"salt padding":   "$argon2id$v=19$m=64,t=1,p=1$" + p[4] + "==$" + p[5],
		"short hash":     "$argon2id$v=19$m=64,t=1,p=1$" + p[4] + "$AAAA",
		"missing hash":   "$argon2id$v=19$m=64,t=1,p=1$" + p[4],
		"extra field":    good + "$x",
		"no leading sep": strings.TrimPrefix(good, "$"),
	} {
		t.Run(name, func(t *testing.T) {
			ok, err := h.Verify(enc, "a long enough password")
			if err != ErrMalformed || ok {
				t.Fatalf("Verify(%q) = %v, %v; want false, ErrMalformed", enc, ok, err)
			}
		})
	}
}

func TestHashRefusesUnusableParams(t *testing.T) {
	for _, p := range []Params{
		{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8},
	} {
		if enc, err := New(p).Hash("a long enough password"); err == nil {
			t.Errorf("Hash with %+v = %q, want an error", p, enc)
		}
	}
}

// Hashes share a semaphore sized to the usable cores, and give their slot back.
func TestHashSemaphore(t *testing.T) {
	h := New(testParams)
	if got, want := cap(h.sem), runtime.GOMAXPROCS(0); got != want {
		t.Fatalf("semaphore allows %d hashes at once, want %d", got, want)
	}
	var wg sync.WaitGroup
	for range 4 * cap(h.sem) {
		wg.Go(func() {
			if _, err := h.Hash("a long enough password"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(h.sem) != 0 {
		t.Fatalf("semaphore holds %d slots after hashing finished", len(h.sem))
	}
}

func TestCheck(t *testing.T) {
	const email = "Asa.Lind@Example.com"
	for _, tc := range []struct {
		name, pw, lang, want string
	}{
		{"empty", "", "en", "at least 12"},
		{"eleven", "abcdefghij1", "en", "at least 12"},
		{"twelve", "ab3defghij1x", "en", ""},
		{"eleven runes many bytes", "åäöåäöåäöåä", "en", "at least 12"},
		{"twelve runes", "åäöåäöåäöåäx", "en", ""},
		{"max", strings.Repeat("ab1", 42) + "xy", "en", ""},
		{"too long", strings.Repeat("ab1", 43), "en", "at most 128"},
		{"too long runes", strings.Repeat("ö", 129), "en", "at most 128"},
		{"email", "asa.lind@example.com", "en", "email address"},
		{"email other case", "ASA.LIND@EXAMPLE.COM", "en", "email address"},
		{"email with spaces", " asa.lind@example.com ", "en", "email address"},
		{"email inside", "my asa.lind@example.com 2026", "en", "contain your email address"},
		{"email inside, other case", "ASA.LIND@example.COM!!", "en", "contain your email address"},
		{"sv email inside", "hej asa.lind@example.com", "sv", "innehålla din e-postadress"},
		{"common", "password1234", "en", "too common"},
		{"common capitalised", "Password1234", "en", "too common"},
		{"common upper", "QWERTYUIOPAS", "en", "too common"},
		{"common digits", "123456789012", "en", "too common"},
		{"common swedish", "Lösenord1234", "en", "too common"},
		{"not common", "tre glada kor i hagen", "en", ""},
		{"sv short", "kort", "sv", "minst 12 tecken"},
		{"sv long", strings.Repeat("x", 200), "sv", "högst 128 tecken"},
		{"sv email", "asa.lind@example.com", "sv", "e-postadress"},
		{"sv common", "password1234", "sv", "för vanligt"},
		{"unknown language is swedish", "kort", "de", "minst 12 tecken"},
		{"composition is not required", "alla små bokstäver här", "sv", ""},
		{"twelve spaces", strings.Repeat(" ", 12), "en", "only spaces or one character repeated"},
		{"white space of every kind", " \t\u00a0\u3000\u2003   \n   ", "en", "only spaces"},
		{"one letter repeated", strings.Repeat("a", 20), "en", "one character repeated"},
		{"one rune repeated", strings.Repeat("ö", 14), "sv", "ett och samma tecken"},
		{"two characters", strings.Repeat("a", 11) + "b", "en", ""},
		{"spaces inside", "a          b", "en", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Check(tc.pw, email, tc.lang)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Fatalf("Check(%q, %q) = %q, want %q", tc.pw, tc.lang, got, tc.want)
			}
			if m := New(testParams).Check(tc.pw, email, tc.lang); m != got {
				t.Fatalf("Hasher.Check = %q, Check = %q", m, got)
			}
		})
	}
}

// Every entry of the list is long enough to matter, lowercase and unique,
// and the list is big enough to be useful.
func TestCommonList(t *testing.T) {
	seen := map[string]bool{}
	n := 0
	for line := range strings.Lines(commonList) {
		w := strings.TrimRight(line, "\n")
		n++
		if utf8.RuneCountInString(w) < MinLength || utf8.RuneCountInString(w) > MaxLength {
			t.Errorf("line %d %q: length outside %d–%d, so the list could never match it", n, w, MinLength, MaxLength)
		}
		if w != strings.ToLower(w) || w != strings.TrimSpace(w) {
			t.Errorf("line %d %q: not lowercase and trimmed", n, w)
		}
		if seen[w] {
			t.Errorf("line %d %q: duplicate", n, w)
		}
		seen[w] = true
		if Check(w, "", "en") == "" {
			t.Errorf("line %d %q: Check accepts it", n, w)
		}
	}
	if n < 300 {
		t.Fatalf("only %d common passwords", n)
	}
}

func BenchmarkHash(b *testing.B) {
	h := New(DefaultParams)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
}
