package link

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// Password reset tokens are invitation links' sibling. A reset token is
// never stored either: it is derived from the user's id, their current
// password hash and the token's expiry, with HMAC-SHA256 under the same
// secrets but another domain, so that a token of one kind never passes for
// the other. Changing the password changes the hash, which makes every
// reset token made before invalid: a token works once.
//
// Token layout (base64url, no padding): uvarint(user id) ‖ uvarint(expiry,
// Unix seconds) ‖ HMAC-SHA256(secret, "invitectl-reset-v1" ‖ id ‖ expiry ‖
// SHA-256(password hash)).

const resetDomain = "invitectl-reset-v1"

// ResetToken returns the reset token for a user whose password hash is
// passwordHash, valid until expires (to the second).
func (s *Signer) ResetToken(userID int64, passwordHash string, expires time.Time) string {
	exp := expires.Unix()
	buf := make([]byte, 0, 2*binary.MaxVarintLen64+macSize)
	buf = binary.AppendUvarint(buf, uint64(userID))
	buf = binary.AppendUvarint(buf, uint64(exp))
	buf = append(buf, resetMAC(s.secrets[0], userID, exp, passwordHash)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// ParseReset reads the user id and expiry of a well-formed reset token. It
// does not check the MAC, which needs the user's password hash: CheckReset
// does. ok is false for a malformed token.
func (s *Signer) ParseReset(token string) (userID int64, expires time.Time, ok bool) {
	id, exp, _, ok := parseReset(token)
	if !ok {
		return 0, time.Time{}, false
	}
	return id, time.Unix(exp, 0).UTC(), true
}

// CheckReset reports whether token was made for the user userID whose
// password hash is now passwordHash. The comparison runs in constant time,
// against every secret.
func (s *Signer) CheckReset(token string, userID int64, passwordHash string) bool {
	id, exp, got, ok := parseReset(token)
	if !ok || id != userID {
		return false
	}
	match := 0
	for _, sec := range s.secrets {
		if hmac.Equal(got, resetMAC(sec, id, exp, passwordHash)) {
			match++
		}
	}
	return match > 0
}

func parseReset(token string) (id, exp int64, sum []byte, ok bool) {
	if len(token) == 0 || len(token) > MaxTokenLen {
		return 0, 0, nil, false
	}
	raw, err := strictB64.DecodeString(token)
	if err != nil || strictB64.EncodeToString(raw) != token {
		return 0, 0, nil, false
	}
	uid, n1 := binary.Uvarint(raw)
	if n1 <= 0 || uid == 0 || uid > 1<<62 {
		return 0, 0, nil, false
	}
	uexp, n2 := binary.Uvarint(raw[n1:])
	if n2 <= 0 || uexp > 1<<40 {
		return 0, 0, nil, false
	}
	prefix := binary.AppendUvarint(nil, uid)
	prefix = binary.AppendUvarint(prefix, uexp)
	if len(prefix) != n1+n2 || len(raw[n1+n2:]) != macSize {
		return 0, 0, nil, false
	}
	return int64(uid), int64(uexp), raw[n1+n2:], true
}

func resetMAC(secret []byte, userID, exp int64, passwordHash string) []byte {
	h := hmac.New(sha256.New, secret)
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(userID))
	binary.BigEndian.PutUint64(b[8:], uint64(exp))
	ph := sha256.Sum256([]byte(passwordHash))
	h.Write([]byte(resetDomain))
	h.Write(b[:])
	h.Write(ph[:])
	return h.Sum(nil)
}
