// Package link derives and verifies invitation link tokens.
//
// A token is never stored. It is derived from the invitation's id and link
// generation with HMAC-SHA256 under a secret, so the same link can be sent again
// while a copy of the database alone never yields a working link. Generating a
// fresh link increments the generation, which makes every older token invalid.
//
// Token layout (base64url, no padding): uvarint(id) ‖ uvarint(generation) ‖
// HMAC-SHA256(secret, "invitectl-link-v1" ‖ id ‖ generation), the MAC being all 32 bytes.
package link

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
)

const (
	macSize = sha256.Size
	// MinSecretSize is the smallest secret accepted, in bytes.
	MinSecretSize = 32
	// MaxTokenLen bounds the token length so that hostile input is rejected before any work.
	MaxTokenLen = 80
	domain      = "invitectl-link-v1"
)

// ErrSecret is returned by New when no usable secret is given.
var ErrSecret = errors.New("link secret must be at least 32 bytes")

// Signer derives tokens with the first secret and verifies them against every
// secret, so a secret can be rotated without breaking links already sent.
type Signer struct {
	secrets [][]byte
}

// New returns a Signer. The first secret signs; all of them verify.
func New(secrets ...[]byte) (*Signer, error) {
	if len(secrets) == 0 {
		return nil, ErrSecret
	}
	s := &Signer{}
	for _, sec := range secrets {
		if len(sec) < MinSecretSize {
			return nil, ErrSecret
		}
		s.secrets = append(s.secrets, append([]byte(nil), sec...))
	}
	return s, nil
}

// Token returns the link token for an invitation id and link generation.
func (s *Signer) Token(id int64, generation int) string {
	buf := make([]byte, 0, 2*binary.MaxVarintLen64+macSize)
	buf = binary.AppendUvarint(buf, uint64(id))
	buf = binary.AppendUvarint(buf, uint64(generation))
	buf = append(buf, mac(s.secrets[0], id, generation)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// Verify checks a token and returns the invitation id and generation it was
// made for. ok is false for any malformed or forged token. The MAC comparison
// runs in constant time. Whether the invitation still exists, is pending, is
// on that generation and has not expired is for the caller to check.
func (s *Signer) Verify(token string) (id int64, generation int, ok bool) {
	if len(token) == 0 || len(token) > MaxTokenLen {
		return 0, 0, false
	}
	raw, err := strictB64.DecodeString(token)
	if err != nil || strictB64.EncodeToString(raw) != token { // the decoder skips CR and LF
		return 0, 0, false
	}
	uid, n1 := binary.Uvarint(raw)
	if n1 <= 0 || uid == 0 || uid > 1<<62 {
		return 0, 0, false
	}
	ugen, n2 := binary.Uvarint(raw[n1:])
	if n2 <= 0 || ugen > 1<<31 {
		return 0, 0, false
	}
	// Canonical varints only, so that one link has exactly one spelling.
	prefix := binary.AppendUvarint(nil, uid)
	prefix = binary.AppendUvarint(prefix, ugen)
	if len(prefix) != n1+n2 {
		return 0, 0, false
	}
	got := raw[n1+n2:]
	if len(got) != macSize {
		return 0, 0, false
	}
	id, generation = int64(uid), int(ugen)
	match := 0
	for _, sec := range s.secrets {
		// Every secret is tried, so the time taken does not say which one matched.
		if hmac.Equal(got, mac(sec, id, generation)) {
			match++
		}
	}
	if match == 0 {
		return 0, 0, false
	}
	return id, generation, true
}

func mac(secret []byte, id int64, generation int) []byte {
	h := hmac.New(sha256.New, secret)
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(id))
	binary.BigEndian.PutUint64(b[8:], uint64(generation))
	h.Write([]byte(domain))
	h.Write(b[:])
	return h.Sum(nil)
}

// strictB64 rejects non-zero padding bits, so a token has exactly one spelling.
var strictB64 = base64.RawURLEncoding.Strict()
