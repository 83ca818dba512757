package store

import (
	"fmt"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// Values go in through these encoders and come out through the scanners
// below, which read what either engine returns: a time as INTEGER unix
// microseconds or as a timestamp, a tri-state as 0/1 or a boolean.

// nullTime stores the zero time as NULL.
func (s *Store) nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.d.Time(t)
}

// stored is a time as every engine keeps it: UTC, whole microseconds.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMicro(t.UnixMicro()).UTC()
}

// nullString stores an empty optional value as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullID stores the zero ID as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func tristate(t invite.Tristate) any {
	switch t {
	case invite.Yes:
		return true
	case invite.No:
		return false
	}
	return nil
}

// scanTime reads a time column, NULL as the zero time.
type scanTime struct{ t *time.Time }

func (d scanTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*d.t = time.Time{}
	case int64:
		*d.t = time.UnixMicro(x).UTC()
	case time.Time:
		*d.t = x.UTC()
	default:
		return fmt.Errorf("a time column holds %T", v)
	}
	return nil
}

// scanTristate reads a tri-state column.
type scanTristate struct{ t *invite.Tristate }

func (d scanTristate) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*d.t = invite.Unset
	case bool:
		*d.t = invite.TristateOf(&x)
	case int64:
		b := x != 0
		*d.t = invite.TristateOf(&b)
	default:
		return fmt.Errorf("a tri-state column holds %T", v)
	}
	return nil
}

// scanString reads a text column, NULL as "".
type scanString struct{ s *string }

func (d scanString) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*d.s = ""
	case string:
		*d.s = x
	case []byte:
		*d.s = string(x)
	default:
		return fmt.Errorf("a text column holds %T", v)
	}
	return nil
}

// scanID reads an ID column, NULL as 0.
type scanID struct{ id *int64 }

func (d scanID) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*d.id = 0
	case int64:
		*d.id = x
	default:
		return fmt.Errorf("an ID column holds %T", v)
	}
	return nil
}
