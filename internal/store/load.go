package store

import (
	"cmp"
	"context"
	"errors"
	"iter"
	"slices"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
)

// LoadInvitations inserts the invitations of batches. Into a store that
// holds no invitation at all they go in one transaction that drops the
// table's secondary indexes (and the triggers that keep the search index),
// writes every row, and then builds the indexes once over them: sorting a
// million keys once is several times cheaper than keeping eight indexes
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
func (t *Tx) withoutIndexes(ctx context.Context, load func() error) (err error) {
	s := t.s
	objects, err := t.dropDeferred(ctx, "")
	if err != nil {
		return err
	}
	if err := load(); err != nil {
		return err
	}
	for _, q := range s.d.IndexBuild {
		if _, err := t.Exec(ctx, q); err != nil {
			return s.errorf("prepare the index builds", err)
		}
	}
	// The connection outlives the transaction: its settings go back even
	// when a build fails.
	defer func() {
		for _, q := range s.d.IndexBuildDone {
			if _, rerr := t.Exec(ctx, q); rerr != nil && err == nil {
				err = s.errorf("restore the connection after the index builds", rerr)
			}
		}
	}()
	if err := t.create(ctx, objects); err != nil {
		if s.d.IsUnique(err) {
			return &invite.Error{Code: invite.ECONFLICT, Err: err, Message: "the invitations conflict: two open invitations for one email"}
		}
		return err
	}
	for _, q := range s.d.AfterIndexBuild {
		if _, err := t.Exec(ctx, q); err != nil {
			return s.errorf("finish the index builds", err)
		}
	}
	return nil
}

// schemaObject is an index or trigger of the invitations table.
type schemaObject struct{ kind, name, definition string }

// dropDeferred drops the invitations' indexes and triggers that
// Dialect.DeferredIndexes lists, of one kind ("" for all), and returns
// them, to be created again.
func (t *Tx) dropDeferred(ctx context.Context, kind string) ([]schemaObject, error) {
	rows, err := t.query(ctx, t.s.d.DeferredIndexes)
	objects, err := collect(rows, err, func(sc scanner) (schemaObject, error) {
		var o schemaObject
		return o, sc.Scan(&o.kind, &o.name, &o.definition)
	})
	if err != nil {
		return nil, t.s.errorf("read the invitations' indexes", err)
	}
	objects = slices.DeleteFunc(objects, func(o schemaObject) bool { return kind != "" && o.kind != kind })
	for _, o := range objects {
		if _, err := t.Exec(ctx, "DROP "+o.kind+` "`+o.name+`"`); err != nil {
			return nil, t.s.errorf("drop "+o.name, err)
		}
	}
	return objects, nil
}

// create creates the objects again, from their own definitions.
func (t *Tx) create(ctx context.Context, objects []schemaObject) error {
	for _, o := range objects {
		if _, err := t.Exec(ctx, o.definition); err != nil {
			return t.s.errorf("create "+o.name, err)
		}
	}
	return nil
}

// bulkSearch is the number of invitations from which a bulk insert fills
// the search index itself (Dialect.SearchFill), searchFillIDs IDs a
// statement.
const bulkSearch, searchFillIDs = 1000, 20000

// withoutSearchTriggers runs insert, a bulk insert of invitations, with the
// triggers that keep the search index dropped where the dialect has them,
// then indexes the new rows in one statement: those with IDs above the
// highest before it, and those of ids at or below it. FTS5 writes its
// pending terms out at every statement's savepoint, so with the triggers
// each INSERT of the bulk left a segment to be merged.
func (t *Tx) withoutSearchTriggers(ctx context.Context, ids []int64, insert func() error) error {
	if t.s.d.SearchFill == "" {
		return insert()
	}
	var before int64
	if err := t.row(ctx, `SELECT coalesce(max(id), 0) FROM invitations`).Scan(&before); err != nil {
		return t.s.errorf("insert invitations", err)
	}
	triggers, err := t.dropDeferred(ctx, "TRIGGER")
	if err != nil || len(triggers) == 0 { // none: a load that fills the index after
		if err == nil {
			err = insert()
		}
		return err
	}
	if err := insert(); err != nil {
		return err
	}
	var last int64
	if err := t.row(ctx, `SELECT coalesce(max(id), 0) FROM invitations`).Scan(&last); err != nil {
		return t.s.errorf("insert invitations", err)
	}
	// A range of IDs a statement, so that no statement's journal holds the
	// whole index's changes.
	for from := before; from < last; from += searchFillIDs {
		if _, err := t.Exec(ctx, t.s.d.SearchFill+` WHERE id > ? AND id <= ?`, from, min(from+searchFillIDs, last)); err != nil {
			return t.s.errorf("index the invitations for search", err)
		}
	}
	low := slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return id > before })
	for chunk := range slices.Chunk(low, 500) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		if _, err := t.Exec(ctx, t.s.d.SearchFill+` WHERE id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, args...); err != nil {
			return t.s.errorf("index the invitations for search", err)
		}
	}
	return t.create(ctx, triggers)
}
