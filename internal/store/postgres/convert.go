package postgres

import (
	"hash/fnv"
	"strings"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// ts is a time as stored: UTC with microseconds, the precision of
// timestamptz, truncated as the SQLite store truncates.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

// fromTime returns a scanned time in UTC (pgx scans into the local zone).
func fromTime(t time.Time) time.Time { return t.UTC() }

func fromNullTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// nullString stores an empty optional value as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func fromNullString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// nullID stores the zero ID as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func fromNullID(id *int64) int64 {
	if id == nil {
		return 0
	}
	return *id
}

// keys are the derived columns of an invitation: sort keys and search text.
type keys struct {
	email               []byte
	search              string
	firstName, lastName []byte
}

func keysOf(inv *invite.Invitation) keys {
	email := strings.TrimSpace(inv.Email)
	return keys{
		email:     emailKey(email),
		search:    searchText(inv.FirstName, inv.LastName, email),
		firstName: invite.SortKey(inv.FirstName),
		lastName:  invite.SortKey(inv.LastName),
	}
}

// emailKey is the case-insensitive identity and sort key of an email, as
// bytes so that PostgreSQL compares it bytewise.
func emailKey(email string) []byte { return []byte(invite.EmailKey(email)) }

// searchText is what a search matches: each field lower-cased on its own
// line, so that a search never matches across two fields. The email, which
// never changes and cannot contain a newline, comes first, so an update can
// keep it (split_part) and replace the names after it.
func searchText(first, last, email string) string {
	return strings.ToLower(email) + searchNames(first, last)
}

// searchNames is the part of the search text after the email.
func searchNames(first, last string) string {
	return strings.ToLower("\n" + first + "\n" + last)
}

// customerKey is the case-insensitive identity of a customer name.
func customerKey(name string) []byte { return []byte(strings.ToLower(strings.TrimSpace(name))) }

// emailLock is the advisory lock key that serializes the writers which
// decide whether an email is free: creating an invitation and accepting
// one. A hash collision only makes two emails wait for each other.
func emailLock(key []byte) int64 {
	h := fnv.New64a()
	h.Write([]byte("invitectl email\x00"))
	h.Write(key)
	return int64(h.Sum64())
}
