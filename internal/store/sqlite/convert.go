package sqlite

import (
	"database/sql"
	"strings"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// Times are stored as unix microseconds in UTC.
func micros(t time.Time) int64 { return t.UnixMicro() }

// nullMicros stores the zero time as NULL.
func nullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func fromNullMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

// nullString stores an empty optional value as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func tristate(t invite.Tristate) any {
	switch t {
	case invite.Yes:
		return 1
	case invite.No:
		return 0
	}
	return nil
}

func fromTristate(v sql.NullInt64) invite.Tristate {
	switch {
	case !v.Valid:
		return invite.Unset
	case v.Int64 != 0:
		return invite.Yes
	}
	return invite.No
}

// keys are the derived columns of an invitation: sort keys and search text.
type keys struct {
	email, search       string
	firstName, lastName []byte
}

func keysOf(inv *invite.Invitation) keys {
	email := strings.TrimSpace(inv.Email)
	return keys{
		email:     invite.EmailKey(email),
		search:    searchText(inv.FirstName, inv.LastName, email),
		firstName: invite.SortKey(inv.FirstName),
		lastName:  invite.SortKey(inv.LastName),
	}
}

// searchText is what a search matches: each field lower-cased on its own
// line, so that a search never matches across two fields. Names and emails
// cannot contain a newline.
func searchText(first, last, email string) string {
	return strings.ToLower(first + "\n" + last + "\n" + email)
}

// customerKey is the case-insensitive identity of a customer name.
func customerKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }
