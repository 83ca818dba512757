package store

import (
	"fmt"
	"strings"
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

// columns are the invitee fields' columns, each prefixed with alias.
func columns(alias string) string {
	cols := make([]string, len(invite.Fields))
	for i, f := range invite.Fields {
		cols[i] = alias + f.Key()
	}
	return strings.Join(cols, ", ")
}

// fieldColumns are the invitee fields' columns.
var fieldColumns = strings.Split(columns(""), ", ")

// fieldValues are d's fields as the values of fieldColumns: an absent
// optional value is NULL.
func fieldValues(d *invite.Details) []any {
	vs := make([]any, len(invite.Fields))
	for i, f := range invite.Fields {
		vs[i] = fieldValue(f, d)
	}
	return vs
}

func fieldValue(f invite.Field, d *invite.Details) any {
	switch {
	case f.Tristate():
		if b := f.Tri(*d).Bool(); b != nil {
			return *b
		}
		return nil
	case f.Required:
		return f.Value(*d)
	}
	return nullString(f.Value(*d))
}

// fieldScanners read fieldColumns into d.
func fieldScanners(d *invite.Details) []any {
	sc := make([]any, len(invite.Fields))
	for i, f := range invite.Fields {
		sc[i] = scanField{f, d}
	}
	return sc
}

// scanField reads a field's column: text, NULL as absent; a tri-state as
// a boolean or 0/1.
type scanField struct {
	f invite.Field
	d *invite.Details
}

func (sf scanField) Scan(v any) error {
	s := "unset"
	switch x := v.(type) {
	case bool:
		s = invite.TristateOf(&x).String()
	case int64:
		s = map[bool]string{true: "yes", false: "no"}[x != 0]
	case nil:
		s = ""
	default:
		if err := (scanString{&s}).Scan(v); err != nil {
			return err
		}
	}
	sf.f.Set(sf.d, s)
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
