package store

import (
	"cmp"
	"context"
	"errors"
	"iter"

	"github.com/invitectl/invitectl/internal/invite"
)

// LoadInvitations inserts the invitations of batches. Into a store that
// holds no invitation at all they go in one transaction that drops the
// table's secondary indexes (and the triggers that keep the search index),
// writes every row, and then builds the indexes once over them: sorting a
// million keys once is several times cheaper than keeping seven indexes
// and a trigram index in step row by row. Into a store that already holds
// invitations each batch is a transaction of its own, with the indexes in
// place.
//
// When ctx ends between batches the load stops there and returns the
// number of invitations written with ctx's error: those are stored whole
// and indexed. A load into an empty store killed before its commit leaves
// the store as it was, empty.
func (s *Store) LoadInvitations(ctx context.Context, batches iter.Seq[[]invite.Invitation]) (int, error) {
	n := 0
	// The transaction outlives an interrupt: what was written is indexed
	// and committed.
	err := s.write(context.WithoutCancel(ctx), func(tx *Tx) error {
		bg := context.WithoutCancel(ctx)
		if s.d.LockTables != "" {
			if _, err := tx.Exec(bg, s.d.LockTables); err != nil {
				return s.errorf("load invitations", err)
			}
		}
		var stored bool
		if err := tx.row(bg, `SELECT EXISTS (SELECT 1 FROM invitations)`).Scan(&stored); err != nil {
			return s.errorf("load invitations", err)
		}
		if stored {
			return errStored
		}
		return tx.withoutIndexes(bg, func() error {
			for batch := range batches {
				if err := tx.insertInvitations(bg, batch); err != nil {
					return err
				}
				n += len(batch)
				if ctx.Err() != nil {
					break
				}
			}
			return nil
		})
	})
	switch {
	case err == nil:
		return n, ctx.Err()
	case !errors.Is(err, errStored):
		return 0, err // rolled back: nothing was written
	}
	n = 0
	for batch := range batches {
		if err := s.InsertInvitations(ctx, batch); err != nil {
			return n, cmp.Or(ctx.Err(), err)
		}
		n += len(batch)
		if ctx.Err() != nil {
			break
		}
	}
	return n, ctx.Err()
}

// errStored is LoadInvitations' word to itself that the store is not empty.
var errStored = errors.New("the store holds invitations")

// withoutIndexes runs load with the invitations table's secondary indexes
// and triggers dropped (Dialect.DeferredIndexes), then creates them again,
// as they were defined, over the rows load wrote, in the same transaction.
func (t *Tx) withoutIndexes(ctx context.Context, load func() error) error {
	s := t.s
	type object struct{ kind, name, definition string }
	rows, err := t.query(ctx, s.d.DeferredIndexes)
	objects, err := collect(rows, err, func(sc scanner) (object, error) {
		var o object
		return o, sc.Scan(&o.kind, &o.name, &o.definition)
	})
	if err != nil {
		return s.errorf("read the invitations' indexes", err)
	}
	for _, o := range objects {
		if _, err := t.Exec(ctx, "DROP "+o.kind+` "`+o.name+`"`); err != nil {
			return s.errorf("drop index "+o.name, err)
		}
	}
	if err := load(); err != nil {
		return err
	}
	for _, q := range s.d.IndexBuild {
		if _, err := t.Exec(ctx, q); err != nil {
			return s.errorf("prepare the index builds", err)
		}
	}
	for _, o := range objects {
		if _, err := t.Exec(ctx, o.definition); err != nil {
			return s.errorf("create index "+o.name, err)
		}
	}
	for _, q := range s.d.AfterIndexBuild {
		if _, err := t.Exec(ctx, q); err != nil {
			return s.errorf("finish the index builds", err)
		}
	}
	return nil
}
