// Package storecopy copies every row of one store into another, empty one:
// an SQLite file into PostgreSQL when a deployment grows, or back.
//
// It is an optional capability beside invite.Store, which knows nothing of
// bulk export: a store that can be read out implements Source, a store that
// can take a copy implements Target. IDs, versions and link generations are
// kept, so links already sent keep working against the copy (with the same
// link secret). Sessions are not copied: people sign in again.
package storecopy

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/invitectl/invitectl/internal/invite"
)

// Record is one row of a store: exactly one field is set.
type Record struct {
	Customer   *invite.Customer
	Invitation *invite.Invitation
	User       *invite.User
	Event      *invite.AuditEvent
	Delivery   *invite.Delivery // an email of the outbox, with its outcome
}

// Source is a store whose rows can be read out.
type Source interface {
	// Export calls fn for every customer, then every invitation, every
	// user, every audit event and every email, each kind in ID order, all from one
	// snapshot. It stops at fn's first error and returns it.
	Export(ctx context.Context, fn func(Record) error) error
}

// Target is a store that can take every row of another.
type Target interface {
	// Counts returns the number of rows of each kind.
	Counts(ctx context.Context) (Counts, error)
	// Import writes records, in the order Export yields them, in one
	// transaction, keeping every ID, and moves the stores' ID sequences
	// past them. It fails with an EINVALID error (see NotEmpty) when the
	// store already holds a customer, an invitation, a user or an audit
	// event. On any error nothing is written.
	Import(ctx context.Context, records iter.Seq2[Record, error]) error
}

// Counts are numbers of rows by kind.
type Counts struct {
	Customers   int `json:"customers"`
	Invitations int `json:"invitations"`
	Users       int `json:"users"`
	AuditEvents int `json:"audit_events"`
	Deliveries  int `json:"deliveries"`
}

// Empty reports whether there are no rows at all.
func (c Counts) Empty() bool { return c == Counts{} }

// Add counts one record.
func (c *Counts) Add(r Record) {
	switch {
	case r.Customer != nil:
		c.Customers++
	case r.Invitation != nil:
		c.Invitations++
	case r.User != nil:
		c.Users++
	case r.Event != nil:
		c.AuditEvents++
	case r.Delivery != nil:
		c.Deliveries++
	}
}

func (c Counts) String() string {
	return fmt.Sprintf("%d customers, %d invitations, %d users, %d audit events, %d emails", c.Customers, c.Invitations, c.Users, c.AuditEvents, c.Deliveries)
}

// NotEmpty is the error of a Target that already holds rows.
func NotEmpty(c Counts) error {
	return invite.Errorf(invite.EINVALID, "the target store is not empty: it holds %s", c).
		WithHint("copy into a new, empty database (for PostgreSQL: create it, then run the copy); nothing was written")
}

// Copy reads every row of src and writes it into dst, which must be empty,
// then checks that dst holds as many rows of each kind as were read. It
// returns the counts copied.
func Copy(ctx context.Context, src Source, dst Target) (Counts, error) {
	before, err := dst.Counts(ctx)
	if err != nil {
		return Counts{}, err
	}
	if !before.Empty() {
		return Counts{}, NotEmpty(before)
	}
	var read Counts
	if err := dst.Import(ctx, Records(ctx, src, &read)); err != nil {
		return Counts{}, err
	}
	after, err := dst.Counts(ctx)
	if err != nil {
		return read, err
	}
	if after != read {
		return read, invite.Errorf(invite.EINTERNAL, "the copy is incomplete: read %s, but the target holds %s", read, after).
			WithHint("the target was written in one transaction, so this points at a concurrent writer; empty the target and copy again")
	}
	return read, nil
}

// errStopped ends an Export when the consumer stops iterating.
var errStopped = errors.New("storecopy: iteration stopped")

// Records turns src's Export into an iterator, counting each record into n
// (when n is not nil) as it passes. An error of the export is yielded last.
func Records(ctx context.Context, src Source, n *Counts) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		err := src.Export(ctx, func(r Record) error {
			if n != nil {
				n.Add(r)
			}
			if !yield(r, nil) {
				return errStopped
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopped) {
			yield(Record{}, err)
		}
	}
}
