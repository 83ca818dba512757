// Package password checks, hashes and verifies invitees' passwords.
//
// Hashes are argon2id in the PHC string format
// ($argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, unpadded standard base64), so
// the parameters travel with each hash and can be raised later without
// breaking the hashes already stored.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams follow OWASP's minimum recommendation for argon2id: 19 MiB of
// memory, 2 passes, 1 lane. One lane keeps a hash on one core, so a small
// server (2 cores) can hash two registrations at once, and the memory cost is
// what makes guessing on GPUs expensive. 16 bytes of salt and a 32-byte hash
// are the customary sizes.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Limits on parameters read back from a stored hash, so that a tampered or
// foreign hash cannot make Verify allocate gigabytes or spin for minutes.
const (
	maxMemory  = 1 << 20 // KiB: 1 GiB
	maxTime    = 16
	maxThreads = 16
	maxKeyLen  = 128
)

// Hasher hashes and verifies passwords. It implements invite.Passwords.
// It is safe for concurrent use.
type Hasher struct {
	params Params
	// sem bounds concurrent hashes to the number of usable cores: beyond that
	// they only queue for CPU while each holds its Memory, so 50 simultaneous
	// registrations would otherwise hold 50 × 19 MiB at once.
	sem chan struct{}
}

// New returns a Hasher that hashes with p. A zero Params means DefaultParams.
func New(p Params) *Hasher {
	if p == (Params{}) {
		p = DefaultParams
	}
	return &Hasher{params: p, sem: make(chan struct{}, runtime.GOMAXPROCS(0))}
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// Hash returns the PHC-encoded argon2id hash of pw with a fresh random salt.
func (h *Hasher) Hash(pw string) (string, error) {
	p := h.params
	if p.Time == 0 || p.Threads == 0 || p.Memory < 8*uint32(p.Threads) || p.SaltLen < 8 || p.KeyLen < 16 {
		return "", fmt.Errorf("password: unusable argon2id parameters %+v", p)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: reading salt: %w", err)
	}
	key := h.derive([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrMalformed is returned by Verify for a string that is not an argon2id
// PHC hash this package can check.
var ErrMalformed = errors.New("password: malformed argon2id hash")

// Verify reports whether pw matches the encoded hash. The comparison runs in
// constant time. A malformed hash is an error, not a mismatch, so that a
// broken record is noticed rather than locking its owner out silently.
func (h *Hasher) Verify(encoded, pw string) (bool, error) {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, ErrMalformed
	}
	if parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false, ErrMalformed
	}
	var memory, time uint32
	var threads uint8
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", memory, time, threads) != parts[3] {
		return false, ErrMalformed
	}
	if time == 0 || time > maxTime || threads == 0 || threads > maxThreads || memory < 8*uint32(threads) || memory > maxMemory {
		return false, ErrMalformed
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false, ErrMalformed
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > maxKeyLen {
		return false, ErrMalformed
	}
	got := h.derive([]byte(pw), salt, time, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// derive runs argon2id while holding a slot of the semaphore.
func (h *Hasher) derive(pw, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	h.sem <- struct{}{}
	defer func() { <-h.sem }()
	return argon2.IDKey(pw, salt, time, memory, threads, keyLen)
}

// b64 is the PHC string format's base64: standard alphabet, no padding.
var b64 = base64.RawStdEncoding.Strict()
